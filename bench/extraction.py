"""Extraction quality and speed on the Article Extraction Benchmark (../shared/benchmarks/aeb).

Runs newswatch's own extraction (``newswatch.nlp.extract.extract``) on the 181 pages and scores
it with the benchmark's metric: tokens are ``\\w+`` runs, each text a multiset of 4-token
shingles; per page, precision/recall are shingle-count overlaps; the means over pages give P and
R (pages with no predicted / true shingles left out of that mean), F1 from those means.

    .venv/bin/python bench/extraction.py [--aeb ../shared/benchmarks/aeb]

Never run by CI; the benchmark data is read in place, never copied into this repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from collections import Counter
from pathlib import Path

from newswatch.models import FetchedPage
from newswatch.nlp.extract import extract

TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter:
    toks = TOKEN.findall(text)
    return Counter(tuple(toks[i : i + n]) for i in range(max(0, len(toks) - n + 1)))


def score(pred: str, true: str) -> tuple[float | None, float | None]:
    p, t = shingles(pred), shingles(true)
    inter = sum((p & t).values())
    prec = inter / sum(p.values()) if p else None
    rec = inter / sum(t.values()) if t else None
    return prec, rec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "aeb"
    ap.add_argument("--aeb", type=Path, default=default)
    args = ap.parse_args()
    truth = json.loads((args.aeb / "ground-truth.json").read_text())
    precs, recs = [], []
    elapsed = 0.0
    empty = 0
    for pid, gt in sorted(truth.items()):
        html = gzip.open(args.aeb / "html" / f"{pid}.html.gz").read()
        page = FetchedPage(url=gt.get("url") or f"https://aeb.invalid/{pid}", body=html, source_kind="news")
        t0 = time.perf_counter()
        art = extract(page)
        elapsed += time.perf_counter() - t0
        empty += not art.text
        p, r = score(art.text, gt["articleBody"])
        if p is not None:
            precs.append(p)
        if r is not None:
            recs.append(r)
    P = sum(precs) / len(precs)
    R = sum(recs) / len(recs)
    F = 2 * P * R / (P + R)
    n = len(truth)
    print(f"pages {n}  empty {empty}")
    print(f"precision {P:.3f}  recall {R:.3f}  F1 {F:.3f}")
    print(f"time {elapsed:.1f}s  {n / elapsed:.1f} pages/s (one process)")


if __name__ == "__main__":
    main()
