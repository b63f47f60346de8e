"""Crawler under trouble: a 500 page is retried then booked as failed; robots.txt is obeyed; a
``newswatch crawl`` killed with SIGKILL mid-way and started again ends with every article stored once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from newswatch.crawler import run_crawl
from newswatch.store import open_db
from tests.support.fixture_web import SITEMAP_ARTICLES, fixture_web, write_config

ROOT = Path(__file__).resolve().parents[2]
REVIEW = "/2025/03/10/review-ultrabook-14/"  # one of SITEMAP_ARTICLES
DRAFT = "/drafts/unpublished-story/"


def test_500_is_retried_with_backoff_then_recorded_failed_and_fetched_next_run(tmp_path):
    with fixture_web() as web:
        site = web["technews"]
        site.fail.add(REVIEW)
        cfg = write_config(
            tmp_path / "config", web, enable=["technews-feed"], crawl={"retry_times": 2, "retry_backoff_seconds": 0.3}
        )
        db_file = tmp_path / "n.db"
        run = run_crawl(cfg, db_file)
        assert site.hits[REVIEW] == 3  # first try + 2 retries
        c = run.sources[0]
        assert (c.fetched, c.new, c.failed) == (5, 5, 1)
        assert run.status == "finished"
        db = open_db(db_file)
        row = next(db["crawl_urls"].rows_where("url like ?", [f"%{REVIEW}"]))
        assert (row["status"], row["reason"], row["http_status"]) == ("failed", "HTTP 500 after 2 retries", 500)
        assert not list(db["articles"].rows_where("url like ?", [f"%{REVIEW}"]))
        site.fail.clear()
        again = run_crawl(cfg, db_file)
        assert site.hits[REVIEW] == 4  # a failed URL is not "stored": the next run fetches it
        assert (again.sources[0].fetched, again.sources[0].new, again.sources[0].failed) == (1, 1, 0)
        row = next(db["crawl_urls"].rows_where("url like ?", [f"%{REVIEW}"]))
        assert (row["status"], row["reason"], row["attempts"]) == ("stored", None, 2)


def test_robots_disallowed_path_is_never_requested(tmp_path):
    with fixture_web() as web:
        cfg = write_config(tmp_path / "config", web, enable=["technews-tech"])
        run = run_crawl(cfg, tmp_path / "n.db")
        assert run.status == "finished"
        site = web["technews"]
        assert site.hits["/robots.txt"] == 1
        assert site.hits[DRAFT] == 0
        assert not [p for p, _ua in site.requests if p.startswith("/drafts/")]
        db = open_db(tmp_path / "n.db")
        row = next(db["crawl_urls"].rows_where("url like ?", [f"%{DRAFT}%"]))
        assert row["status"] == "blocked" and "robots.txt" in row["reason"]
        assert run.sources[0].skipped == 1 and run.sources[0].failed == 0


def _stored(db_file: Path) -> int:
    try:
        with sqlite3.connect(db_file, timeout=5) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_killed_crawl_resumes_and_stores_every_article_once(tmp_path):
    with fixture_web() as web:
        site = web["technews"]
        # three articles come quickly, the other four hang: the crawl is killed with some stored and
        # some in flight, whatever the page workers' start-up time
        held = sorted(SITEMAP_ARTICLES)[3:]
        site.slow = {p: 60.0 for p in held}
        cfg = write_config(
            tmp_path / "config", web, enable=["technews-sitemap"], crawl={"concurrency_per_domain": 8, "workers": 2}
        )
        db_file = tmp_path / "n.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "newswatch", "--config", str(cfg), "--db", str(db_file), "crawl"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while _stored(db_file) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        for child in children:  # the crawl child dies with its parent (PR_SET_PDEATHSIG)
            try:
                child.wait(10)
            except psutil.NoSuchProcess:
                pass
            assert not child.is_running()
        stored_at_kill = _stored(db_file)
        assert 2 <= stored_at_kill < len(SITEMAP_ARTICLES), proc.stderr.read().decode()[-2000:]
        db = open_db(db_file)
        before = {r["url"].removeprefix(site.base_url) for r in db["articles"].rows}
        hits_before = {p: site.hits[p] for p in SITEMAP_ARTICLES}

        assert not before & set(held)
        site.slow = {}
        run = run_crawl(cfg, db_file)
        assert run.status == "finished"
        rows = list(db["articles"].rows)
        urls = [r["url"].removeprefix(site.base_url) for r in rows]
        assert sorted(urls) == sorted(SITEMAP_ARTICLES)  # every article, each once
        assert len({r["canonical_url"] for r in rows}) == len(rows)
        for p in before:  # what was stored before the kill is not fetched again
            assert site.hits[p] == hits_before[p]
        assert run.sources[0].new == len(SITEMAP_ARTICLES) - stored_at_kill
        statuses = [r["status"] for r in db["crawl_runs"].rows_where(order_by="id")]
        assert statuses == ["interrupted", "finished"]
        keys = [r["key"] for r in db["alerts"].rows]
        assert len(keys) == len(set(keys)) == 5  # Inspur, Lei Jun, Xiaomi (via Lei Jun), Hesai, Sinno: once each


def _page_workers() -> list[psutil.Process]:
    """The crawl child's page-worker processes (spawned children of the spawned crawl child)."""
    out = []
    for child in psutil.Process(os.getpid()).children():
        if "spawn_main" in " ".join(child.cmdline()):
            out += [w for w in child.children() if "spawn_main" in " ".join(w.cmdline())]
    return out


def test_a_dead_page_worker_is_booked_and_replaced(tmp_path):
    """A page worker killed mid-crawl (OOM killer, kill -9): the crawl goes on with a fresh pool, the
    pages it took down are booked failed with the reason, and the next crawl stores them, once."""
    with fixture_web() as web:
        site = web["technews"]
        gate = threading.Event()
        site.hold = {p: gate for p in sorted(SITEMAP_ARTICLES)[3:]}  # answered once a worker is dead
        cfg = write_config(
            tmp_path / "config",
            web,
            enable=["technews-sitemap"],
            crawl={"concurrency_per_domain": 8, "workers": 2, "timeout_seconds": 90},
        )
        db_file = tmp_path / "n.db"
        killed: list[int] = []

        def progress(ev: dict) -> None:
            if ev.get("status") == "new" and not killed:
                workers = _page_workers()
                assert workers, "no page worker running"
                workers[0].kill()
                workers[0].wait(10)
                killed.append(workers[0].pid)
                gate.set()

        run = run_crawl(cfg, db_file, progress=progress)
        assert killed and run.status == "finished", run.to_json()
        assert run.stats["pool_rebuilt"] >= 1 and run.stats["workers"] == 2, (run.to_json(), killed)
        db = open_db(db_file)
        fates = {r["url"].removeprefix(site.base_url): r for r in db["crawl_urls"].rows}
        for path in SITEMAP_ARTICLES:
            row = fates[path]
            assert row["status"] == "stored" or "page worker died" in row["reason"], row
        run_crawl(cfg, db_file)
        urls = [r["url"].removeprefix(site.base_url) for r in db["articles"].rows]
        assert sorted(urls) == sorted(SITEMAP_ARTICLES)
        keys = [r["key"] for r in db["alerts"].rows]
        assert len(keys) == len(set(keys)) == 5
