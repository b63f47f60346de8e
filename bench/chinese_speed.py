"""Speed of the Chinese annotator and tie rules (nlp/zh) on the Chinese real articles of
``../shared/benchmarks/real-articles/`` (read in place), one by one and concatenated into long texts.

    .venv/bin/python bench/chinese_speed.py [--dir DIR] [--repeat 3]

Prints the first call (jieba's dictionary load), ms per article, and seconds for one text of
1x, 8x, 32x and 48x the articles joined (the cost must stay near linear in the text's length: a
text longer than 20,000 characters is annotated in windows, nlp/zh/annotate.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newswatch.nlp.zh import ChineseNlp, load_zh_lexicon  # noqa: E402
from newswatch.nlp.zh.ties import ChineseTies  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "benchmarks" / "real-articles" / "articles"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    texts = [json.loads(p.read_text(encoding="utf-8"))["text"] for p in sorted(args.dir.glob("*zh-*.json"))]
    if not texts:
        print(f"no Chinese articles (*zh-*.json) in {args.dir}", file=sys.stderr)
        return 2
    nlp = ChineseNlp(load_zh_lexicon(ROOT / "newswatch" / "defaults" / "lexicon_zh.yaml"))
    ties = ChineseTies(nlp)
    t0 = time.perf_counter()
    nlp(texts[0])
    print(f"first call (jieba dictionary load): {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for text in texts:
            ties(nlp(text))
    n = args.repeat * len(texts)
    per = (time.perf_counter() - t0) / n
    print(f"{n} articles (mean {sum(map(len, texts)) // len(texts)} characters): {1000 * per:.1f} ms per article")
    for k in (1, 8, 32, 48):
        big = "\n".join(texts * k)
        t0 = time.perf_counter()
        found = ties(nlp(big))
        print(f"one text of {len(big):>7} characters: {time.perf_counter() - t0:6.2f} s ({len(found)} findings)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
