"""The shared crawl frontier (``crawl.frontier: redis``, scrapy-redis): two crawl processes over the
whole fixture web fetch every URL once between them, and the round leaves nothing behind in Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

from newswatch.crawler.frontier import dumps, loads
from newswatch.store import open_db
from tests.support.fixture_web import fixture_web, write_config
from tests.support.paths import ROOT
from tests.support.scale import set_scale


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
        cmd = [
            sys.executable,
            "-m",
            "newswatch",
            "--config",
            str(cfg),
            "--db",
            str(db_file),
            "crawl",
            "--json",
            "--quiet",
        ]
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
