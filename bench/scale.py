"""Scale-out throughput: generated pages through the Redis page stream with 1, 2 and 3
``newswatch worker`` processes and one ``newswatch committer``, against the single-process floor,
and a paper estimate for many worker machines from the measured per-page costs.

    .venv/bin/python bench/scale.py [--pages 300] [--workers 1 2 3] [--no-floor]

Needs Redis (``NEWSWATCH_TEST_REDIS_URL`` or 127.0.0.1:6379; keys under a prefix of its own,
deleted after). Each run: a fresh database and key prefix; the workers and the committer are
started and wait until every worker has loaded its model; then the pages are queued at once
(the crawl is left out: fetching is not what scales here) and the clock runs until the committer
has stored the last one. Per-page costs: worker busy seconds (prepare), the committer's seconds
in ``pipeline.commit``, Redis CPU (``INFO cpu`` of the server during the run: all its clients,
idle polling included) and bytes on the stream; then the stream alone (every Redis command a page
costs, no prepare and no store), whose Redis CPU per page the estimate uses. Floor: bare
``trafilatura.extract`` + ``nlp.pipe`` in this one process, as ``bench/throughput.py``.
Figures, not assertions: run by hand, never by CI.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import redis
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pagegen import generate  # noqa: E402
from throughput import floor  # noqa: E402

from newswatch.config import PACKAGE_CONFIG_DIR, load_settings  # noqa: E402
from newswatch.crawler.streams import PageStream, connect, page_fields  # noqa: E402
from newswatch.models import FetchedPage  # noqa: E402
from newswatch.store import open_db  # noqa: E402

REDIS_URL = os.environ.get("NEWSWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def write_config(tmp: Path, prefix: str) -> Path:
    cfg = tmp / "config"
    shutil.copytree(PACKAGE_CONFIG_DIR, cfg)
    path = cfg / "settings.yaml"
    data = yaml.safe_load(path.read_text())
    data["scale"] = {**data.get("scale", {}), "redis_url": REDIS_URL, "key_prefix": prefix, "max_queued_pages": 100000}
    data["alerts"] = {**data.get("alerts", {}), "sink": "terminal"}
    path.write_text(yaml.safe_dump(data))
    return cfg


def redis_cpu(r: redis.Redis) -> float:
    info: Any = r.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def run(pages: list, n_workers: int) -> dict[str, float]:
    """One run with ``n_workers`` worker processes; its figures."""
    prefix = f"nwbench-{uuid.uuid4().hex[:10]}"
    r = redis.Redis.from_url(REDIS_URL)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(Path(tmp), prefix)
        db_file = Path(tmp) / "bench.db"
        open_db(db_file).conn.close()
        scale = load_settings(cfg).scale
        stream = PageStream(connect(scale), scale)
        stream.ensure_groups()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        base = [sys.executable, "-m", "newswatch", "--config", str(cfg), "--db", str(db_file)]
        procs = [
            subprocess.Popen([*base, "worker", "--name", f"w{i}"], env=env, stderr=subprocess.DEVNULL)
            for i in range(n_workers)
        ]
        committer = subprocess.Popen([*base, "committer"], env=env, stderr=subprocess.PIPE, text=True)
        try:
            while len(r.smembers(stream.keys.workers)) < n_workers:  # every model loaded
                time.sleep(0.2)
            cpu0, t0 = redis_cpu(r), time.perf_counter()
            load0 = os.getloadavg()[0]
            nbytes = 0
            pipe = r.pipeline(transaction=False)
            for p in pages:
                page = FetchedPage(
                    url=f"https://bench.example{p.path}", body=p.html.encode(), source="bench", source_kind="news"
                )
                fields = page_fields(page, None)
                nbytes += sum(len(v) for v in fields.values())
                pipe.xadd(stream.keys.pages, fields)
            pipe.execute()
            while not stream.drained():
                time.sleep(0.05)
            wall = time.perf_counter() - t0
            cpu = redis_cpu(r) - cpu0
            load1 = os.getloadavg()[0]
            st = stream.state()
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            committer.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(60)
            _, err = committer.communicate(timeout=60)
            keys = list(r.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                r.delete(*keys)
        m = re.search(r"\(([\d.]+) s storing\)", err or "")
        stored = open_db(db_file)["articles"].count
    busy = sum(w.get("busy_seconds", 0.0) for w in st.workers.values())
    return {
        "workers": n_workers,
        "pages": len(pages),
        "stored": stored,
        "wall": wall,
        "rate": len(pages) / wall,
        "prepare_ms": 1000 * busy / len(pages),
        "commit_ms": 1000 * float(m.group(1)) / len(pages) if m else float("nan"),
        "redis_cpu_ms": 1000 * cpu / len(pages),
        "kb_per_page": nbytes / len(pages) / 1024,
        "load": (load0 + load1) / 2,
    }


def redis_path(pages: list, rounds: int = 3) -> tuple[float, float]:
    """The stream's own cost, no prepare and no store: every page through XADD, a worker's read
    and hand-on (MULTI: XADD result + XACK + XDEL), the committer's read and XACK + XDEL, in
    batches of 8 as the defaults. Returns (wall ms per page, Redis server CPU ms per page)."""
    from newswatch.crawler.streams import Handed

    prefix = f"nwbench-{uuid.uuid4().hex[:10]}"
    r = redis.Redis.from_url(REDIS_URL)
    cfg_dir = write_config(Path(tempfile.mkdtemp()), prefix)
    scale = load_settings(cfg_dir).scale
    shutil.rmtree(cfg_dir.parent, ignore_errors=True)
    stream = PageStream(connect(scale), scale)
    stream.ensure_groups()
    n = 0
    cpu0, t0 = redis_cpu(r), time.perf_counter()
    try:
        for _ in range(rounds):
            for p in pages:
                page = FetchedPage(url=f"https://bench.example{p.path}", body=p.html.encode(), source="bench")
                stream.add(page, None)
            while True:
                entries = stream.take("bench", 8, block_ms=10)
                if not entries:
                    break
                # a result about the size of a real one (the article text and its findings, as JSON)
                stream.hand_on("bench", [Handed(e, error="x" * (len(e.page.body) // 2)) for e in entries], 0.0)
                done = stream.take_prepared("committer", 8, block_ms=10)
                stream.committed([d.id for d in done])
                n += len(entries)
        wall, cpu = time.perf_counter() - t0, redis_cpu(r) - cpu0
    finally:
        keys = list(r.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            r.delete(*keys)
    return 1000 * wall / n, 1000 * cpu / n


def estimate(base: dict[str, float], cores_per_machine: int) -> None:
    """Paper estimate for 10 and 100 worker machines from one run's per-page costs."""
    per_core = 1000 / base["prepare_ms"]  # pages/s one worker process sustains
    committer = 1000 / base["commit_ms"]  # the one writer (SQLite), pages/s
    redis_cap = 1000 / max(base["redis_cpu_ms"], 1e-6)  # one Redis core, pages/s (all stream commands)
    print("\npaper estimate (measured per-page costs; one worker process per core):")
    print(f"  one worker process: {per_core:.1f} pages/s ({base['prepare_ms']:.0f} ms/page prepare)")
    print(f"  committer ceiling: {committer:.0f} pages/s ({base['commit_ms']:.1f} ms/page in pipeline.commit)")
    print(f"  Redis ceiling: {redis_cap:.0f} pages/s ({base['redis_cpu_ms']:.2f} ms Redis CPU/page)")
    print(f"  stream bytes: {base['kb_per_page']:.1f} kB/page in, about the same again as JSON results")
    for machines in (10, 100):
        workers = machines * cores_per_machine * per_core
        limit = min(workers, committer, redis_cap)
        who = "workers" if limit == workers else ("committer" if limit == committer else "Redis")
        mbit = limit * base["kb_per_page"] * 2 * 8 / 1024
        print(
            f"  {machines:3d} machines x {cores_per_machine} cores: workers could do {workers:.0f} pages/s; "
            f"sustained {limit:.0f} pages/s, limited by the {who} (~{mbit:.0f} Mbit/s through Redis)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--cores-per-machine", type=int, default=8, help="for the paper estimate")
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    pages = generate(args.pages, seed=args.seed)
    print(f"{len(pages)} pages; {os.cpu_count()} cores here; load average {os.getloadavg()}")
    results = []
    for n in args.workers:
        res = run(pages, n)
        results.append(res)
        print(
            f"{n} worker(s): {res['stored']} stored in {res['wall']:.1f}s = {res['rate']:.2f} pages/s; "
            f"prepare {res['prepare_ms']:.0f} ms/page, commit {res['commit_ms']:.1f} ms/page, "
            f"Redis CPU {res['redis_cpu_ms']:.2f} ms/page; load average ~{res['load']:.1f}"
        )
    if not args.no_floor:
        seconds, _rss = floor(pages, load_settings(PACKAGE_CONFIG_DIR).nlp.model)
        frate = len(pages) / seconds
        print(f"floor (one process, bare extract + nlp.pipe): {frate:.2f} pages/s")
        for res in results:
            print(f"  {res['workers']} worker(s) / floor: {res['rate'] / frate:.2f}")
    first = results[0]
    for res in results[1:]:
        print(f"  {res['workers']} workers / 1 worker: {res['rate'] / first['rate']:.2f}")
    wall_ms, cpu_ms = redis_path(pages)
    print(f"stream alone (no prepare, no store): {wall_ms:.2f} ms/page wall, {cpu_ms:.3f} ms Redis CPU/page")
    estimate({**first, "redis_cpu_ms": cpu_ms}, args.cores_per_machine)


if __name__ == "__main__":
    main()
