"""Page workers on the Redis stream as separate ``newswatch worker`` processes: one killed with
SIGKILL while it holds pages, and still every article is stored once and every alert sent once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from newswatch.commands import cli
from newswatch.config import load_settings
from newswatch.crawler import run_crawl
from newswatch.crawler.streams import WORKERS_GROUP, PageStream, connect
from newswatch.store import open_db
from tests.support.fixture_web import SITEMAP_ARTICLES, fixture_web
from tests.support.paths import ROOT
from tests.support.scale import sitemap_on_the_stream

ALERTS = 5


def _newswatch(cfg: Path, db_file: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newswatch", "--config", str(cfg), "--db", str(db_file), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _held_by(client, stream: PageStream, consumer: str) -> list[bytes]:
    rows = client.xpending_range(stream.keys.pages, WORKERS_GROUP, min="-", max="+", count=100, consumername=consumer)
    return [bytes(r["message_id"]) for r in rows]


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(tmp_path, redis_keys, slack_env):
    client, prefix = redis_keys
    with fixture_web() as web:
        cfg = sitemap_on_the_stream(tmp_path / "config", web, prefix, worker_batch=2, claim_after_seconds=3)
        db_file = tmp_path / "n.db"
        run = run_crawl(cfg, db_file)
        assert run.status == "finished" and run.stats["pages_queued"] == len(SITEMAP_ARTICLES), run.to_json()
    scale = load_settings(cfg).scale
    stream = PageStream(connect(scale), scale)
    procs: list[subprocess.Popen] = []
    try:
        doomed = _newswatch(cfg, db_file, "worker", "--name", "doomed")
        procs.append(doomed)
        deadline = time.monotonic() + 180
        while not _held_by(client, stream, "doomed") and doomed.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        survivor = _newswatch(cfg, db_file, "worker", "--name", "survivor")
        committer = _newswatch(cfg, db_file, "committer", "--until-drained")
        procs += [survivor, committer]
        doomed.send_signal(signal.SIGKILL)  # mid-batch: it has read pages and not handed them on
        doomed.wait(10)
        held = _held_by(client, stream, "doomed")
        assert held, "the killed worker should have died holding pages"
        committer.wait(240)
        assert committer.returncode == 0, committer.stderr.read().decode()[-3000:]
        survivor.send_signal(signal.SIGTERM)
        survivor.wait(60)
        survivor_log = survivor.stderr.read().decode()
        assert survivor.returncode == 0, survivor_log[-3000:]
        assert "took over" in survivor_log  # the dead worker's pages were claimed, not lost
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
    assert stream.drained() and not _held_by(client, stream, "doomed")
    db = open_db(db_file)
    rows = list(db["articles"].rows)
    assert len(rows) == len({r["canonical_url"] for r in rows}) == len(SITEMAP_ARTICLES)
    new, alerts = db.execute("select new, alerts from crawl_run_sources where run_id = ?", [run.id]).fetchone()
    assert (new, alerts) == (len(SITEMAP_ARTICLES), ALERTS)
    keys = [r["key"] for r in db["alerts"].rows]
    assert len(keys) == len(set(keys)) == ALERTS
    runner = CliRunner()
    for _ in range(2):  # a second delivery pass posts nothing again
        out = runner.invoke(cli, ["--config", str(cfg), "--db", str(db_file), "alerts", "deliver", "--now"])
        assert out.exit_code == 0, out.output
    for key in keys:
        assert len(slack_env.posts_for_key(key)) == 1, key
    assert {r["status"] for r in db["alerts"].rows} == {"sent"}


class Log:
    """A process's stderr lines, read in a thread so waiting for one never blocks past its deadline."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for raw in proc.stderr:
            self.lines.append(raw.decode(errors="replace"))

    def has(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"no {text!r} in:\n{''.join(self.lines)[-3000:]}"
            time.sleep(0.1)


def test_a_standby_committer_takes_over_from_a_killed_one(tmp_path, redis_keys):
    from newswatch.crawler.remote import StreamWorker

    client, prefix = redis_keys
    with fixture_web() as web:
        cfg = sitemap_on_the_stream(tmp_path / "config", web, prefix, committer_lease_seconds=2)
        db_file = tmp_path / "n.db"
        run_crawl(cfg, db_file)
    first = _newswatch(cfg, db_file, "committer")
    second = _newswatch(cfg, db_file, "committer")
    stop = threading.Event()
    worker = threading.Thread(target=StreamWorker(cfg, db_file, "w1").run, args=(stop,))
    logs = {first: Log(first), second: Log(second)}
    try:
        deadline = time.monotonic() + 120
        while True:  # whichever started first holds the lease, the other stands by
            holder = [p for p, log in logs.items() if log.has("took the lease")]
            standby = [p for p, log in logs.items() if log.has("standing by")]
            if holder and standby:
                break
            assert time.monotonic() < deadline, {p.pid: "".join(log.lines) for p, log in logs.items()}
            time.sleep(0.1)
        assert len(holder) == len(standby) == 1, {p.pid: "".join(log.lines) for p, log in logs.items()}
        (killed,), (survivor,) = holder, standby
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
        worker.start()
        logs[survivor].wait_for("took the lease", timeout=30)  # once the dead one's lease ran out
        scale = load_settings(cfg).scale
        stream = PageStream(connect(scale), scale)
        deadline = time.monotonic() + 240
        while not (stream.drained() and open_db(db_file)["articles"].count == len(SITEMAP_ARTICLES)):
            assert time.monotonic() < deadline, "not stored in time"
            time.sleep(0.2)
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(60)
        for p in (first, second):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(30)
    db = open_db(db_file)
    assert len({r["canonical_url"] for r in db["articles"].rows}) == len(SITEMAP_ARTICLES)
    keys = [r["key"] for r in db["alerts"].rows]
    assert len(keys) == len(set(keys)) == ALERTS
