"""On-demand ingestion through the HTTP API of a real ``newswatch run`` process: start-up time,
accept latency, end-to-end latency per page (fetch + pipeline + store), throughput, memory; and
with ``--during-crawl PAGES``, the latency of one ``POST /ingest`` to its alert in the outbox
(the request ``done`` with its alerts) while a crawl of PAGES real pages runs on the same store.

    .venv/bin/python bench/service_ingest.py [-n 40]
    .venv/bin/python bench/service_ingest.py --during-crawl 1000 [-n 40] [--aeb DIR]

Serves the fixture page at N distinct URLs from 127.0.0.2 (allowlisted in a temp config). The
crawl is ``newswatch crawl`` in a process of its own at ``schedule.crawl_nice``, as the service's
scheduled crawl runs, over the real mix of ``bench/throughput.py --mix real`` (``bench/realmix.py``);
the ingests are sent one at a time, each after the one before is done, while the crawl runs.
Never run by CI; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from realmix import AEB_DIR, real_mix  # noqa: E402
from throughput import PageServer  # noqa: E402

from tests.support.service import FixtureSite, ServiceProcess, make_config  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def burst(svc: ServiceProcess, site: FixtureSite, n: int) -> None:
    """N pages queued at once, then the latency of each (queue wait included)."""
    accept, ids, sent = [], [], {}
    t1 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        r = svc.client.post("/ingest", json={"url": f"{site.base}/xiaomi-blacklist-award.html?n={i}"})
        accept.append(time.perf_counter() - s)
        ids.append(r.json()["id"])
        sent[ids[-1]] = s
    done = {}
    while len(done) < len(ids):
        for rid in ids:
            if rid in done:
                continue
            row = svc.client.get(f"/ingest/{rid}").json()
            if row["state"] in ("done", "failed"):
                done[rid] = (time.perf_counter() - sent[rid], row["state"])
        time.sleep(0.02)
    wall = time.perf_counter() - t1
    s = time.perf_counter()
    for _ in range(20):
        svc.client.post("/ingest", json={"url": "http://169.254.169.254/"})
    refuse = (time.perf_counter() - s) / 20
    lat = sorted(v[0] for v in done.values())
    states = [v[1] for v in done.values()]
    print(
        f"POST /ingest accept latency: median {statistics.median(accept) * 1000:.1f} ms, "
        f"max {max(accept) * 1000:.1f} ms"
    )
    print(
        f"{n} pages queued at once: all finished in {wall:.1f}s ({n / wall:.1f} pages/s), "
        f"done={states.count('done')} failed={states.count('failed')}"
    )
    print(
        f"end-to-end latency (queue wait included): p50 {lat[len(lat) // 2]:.2f}s, "
        f"p95 {lat[int(len(lat) * 0.95) - 1]:.2f}s; first page {min(lat):.2f}s"
    )
    print(f"SSRF refusal (metadata address) round trip: {refuse * 1000:.1f} ms")


def during_crawl(svc: ServiceProcess, site: FixtureSite, cfg: Path, db: Path, pages: int, n: int, aeb: Path) -> None:
    """One ingest at a time while ``newswatch crawl`` stores ``pages`` real pages into the same store."""
    mix = real_mix(pages, aeb)
    with PageServer(mix) as web:
        sources = {
            "crawl": {
                "download_delay": 0,
                "autothrottle": False,
                "concurrency_per_domain": 16,
                "max_articles_per_source": pages + 10,
            },
            "sources": [{"name": "bench-feed", "kind": "feed", "base_url": web.base, "feeds": ["/feed.xml"]}],
        }
        (cfg / "sources.yaml").write_text(yaml.safe_dump(sources))
        nice = int(yaml.safe_load((cfg / "settings.yaml").read_text()).get("schedule", {}).get("crawl_nice", 10))
        env = {k: v for k, v in os.environ.items() if k not in ("NEWSWATCH_DB", "NEWSWATCH_CONFIG")}
        cmd = [sys.executable, "-m", "newswatch", "--config", str(cfg), "--db", str(db), "crawl", "--quiet"]
        t0 = time.perf_counter()
        crawl = subprocess.Popen(
            cmd,
            env=env,
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: os.nice(nice),
        )
        time.sleep(15)  # the crawl child has started, loaded spaCy and is storing pages
        lat: list[float] = []
        alerts = 0
        i = 0
        while crawl.poll() is None and len(lat) < n:
            s = time.perf_counter()
            row = svc.ingest_and_wait(f"{site.base}/xiaomi-blacklist-award.html?during={i}", timeout=120)
            if crawl.poll() is not None:
                break  # finished after the crawl: not "during"
            lat.append(time.perf_counter() - s)
            alerts += bool((row.get("result") or {}).get("alerts"))
            i += 1
        crawl.wait()
        crawl_s = time.perf_counter() - t0
    if not lat:
        print("the crawl ended before any ingest finished: use more --during-crawl pages")
        return
    print(
        f"during a crawl of {pages} real pages ({crawl_s:.0f}s, nice {nice}, exit {crawl.returncode}): {len(lat)} "
        f"ingests one at a time, {alerts} with their alerts; POST -> done: p50 {percentile(lat, 0.5):.2f}s, "
        f"p99 {percentile(lat, 0.99):.2f}s, max {max(lat):.2f}s; load average {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=40, help="pages to ingest")
    ap.add_argument("--during-crawl", type=int, default=0, help="also ingest while a crawl of N real pages runs")
    ap.add_argument("--aeb", type=Path, default=AEB_DIR, help="the Article Extraction Benchmark (read in place)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FixtureSite("127.0.0.2") as site:
        tmpdir = Path(tmp)
        cfg = make_config(tmpdir / "config", service={"allow": ["127.0.0.2/32:*"], "max_queue": args.n + 10})
        t0 = time.perf_counter()
        svc = ServiceProcess(cfg, tmpdir / "n.db", tmpdir / "svc.log", args=["--no-scheduler"])
        try:
            svc.wait_ready()
            ready = time.perf_counter() - t0
            rss = psutil.Process(svc.proc.pid).memory_info().rss / 2**20
            print(
                f"service ready (spaCy loaded) in {ready:.1f}s; RSS {rss:.0f} MiB; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            burst(svc, site, args.n)
            if args.during_crawl:
                during_crawl(svc, site, cfg, tmpdir / "n.db", args.during_crawl, args.n, args.aeb)
        finally:
            svc.stop()


if __name__ == "__main__":
    main()
