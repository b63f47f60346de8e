"""``newswatch run --role committer`` and ``--role worker`` as real processes: the committer stores
what the worker prepared from the stream, the outbox delivers it, and ``/metrics`` shows the
stream's depth and the worker's throughput."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import yaml

from newswatch.crawler import run_crawl
from newswatch.store import open_db
from tests.support.fixture_web import SITEMAP_ARTICLES, fixture_web
from tests.support.paths import ROOT
from tests.support.scale import sitemap_on_the_stream
from tests.support.service import TOKEN, ServiceProcess

ALERTS = 5


def _metric(text: str, name: str, labels: str = "") -> float | None:
    m = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def test_a_committer_and_a_worker_role_store_and_deliver_what_the_crawl_queued(tmp_path, redis_keys, slack_env):
    client, prefix = redis_keys
    with fixture_web() as web:
        cfg = sitemap_on_the_stream(tmp_path / "config", web, prefix, worker_batch=4)
        settings = yaml.safe_load((cfg / "settings.yaml").read_text())
        settings["service"]["deliver_every_seconds"] = 1
        (cfg / "settings.yaml").write_text(yaml.safe_dump(settings))
        db_file = tmp_path / "n.db"
        run = run_crawl(cfg, db_file)
        assert run.stats["pages_queued"] == len(SITEMAP_ARTICLES)
    committer = ServiceProcess(cfg, db_file, tmp_path / "committer.log", args=["--role", "committer"])
    worker = None
    try:
        committer.wait_ready()
        text = committer.client.get("/metrics").text
        assert _metric(text, "newswatch_page_stream_up") == 1
        assert _metric(text, "newswatch_page_stream_waiting") == len(SITEMAP_ARTICLES)  # no worker yet
        assert _metric(text, "newswatch_page_stream_oldest_age_seconds") > 0
        worker = subprocess.Popen(
            [sys.executable, "-m", "newswatch", "--config", str(cfg), "--db", str(db_file), "run", "--role", "worker"],
            env={**os.environ, "PYTHONPATH": str(ROOT), "NEWSWATCH_API_TOKEN": TOKEN},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            text = committer.client.get("/metrics").text
            sent = [k for k in (r["key"] for r in open_db(db_file)["alerts"].rows) if slack_env.posts_for_key(k)]
            if _metric(text, "newswatch_articles_stored_total") == len(SITEMAP_ARTICLES) and len(sent) == ALERTS:
                break
            assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
            time.sleep(0.5)
        else:
            raise AssertionError(f"not stored and delivered in time:\n{text}\n{committer.log()[-3000:]}")
        assert _metric(text, "newswatch_page_stream_waiting") == 0
        assert _metric(text, "newswatch_page_stream_held") == 0
        assert _metric(text, "newswatch_page_stream_prepared_waiting") == 0
        counted = re.findall(r'^newswatch_worker_pages_total\{worker="([^"]+)"\} (\S+)$', text, re.M)
        assert [float(n) for _, n in counted] == [len(SITEMAP_ARTICLES)], counted
        assert (_metric(text, "newswatch_worker_busy_seconds_total", f'{{worker="{counted[0][0]}"}}') or 0) > 0
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0, worker.stderr.read().decode()[-3000:]
    finally:
        if worker and worker.poll() is None:
            worker.kill()
            worker.wait(10)
        assert committer.stop() == 0, committer.log()[-3000:]
    db = open_db(db_file)
    assert len({r["canonical_url"] for r in db["articles"].rows}) == db["articles"].count == len(SITEMAP_ARTICLES)
    for key in (r["key"] for r in db["alerts"].rows):
        assert len(slack_env.posts_for_key(key)) == 1
