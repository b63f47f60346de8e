"""Detection quality on the labelled set: precision, recall, F1 per tie kind and overall,
then every miss and every false alarm with its evidence.

    .venv/bin/python bench/eval.py                # table + misses + false alarms
    .venv/bin/python bench/eval.py --json         # the same as JSON
    .venv/bin/python bench/eval.py --dir fixtures/eval --config config
    .venv/bin/python bench/eval.py --cascade both # with nlp.cascade on and off: the same findings?
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newswatch.evaluation import PageScore, evaluate  # noqa: E402
from newswatch.pipeline import Pipeline  # noqa: E402


def found(scores: list[PageScore]) -> dict[str, list[str]]:
    """Per page, every text finding the scoring saw (matched or false alarm), field by field."""
    out = {}
    for s in scores:
        fs = [f for _, f in s.matched] + list(s.false_alarms)
        out[s.name] = sorted(repr((f.entity, f.tie, f.reason, f.evidence, f.via, round(f.confidence, 3))) for f in fs)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=ROOT / "fixtures" / "eval")
    ap.add_argument("--config", type=Path, default=ROOT / "newswatch" / "defaults")
    ap.add_argument("--json", action="store_true", help="print JSON")
    ap.add_argument("--cascade", choices=["on", "off", "both"], default="on", help="nlp.cascade (both: compare)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    t0 = time.perf_counter()
    pipeline = Pipeline.from_config(args.config)
    pipeline.settings.nlp.cascade = args.cascade != "off"
    summary, scores = evaluate(pipeline, args.dir)
    elapsed = time.perf_counter() - t0
    same = None
    if args.cascade == "both":
        pipeline.settings.nlp.cascade = False
        t1 = time.perf_counter()
        summary_off, scores_off = evaluate(pipeline, args.dir)
        on, off = found(scores), found(scores_off)
        differ = sorted(name for name in on if on[name] != off.get(name))
        same = {"identical": not differ and summary == summary_off, "pages_differ": differ}
        print(
            f"cascade on: {elapsed:.1f}s incl. model load, off: {time.perf_counter() - t1:.1f}s; findings "
            f"{'identical' if same['identical'] else 'DIFFER on ' + ', '.join(differ)}; overall off: "
            f"{summary_off['overall']}",
            file=sys.stderr,
        )
    misses = [
        {
            "page": s.name,
            "entity": m.entity,
            "entity_type": m.entity_type,
            "tie": m.tie,
            "reason": m.reason,
            "context": s.miss_context.get(i, ""),
        }
        for s in scores
        for i, m in enumerate(s.misses)
    ]
    alarms = [
        {
            "page": s.name,
            "entity": f.entity,
            "entity_type": f.entity_type,
            "tie": f.tie,
            "reason": f.reason,
            "via": f.via,
            "evidence": f.evidence,
            "trigger": f.explain.get("trigger"),
        }
        for s in scores
        for f in s.false_alarms
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "pages": len(scores),
                    "expected": sum(len(s.matched) + len(s.misses) for s in scores),
                    "scores": summary,
                    "misses": misses,
                    "false_alarms": alarms,
                    "seconds": round(elapsed, 1),
                    "cascade": args.cascade,
                    "cascade_on_off": same,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    print(
        f"{len(scores)} pages, {sum(len(s.matched) + len(s.misses) for s in scores)} expected findings "
        f"({elapsed:.1f}s incl. model load)\n"
    )
    print(f"{'tie':<10} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}")
    for tie, m in summary.items():
        print(
            f"{tie:<10} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
            f"{m['tp']:>4} {m['fp']:>4} {m['fn']:>4}"
        )
    print(f"\nMISSES ({len(misses)})")
    for m in misses:
        print(f"- [{m['page']}] {m['entity']} ({m['entity_type']}) {m['tie']} / {m['reason']}\n    > {m['context']}")
    print(f"\nFALSE ALARMS ({len(alarms)})")
    for a in alarms:
        via = f" via {a['via']}" if a["via"] else ""
        print(
            f"- [{a['page']}] {a['entity']} ({a['entity_type']}) {a['tie']} / {a['reason']}{via} "
            f"[trigger {a['trigger']}]\n    > {a['evidence']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
