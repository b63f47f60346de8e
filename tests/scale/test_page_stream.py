"""The Redis page stream (``crawl.page_queue: redis``): what a worker hands on is what it prepared,
and a full stream makes the crawler wait instead of dropping pages."""

from __future__ import annotations

import threading
import time

from newswatch.config import load_settings
from newswatch.crawler import run_crawl
from newswatch.crawler.remote import StreamCommitter, StreamWorker
from newswatch.crawler.streams import (
    PageStream,
    connect,
    page_fields,
    page_from_fields,
    prepared_from_json,
    prepared_to_json,
)
from newswatch.models import FetchedPage
from newswatch.pipeline import Pipeline, commit
from newswatch.store import open_db
from tests.support.fixture_web import SITEMAP_ARTICLES, fixture_web, write_config
from tests.support.paths import CONFIG, SEED_PAGE, SEED_URL
from tests.support.scale import set_scale, sitemap_on_the_stream


def test_a_prepared_page_read_back_from_the_stream_stores_as_the_original_does(tmp_path):
    pipeline = Pipeline.from_config(CONFIG)
    page = FetchedPage(url=SEED_URL, body=SEED_PAGE.read_bytes(), source="technews", source_kind="news")
    sent, run_id = page_from_fields(
        {k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in page_fields(page, 7).items()}
    )
    assert (sent, run_id) == (page, 7)
    direct_db, streamed_db = open_db(tmp_path / "a.db"), open_db(tmp_path / "b.db")
    prepared = pipeline.prepare(page, direct_db)
    assert prepared.drafts, "the founding-case page raises alerts"
    back = prepared_from_json(prepared_to_json(prepared))
    assert back.page.body == b"" and back.article == prepared.article and back.mentions == prepared.mentions
    assert (back.nlp, back.timings, back.content_hash) == (prepared.nlp, prepared.timings, prepared.content_hash)
    assert all(any(d.finding is f for f, _ in back.decided) for d in back.drafts)  # the same objects, as commit needs
    direct = commit(direct_db, prepared, pipeline.settings.alerts).to_json()
    streamed = commit(streamed_db, back, pipeline.settings.alerts).to_json()
    assert streamed == direct
    assert len(streamed["alerts"]) == 3


def test_a_full_stream_makes_the_crawler_wait_and_nothing_is_dropped(tmp_path, redis_keys):
    client, prefix = redis_keys
    with fixture_web() as web:
        cfg = sitemap_on_the_stream(tmp_path / "config", web, prefix, max_queued_pages=2, worker_batch=2)
        db_file = tmp_path / "n.db"
        stream = PageStream(connect(load_settings(cfg).scale), load_settings(cfg).scale)
        runs: list = []
        crawler = threading.Thread(target=lambda: runs.append(run_crawl(cfg, db_file)))
        crawler.start()
        longest, full_since = 0, None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # no worker yet: the stream fills to its bound and stays there
            length = int(client.xlen(stream.keys.pages))
            longest = max(longest, length)
            if length >= 2:
                full_since = full_since or time.monotonic()
                if time.monotonic() - full_since > 3:
                    break
            time.sleep(0.05)
        assert full_since is not None and crawler.is_alive(), "the crawl should be waiting on a full stream"
        stop = threading.Event()
        worker = threading.Thread(target=StreamWorker(cfg, db_file, "w1").run, args=(stop,))
        committer = threading.Thread(target=StreamCommitter(cfg, db_file).run, args=(stop,))
        worker.start()
        committer.start()
        try:
            while time.monotonic() < deadline + 120:
                longest = max(longest, int(client.xlen(stream.keys.pages)))
                if not crawler.is_alive() and stream.drained():
                    break
                time.sleep(0.05)
        finally:
            stop.set()
            worker.join(60)
            committer.join(60)
            crawler.join(60)
        assert longest <= 2
        run = runs[0]
        assert run.status == "finished", run.to_json()
        assert run.stats["pages_queued"] == len(SITEMAP_ARTICLES) and run.stats["backpressure_seconds"] > 3
        db = open_db(db_file)
        rows = list(db["articles"].rows)
        assert len(rows) == len({r["canonical_url"] for r in rows}) == len(SITEMAP_ARTICLES)
        fates = [r["status"] for r in db["crawl_urls"].rows]
        assert fates.count("stored") >= len(SITEMAP_ARTICLES) and "failed" not in fates
        counts = db.execute("select new, alerts from crawl_run_sources where run_id = ?", [run.id]).fetchone()
        assert counts == (len(SITEMAP_ARTICLES), 5)  # booked on the crawl's run by the committer


def test_a_worker_without_its_redis_says_where_it_looked_and_exits_6(tmp_path, runner):
    from newswatch.commands import cli

    cfg = write_config(tmp_path / "config", {}, enable=[])
    set_scale(cfg, "unused", redis_url="redis://127.0.0.1:1/0")
    out = runner.invoke(cli, ["--config", str(cfg), "--db", str(tmp_path / "n.db"), "worker"])
    assert out.exit_code == 6, out.output
    assert "Redis at redis://127.0.0.1:1/0 cannot be reached" in out.output and "scale.redis_url" in out.output


def test_a_page_that_took_down_too_many_workers_is_booked_failed_not_retried(tmp_path, redis_keys):
    """A page whose every worker died on it (here: read and abandoned by a ghost consumer as often
    as ``scale.max_deliveries`` allows) is handed on as failed, and the committer books it so."""
    client, prefix = redis_keys
    cfg = write_config(tmp_path / "config", {}, enable=[])
    set_scale(cfg, prefix, max_deliveries=2, claim_after_seconds=0.2)
    scale = load_settings(cfg).scale
    stream = PageStream(connect(scale), scale)
    stream.ensure_groups()
    db_file = tmp_path / "n.db"
    db = open_db(db_file)
    from newswatch.crawler.state import start_run

    run_id = start_run(db, [("technews", "feed")], pid=1)
    page = FetchedPage(url=SEED_URL, body=SEED_PAGE.read_bytes(), source="technews", source_kind="news")
    eid = stream.add(page, run_id)
    client.xreadgroup("workers", "ghost", {stream.keys.pages: ">"}, count=1)
    client.xclaim(stream.keys.pages, "workers", "ghost", 0, [eid])  # delivered twice: two dead workers
    time.sleep(0.3)
    stop = threading.Event()
    worker = StreamWorker(cfg, db_file, "w1")
    assert worker.run(stop, max_pages=1) == 1
    StreamCommitter(cfg, db_file).run(stop, until_drained=True)
    row = next(db["crawl_urls"].rows_where("url = ?", [SEED_URL]))
    assert row["status"] == "failed" and "died on this page 2 times" in row["reason"], row
    assert db["articles"].count == 0 and stream.drained()
