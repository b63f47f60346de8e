"""Page workers on the Redis stream as separate ``newswatch worker`` processes: one killed with
SIGKILL while it holds pages, and still every article is stored once and every alert sent once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from newswatch.commands import cli
from newswatch.config import load_settings
from newswatch.crawler import run_crawl
from newswatch.crawler.streams import WORKERS_GROUP, PageStream, connect
from newswatch.store import open_db
from tests.support.fixture_web import fixture_web, write_config
from tests.support.paths import ROOT
from tests.support.scale import set_scale

SITEMAP_ARTICLES = 7  # technews-sitemap: seven articles, five alerts
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
        cfg = write_config(
            tmp_path / "config",
            web,
            enable=["technews-sitemap"],
            crawl={"page_queue": "redis", "concurrency_per_domain": 8},
        )
        set_scale(cfg, prefix, worker_batch=2, claim_after_seconds=3)
        db_file = tmp_path / "n.db"
        run = run_crawl(cfg, db_file)
        assert run.status == "finished" and run.stats["pages_queued"] == SITEMAP_ARTICLES, run.to_json()
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
    assert len(rows) == len({r["canonical_url"] for r in rows}) == SITEMAP_ARTICLES
    new, alerts = db.execute("select new, alerts from crawl_run_sources where run_id = ?", [run.id]).fetchone()
    assert (new, alerts) == (SITEMAP_ARTICLES, ALERTS)
    keys = [r["key"] for r in db["alerts"].rows]
    assert len(keys) == len(set(keys)) == ALERTS
    runner = CliRunner()
    for _ in range(2):  # a second delivery pass posts nothing again
        out = runner.invoke(cli, ["--config", str(cfg), "--db", str(db_file), "alerts", "deliver", "--now"])
        assert out.exit_code == 0, out.output
    for key in keys:
        assert len(slack_env.posts_for_key(key)) == 1, key
    assert {r["status"] for r in db["alerts"].rows} == {"sent"}
