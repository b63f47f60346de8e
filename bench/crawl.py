"""Crawl benchmark: the whole fixture web (6 sources, 16 documents) into a fresh database, and an
incremental re-crawl, several times; prints wall time, pages/s and the child-process start-up cost.

    .venv/bin/python bench/crawl.py [--rounds 3]

Figures, not assertions: run by hand, never by CI.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from newswatch.crawler import run_crawl
from newswatch.crawler.localweb import FIXTURE_SITES, render_sources, serve_sites

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    sites = serve_sites()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = Path(tmp) / "config"
            cfg.mkdir()
            for f in (ROOT / "newswatch" / "defaults").glob("*.yaml"):
                if f.name != "sources.yaml":
                    shutil.copy(f, cfg / f.name)
            (cfg / "sources.yaml").write_text(render_sources(FIXTURE_SITES / "sources.yaml", sites))
            for r in range(args.rounds):
                db = Path(tmp) / f"bench{r}.db"
                t0 = time.perf_counter()
                full = run_crawl(cfg, db)
                t1 = time.perf_counter()
                again = run_crawl(cfg, db)
                t2 = time.perf_counter()
                n = full.totals()["fetched"]
                print(
                    f"round {r + 1}: full crawl {t1 - t0:.2f}s ({n} documents, {n / (t1 - t0):.2f} docs/s incl. "
                    f"child start + spaCy load), re-crawl {t2 - t1:.2f}s (fetched {again.totals()['fetched']})"
                )
    finally:
        for s in sites.values():
            s.stop()


if __name__ == "__main__":
    main()
