"""The shared crawl frontier (``crawl.frontier: redis``, scrapy-redis): two crawl processes over the
whole fixture web fetch every URL once between them, and the round leaves nothing behind in Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from newswatch.crawler.frontier import dumps, loads
from newswatch.store import open_db
from tests.support.fixture_web import SITEMAP_ARTICLES, fixture_web, write_config
from tests.support.paths import ROOT
from tests.support.scale import set_scale


def crawl_command(cfg: Path, db_file: Path) -> list[str]:
    """``newswatch crawl`` on that config and database, as a child process runs it."""
    return [sys.executable, "-m", "newswatch", "--config", str(cfg), "--db", str(db_file), "crawl", "--json", "--quiet"]


def test_a_request_survives_the_frontier_queue_as_json():
    from scrapy import Request
    from scrapy.utils.request import request_from_dict

    req = Request(
        "https://news.example/a?b=1",
        method="POST",
        body=b"\x00\xffraw",
        headers={"X-Thing": "v"},
        meta={"nw_article": True, "nw_cik": 1900001, "redirect_urls": ["https://news.example/old"]},
        dont_filter=True,
        priority=3,
    )
    back = request_from_dict(loads(dumps(req.to_dict())))
    assert (back.url, back.method, back.body, back.priority) == (req.url, "POST", b"\x00\xffraw", 3)
    assert back.headers.get("X-Thing") == b"v" and back.meta == req.meta and back.dont_filter


def test_two_crawlers_sharing_one_frontier_fetch_every_url_once(tmp_path, redis_keys):
    client, prefix = redis_keys
    with fixture_web() as web:
        for site in web.values():
            site.slow_all = 0.15  # both crawlers are still at work when the other starts
        # a crawl child preparing pages itself stalls its reactor for seconds on this busy machine: a
        # long timeout keeps a stall from turning into a timed-out fetch and its retry
        cfg = write_config(tmp_path / "config", web, crawl={"frontier": "redis", "timeout_seconds": 120})
        set_scale(cfg, prefix)
        db_file = tmp_path / "n.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = crawl_command(cfg, db_file)
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (_out, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0, err.decode()[-3000:]
        runs = [json.loads(out) for out, _ in outs]
        hits: Counter[str] = Counter()
        for name, site in web.items():
            hits.update({f"{name}{path}": n for path, n in site.hits.items() if path != "/robots.txt"})
    twice = {path: n for path, n in hits.items() if n > 1}
    assert not twice, (twice, [r["totals"] for r in runs])
    assert all(r["status"] == "finished" for r in runs)
    fetched = [r["totals"]["fetched"] for r in runs]
    db = open_db(db_file)
    rows = list(db["articles"].rows)
    assert len(rows) == len({r["canonical_url"] for r in rows}) == sum(fetched) == 16, fetched
    assert not list(client.scan_iter(match=f"{prefix}:frontier:*")), "the round's keys outlive it"


def test_a_killed_crawlers_requests_in_flight_go_back_to_the_queue_for_another(tmp_path, redis_keys):
    """Crawler A takes two articles and hangs on them; B joins the round; A is killed with SIGKILL.
    Once A's lease runs out B puts A's requests back and fetches them in the same round; what A had
    downloaded but not stored is fetched by the next round; every article is stored once."""
    import signal
    import threading
    import time

    client, prefix = redis_keys
    with fixture_web() as web:
        site = web["technews"]
        gate = threading.Event()
        held = sorted(SITEMAP_ARTICLES)[:2]
        site.hold = {p: gate for p in held}
        cfg = write_config(
            tmp_path / "config",
            web,
            enable=["technews-sitemap"],
            crawl={"frontier": "redis", "workers": 1, "concurrency_per_domain": 8, "timeout_seconds": 120},
        )
        set_scale(cfg, prefix, crawler_lease_seconds=6)
        db_file = tmp_path / "n.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = crawl_command(cfg, db_file)
        a = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not all(site.hits[p] for p in held):  # A has taken both and waits on them
            assert time.monotonic() < deadline and a.poll() is None, a.stderr.read().decode()[-3000:]
            time.sleep(0.05)
        b = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while client.zcard(f"{prefix}:frontier:crawlers") < 2:  # B's spider has joined the round
            assert time.monotonic() < deadline and b.poll() is None, b.stderr.read().decode()[-3000:]
            time.sleep(0.05)
        a.send_signal(signal.SIGKILL)
        a.wait(10)
        gate.set()
        out, err = b.communicate(timeout=240)
        assert b.returncode == 0, err.decode()[-3000:]
        assert "queued again" in err.decode(), err.decode()[-3000:]
        for p in held:
            assert site.hits[p] == 2, (p, site.hits[p])  # A's lost attempt, then B's
        run_b = json.loads(out)
        assert run_b["status"] == "finished" and run_b["totals"]["new"] >= len(held), run_b["totals"]
        db = open_db(db_file)
        stored = {r["url"].removeprefix(site.base_url) for r in db["articles"].rows}
        assert set(held) <= stored
        # pages A had downloaded but not stored when it died: the next round fetches them
        again = subprocess.run(cmd, env=env, capture_output=True, timeout=240)
        assert again.returncode == 0, again.stderr.decode()[-3000:]
        for p in stored:
            assert site.hits[p] <= 2, (p, site.hits[p])  # stored pages are never fetched again
    urls = [r["url"].removeprefix(site.base_url) for r in db["articles"].rows]
    assert sorted(urls) == sorted(SITEMAP_ARTICLES)  # every article, each once
