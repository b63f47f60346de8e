"""Real news pages for the throughput benchmark: the 181 pages of the Article Extraction Benchmark
(``../shared/benchmarks/aeb/html/*.html.gz``, read in place, never copied) with the tie pages of
``fixtures/eval`` (pages whose sidecar expects a finding) mixed in at one in ``every``.

Each page of the mix is served at its own path, so a page repeated in a long mix is a new article
to the crawl (its URL is new) and goes through every stage again.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from pagegen import GenPage

ROOT = Path(__file__).resolve().parent.parent
AEB_DIR = ROOT.parent / "shared" / "benchmarks" / "aeb"
if not AEB_DIR.exists():
    AEB_DIR = Path("/work/shared/benchmarks/aeb")


def aeb_pages(aeb_dir: Path) -> list[str]:
    """The HTML of every AEB page, in file-name order."""
    files = sorted((aeb_dir / "html").glob("*.html.gz"))
    if not files:
        raise SystemExit(f"no pages (html/*.html.gz) in {aeb_dir}")
    return [gzip.decompress(f.read_bytes()).decode("utf-8", errors="replace") for f in files]


def tie_pages(eval_dir: Path) -> list[str]:
    """The HTML of the labelled pages that state at least one tie."""
    out = []
    for html in sorted(eval_dir.glob("*.html")):
        side = yaml.safe_load(html.with_suffix(".yaml").read_text(encoding="utf-8")) or {}
        if side.get("findings"):
            out.append(html.read_text(encoding="utf-8"))
    return out


def real_mix(
    n: int, aeb_dir: Path = AEB_DIR, eval_dir: Path = ROOT / "fixtures" / "eval", every: int = 20
) -> list[GenPage]:
    """``n`` pages: real news, every ``every``-th a tie page of the labelled set, cycling both."""
    news, ties = aeb_pages(aeb_dir), tie_pages(eval_dir)
    start = datetime(2026, 1, 5, tzinfo=UTC)
    pages = []
    for i in range(n):
        if i % every == every - 1:
            body, kind = ties[(i // every) % len(ties)], "tie"
        else:
            body, kind = news[(i - i // every) % len(news)], "news"
        pages.append(GenPage(f"/{kind}/{i}.html", f"{kind} page {i}", body, start + timedelta(minutes=i)))
    return pages
