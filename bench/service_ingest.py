"""On-demand ingestion through the HTTP API of a real ``newswatch run`` process: start-up time,
accept latency, end-to-end latency per page (fetch + pipeline + store), throughput, memory.

    .venv/bin/python bench/service_ingest.py [-n 40]

Serves the fixture page at N distinct URLs from 127.0.0.2 (allowlisted in a temp config).
Never run by CI; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.service.support import FixtureSite, ServiceProcess, make_config  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=40, help="pages to ingest")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FixtureSite("127.0.0.2") as site:
        tmpdir = Path(tmp)
        cfg = make_config(tmpdir / "config", service={"allow": ["127.0.0.2/32"], "max_queue": args.n + 10})
        t0 = time.perf_counter()
        svc = ServiceProcess(cfg, tmpdir / "n.db", tmpdir / "svc.log", args=["--no-scheduler"])
        try:
            svc.wait_ready()
            ready = time.perf_counter() - t0
            accept, ids, sent = [], [], {}
            t1 = time.perf_counter()
            for i in range(args.n):
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
            rss = psutil.Process(svc.proc.pid).memory_info().rss / 2**20
            lat = sorted(v[0] for v in done.values())
            states = [v[1] for v in done.values()]
            print(f"service ready (spaCy loaded) in {ready:.1f}s; RSS {rss:.0f} MiB")
            print(
                f"POST /ingest accept latency: median {statistics.median(accept) * 1000:.1f} ms, "
                f"max {max(accept) * 1000:.1f} ms"
            )
            print(
                f"{args.n} pages queued at once: all finished in {wall:.1f}s ({args.n / wall:.1f} pages/s), "
                f"done={states.count('done')} failed={states.count('failed')}"
            )
            print(
                f"end-to-end latency (queue wait included): p50 {lat[len(lat) // 2]:.2f}s, "
                f"p95 {lat[int(len(lat) * 0.95) - 1]:.2f}s; first page {min(lat):.2f}s"
            )
            print(f"SSRF refusal (metadata address) round trip: {refuse * 1000:.1f} ms")
        finally:
            svc.stop()


if __name__ == "__main__":
    main()
