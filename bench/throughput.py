"""End-to-end throughput: generated news pages served on 127.0.0.1, crawled by the real
``newswatch crawl`` into a fresh database, against the single-process floor.

    .venv/bin/python bench/throughput.py [--pages 2000] [--workers N] [--no-floor]
    .venv/bin/python bench/throughput.py --mix real [--aeb DIR] [--pages 1000] [--floor-pages N]
    .venv/bin/python bench/throughput.py ... --cascade off    # nlp.cascade: false in the bench config

``--mix real`` serves the 181 real news pages of ``../shared/benchmarks/aeb`` (read in place) with
the tie pages of ``fixtures/eval`` mixed in at one in twenty (``bench/realmix.py``) instead of the
generated pages (``bench/pagegen.py``, about one page in eight a tie).

Prints pages per second (wall time of the whole crawl, child start and model loads included),
seconds per stage summed over the processes that ran it (fetch = download latency), peak memory
of each process, what the cascade parsed (pages parsed whole, in windows, not at all), then the
floor: the same pages (or the first ``--floor-pages`` of them) through bare
``trafilatura.extract`` + ``nlp.pipe`` in this one process (model already loaded), and the ratio
end-to-end / floor.
Figures, not assertions: run by hand, never by CI.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pagegen import generate, rss, sitemap  # noqa: E402
from realmix import AEB_DIR, real_mix  # noqa: E402

from newswatch.config import load_settings  # noqa: E402
from newswatch.crawler import run_crawl  # noqa: E402


class PageServer:
    """Serves the generated pages, a feed and a sitemap from memory on 127.0.0.1."""

    def __init__(self, pages: list) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self.server = server
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        for p in pages:
            self.files[p.path] = (p.html.encode(), "text/html; charset=utf-8")
        self.files["/feed.xml"] = (rss(pages, self.base).encode(), "application/rss+xml")
        self.files["/sitemap.xml"] = (sitemap(pages, self.base).encode(), "application/xml")
        self.files["/robots.txt"] = (b"User-agent: *\nAllow: /\n", "text/plain")
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)

    def _handler(self) -> type:
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body, ctype = files.get(self.path, (b"not found", "text/plain"))
                self.send_response(200 if self.path in files else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_config(tmp: Path, base: str, pages: int, workers: int | None, cascade: bool = True) -> Path:
    cfg = tmp / "config"
    cfg.mkdir()
    for f in (ROOT / "newswatch" / "defaults").glob("*.yaml"):
        if f.name != "sources.yaml":
            shutil.copy(f, cfg / f.name)
    settings = yaml.safe_load((cfg / "settings.yaml").read_text())
    settings["nlp"]["cascade"] = cascade
    (cfg / "settings.yaml").write_text(yaml.safe_dump(settings))
    crawl = {
        "download_delay": 0,
        "autothrottle": False,
        "concurrency_per_domain": 16,
        "retry_times": 1,
        "timeout_seconds": 30,
        "max_articles_per_source": pages + 10,
        "workers": workers,
    }
    sources = [
        {"name": "bench-feed", "kind": "feed", "base_url": base, "feeds": ["/feed.xml"]},
        {"name": "bench-sitemap", "kind": "sitemap", "base_url": base, "sitemaps": ["/sitemap.xml"]},
    ]
    (cfg / "sources.yaml").write_text(yaml.safe_dump({"crawl": crawl, "sources": sources}))
    return cfg


def floor(pages: list, model: str) -> tuple[float, float]:
    """Bare trafilatura.extract + nlp.pipe in this process: (seconds, peak RSS MiB)."""
    import spacy
    import trafilatura

    nlp = spacy.load(model)
    gc.collect()
    t0 = time.perf_counter()
    texts = [trafilatura.extract(p.html) or "" for p in pages]
    t1 = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    t2 = time.perf_counter()
    print(f"  floor: extract {t1 - t0:.1f}s + nlp.pipe {t2 - t1:.1f}s")
    return t2 - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=None, help="crawl.workers (default: one per core)")
    ap.add_argument("--no-floor", action="store_true", help="skip the single-process floor")
    ap.add_argument("--floor-pages", type=int, default=None, help="floor on the first N pages only (per-page cost)")
    ap.add_argument("--mix", choices=["generated", "real"], default="generated")
    ap.add_argument("--aeb", type=Path, default=AEB_DIR, help="the Article Extraction Benchmark (read in place)")
    ap.add_argument("--cascade", choices=["on", "off"], default="on", help="nlp.cascade in the bench config")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    pages = real_mix(args.pages, args.aeb) if args.mix == "real" else generate(args.pages, seed=args.seed)
    words = sum(len(p.html.split()) for p in pages) / len(pages)
    print(f"{len(pages)} pages ({args.mix}), ~{words:.0f} whitespace tokens of HTML each; cascade {args.cascade}")
    with tempfile.TemporaryDirectory() as tmp, PageServer(pages) as web:
        cfg = write_config(Path(tmp), web.base, args.pages, args.workers, cascade=args.cascade == "on")
        db = Path(tmp) / "bench.db"
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        run = run_crawl(cfg, db)
        wall = time.perf_counter() - t0
        totals = run.totals()
        stored = totals["new"] + totals["updated"]
        stats = run.stats
        rate = stored / wall
        print(
            f"end-to-end: {stored} pages stored ({totals['failed']} failed, {totals['alerts']} alerts) in "
            f"{wall:.1f}s = {rate:.2f} pages/s; status {run.status}; workers {stats.get('workers')}; "
            f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f}"
        )
        print("  stage seconds (summed over processes; per page):")
        for stage, sec in sorted(stats.get("stage_seconds", {}).items(), key=lambda kv: -kv[1]):
            print(f"    {stage:9s} {sec:8.1f}s  {1000 * sec / max(1, stats.get('pages', 1)):7.1f} ms/page")
        print(f"  peak RSS MiB: {stats.get('peak_rss_mb')} (total {stats.get('peak_rss_mb_total')})")
        print(f"  parsed: {parsed_counts(db)}")
        if args.no_floor:
            return
        model = load_settings(cfg).nlp.model
        sample = pages[: args.floor_pages] if args.floor_pages else pages
        seconds, rss = floor(sample, model)
        frate = len(sample) / seconds
        print(f"floor (one process, {model}, {len(sample)} pages): {frate:.2f} pages/s, peak RSS {rss:.0f} MiB")
        print(f"ratio end-to-end / floor: {rate / frate:.2f}; load average now {os.getloadavg()[0]:.1f}")


def parsed_counts(db: Path) -> dict[str, int]:
    """Stored articles by what the full NLP pipeline read (``articles.nlp``: all, windows, none)."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("select json_extract(nlp, '$.parsed'), count(*) from articles group by 1").fetchall()
    return {str(k): v for k, v in rows}


if __name__ == "__main__":
    main()
