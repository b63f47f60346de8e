"""Tie detection on real reporting: the hand-labelled real articles in
``../shared/benchmarks/real-articles/`` (read in place, never copied) through the real pipeline.

    .venv/bin/python bench/real_articles.py                    # figures of both splits, TUNE misses
    .venv/bin/python bench/real_articles.py --show report      # also the REPORT split's misses
    .venv/bin/python bench/real_articles.py --json
    .venv/bin/python bench/real_articles.py --dir DIR --config newswatch/defaults
    .venv/bin/python bench/real_articles.py --cascade both     # nlp.cascade on and off: same findings?

Every article goes through the stages after extraction exactly as ``Pipeline.prepare`` runs them
(the excerpts are already extracted text): annotate, resolve, ties, resolve, the rules of the
bundled config, and the one write transaction (``pipeline.commit``) into one fresh SQLite store.

Two scores, per tie, per language and overall, each for two fixed splits:

- *ties*: findings with source ``text`` against every label;
- *alerts*: findings the rules alerted against labels with ``alert: true``; a finding that matches
  an ``alert: false`` label (a commercial award) counts neither way.

Names are matched as ``bench/eval.py`` matches them (``newswatch.evaluation.score_page``).

Split (fixed, by article number N): N % 3 == 0 is REPORT, never looked at while tuning; the rest
is TUNE. By default only the TUNE split's misses and false alarms are printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newswatch.alerts.feedback import load_penalties  # noqa: E402
from newswatch.alerts.message import alert_text  # noqa: E402
from newswatch.evaluation import Expected, PageScore, score_page  # noqa: E402
from newswatch.models import TIES, AlertDraft, Article, FetchedPage, Finding, Prepared, alert_key, content_hash  # noqa: E402
from newswatch.pipeline import Pipeline, commit  # noqa: E402
from newswatch.store import open_db  # noqa: E402
from newswatch.urls import canonicalize  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "benchmarks" / "real-articles" / "articles"
if not DEFAULT_DIR.exists():
    DEFAULT_DIR = Path("/work/shared/benchmarks/real-articles/articles")
SOURCE_KIND = {"news": "news", "press": "news", "filing": "filing"}


def split_of(number: int) -> str:
    return "report" if number % 3 == 0 else "tune"


@dataclass
class Scored:
    """One article's two scores."""

    name: str
    number: int
    language: str
    text: str
    ties: PageScore
    alerts: PageScore
    alert_neutral: int = 0  # alerted findings that matched an alert: false label
    alert_false: set[int] = field(default_factory=set)  # ids of alert: false Expected objects
    decided: list[str] = field(default_factory=list)  # every finding with its action, field by field

    @property
    def split(self) -> str:
        return split_of(self.number)


def load_article(path: Path) -> tuple[dict[str, Any], list[Expected], list[bool]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    expected = [Expected(e["entity"], e["entity_type"], e["tie"], e["reason"], e.get("via")) for e in data["expected"]]
    alerts = [bool(e.get("alert", True)) for e in data["expected"]]
    return data, expected, alerts


def run_article(pipeline: Pipeline, db: Any, path: Path, data: dict[str, Any]) -> list[tuple[Finding, str]]:
    """The stages of ``Pipeline.prepare`` after extraction, then ``commit``: (finding, action) pairs."""
    url = data["url"]
    kind = SOURCE_KIND.get(data.get("kind", "news"), "news")
    page = FetchedPage(url=url, body=data["text"].encode("utf-8"), source="real-articles", source_kind=kind)  # type: ignore[arg-type]
    article = Article(
        url=url,
        canonical_url=canonicalize(url),
        text=data["text"],
        title=data.get("title"),
        language=data.get("language"),
    )
    pipeline.sync_watchlists(db)
    penalties = load_penalties(db, pipeline.settings.alerts.false_positive_penalty)
    timings: dict[str, float] = {}
    mentions, findings = pipeline.analyse(article, timings)
    decided = pipeline.decide(findings, kind, penalties=penalties)
    prepared = Prepared(
        page=page,
        article=article,
        content_hash=content_hash(article),
        mentions=mentions,
        decided=decided,
        drafts=[
            AlertDraft(key=alert_key(f), finding=f, decision=d, text=alert_text(f.entity, f.tie, f.reason))
            for f, d in decided
            if d.action == "alert"
        ],
        force=True,
        timings=timings,
    )
    commit(db, prepared, pipeline.settings.alerts)
    return [(f, d.action) for f, d in decided]


def run_all(pipeline: Pipeline, files: list[Path]) -> list[Scored]:
    """Every article scored through the pipeline into one fresh store."""
    with tempfile.TemporaryDirectory(prefix="nw-real-") as tmp:
        db = open_db(Path(tmp) / "real.db")
        scored = [score_article(pipeline, db, f) for f in files]
        db.close()
    return scored


def score_article(pipeline: Pipeline, db: Any, path: Path) -> Scored:
    data, expected, alert_flags = load_article(path)
    decided = run_article(pipeline, db, path, data)
    text_findings = [f for f, _ in decided if f.source == "text"]
    alerted = [f for f, action in decided if action == "alert"]
    zh = pipeline.zh_lexicon
    ties = score_page(path.stem, expected, text_findings, pipeline.watchlist, pipeline.lexicon, zh=zh)
    alerts = score_page(path.stem, expected, alerted, pipeline.watchlist, pipeline.lexicon, zh=zh)
    false_ids = {id(e) for e, flag in zip(expected, alert_flags, strict=True) if not flag}
    neutral = [(e, f) for e, f in alerts.matched if id(e) in false_ids]
    alerts.matched = [(e, f) for e, f in alerts.matched if id(e) not in false_ids]
    alerts.misses = [e for e in alerts.misses if id(e) not in false_ids]
    return Scored(
        path.stem,
        int(path.name[:3]),
        data["language"],
        data["text"],
        ties,
        alerts,
        alert_neutral=len(neutral),
        alert_false=false_ids,
        decided=sorted(
            repr((f.entity, f.entity_id, f.tie, f.reason, f.evidence, f.via, round(f.confidence, 3), f.source, a))
            for f, a in decided
        ),
    )


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3)}


def table(scored: list[Scored], which: str) -> dict[str, dict[str, float | int]]:
    """Rows keyed "<language>/<tie>" and "all/<tie>" (tie or "overall")."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in scored:
        page: PageScore = getattr(s, which)
        for lang in (s.language, "all"):
            for tie in (*TIES, "overall"):

                def keep(t: str, tie: str = tie) -> bool:
                    return tie == "overall" or t == tie

                c = counts[f"{lang}/{tie}"]
                c[0] += sum(1 for e, _ in page.matched if keep(e.tie))
                c[1] += sum(1 for f in page.false_alarms if keep(f.tie))
                c[2] += sum(1 for e in page.misses if keep(e.tie))
    order = sorted(counts, key=lambda k: ({"en": 0, "zh": 1, "all": 9}.get(k.split("/")[0], 5), k))
    return {k: prf(*counts[k]) for k in order}


def sentence_naming(text: str, entity: str) -> str:
    """The line/sentence of ``text`` that names ``entity`` (for showing a miss)."""
    import re

    for chunk in re.split(r"(?<=[.!?。！？])\s+|\n+", text):
        if entity.casefold() in chunk.casefold():
            return " ".join(chunk.split())[:400]
    return ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--config", type=Path, default=ROOT / "newswatch" / "defaults")
    ap.add_argument("--show", choices=["tune", "report", "both"], default="tune", help="whose misses to print")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cascade", choices=["on", "off", "both"], default="on", help="nlp.cascade (both: compare)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    files = sorted(args.dir.glob("[0-9][0-9][0-9]_*.json"))
    if not files:
        print(f"no articles (NNN_*.json) in {args.dir}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    pipeline = Pipeline.from_config(args.config)
    t1 = time.perf_counter()
    pipeline.settings.nlp.cascade = args.cascade != "off"
    scored = run_all(pipeline, files)
    t2 = time.perf_counter()
    out: dict[str, Any] = {"articles": len(scored), "seconds_model_load": round(t1 - t0, 1)}
    out["seconds_articles"] = round(t2 - t1, 1)
    out["cascade"] = args.cascade
    if args.cascade == "both":
        pipeline.settings.nlp.cascade = False
        t3 = time.perf_counter()
        off = {s.name: s for s in run_all(pipeline, files)}
        differ = [s for s in scored if s.decided != off[s.name].decided]
        out["seconds_articles_cascade_off"] = round(time.perf_counter() - t3, 1)
        out["cascade_on_off"] = {
            "identical": not differ,
            "differ": {split: sum(1 for s in differ if s.split == split) for split in ("tune", "report")},
            "tune_articles_differ": [s.name for s in differ if s.split == "tune"],  # REPORT ones are not named
        }
        if not args.json:
            print(f"cascade on and off: {out['cascade_on_off']}; off took {out['seconds_articles_cascade_off']}s")
    for split in ("tune", "report", "all"):
        part = [s for s in scored if split == "all" or s.split == split]
        out[split] = {"articles": len(part), "ties": table(part, "ties"), "alerts": table(part, "alerts")}
    show = {"tune", "report"} if args.show == "both" else {args.show}
    shown = [s for s in scored if s.split in show]
    out["misses"] = [
        {
            "article": s.name,
            "split": s.split,
            "score": which,
            "entity": e.entity,
            "tie": e.tie,
            "reason": e.reason,
            "via": e.via,
            "sentence": sentence_naming(s.text, e.entity),
        }
        for s in shown
        for which in ("ties", "alerts")
        for e in getattr(s, which).misses
    ]
    out["false_alarms"] = [
        {
            "article": s.name,
            "split": s.split,
            "score": which,
            "entity": f.entity,
            "entity_type": f.entity_type,
            "tie": f.tie,
            "reason": f.reason,
            "via": f.via,
            "trigger": f.explain.get("trigger"),
            "sentence": " ".join(f.evidence.split())[:400],
        }
        for s in shown
        for which in ("ties", "alerts")
        for f in getattr(s, which).false_alarms
    ]
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    print(
        f"{len(scored)} articles from {args.dir} ({out['seconds_model_load']}s model load, "
        f"{out['seconds_articles']}s articles)"
    )
    print("Split by article number N: REPORT = N % 3 == 0 (never tuned on), TUNE = the rest.\n")
    for split in ("tune", "report", "all"):
        block = out[split]
        print(f"== {split.upper()} split ({block['articles']} articles)")
        print(f"{'':14} {'ties P':>7} {'R':>6} {'tp/fp/fn':>10}   {'alerts P':>8} {'R':>6} {'tp/fp/fn':>10}")
        for key in block["ties"]:
            t, a = block["ties"][key], block["alerts"].get(key, prf(0, 0, 0))
            print(
                f"{key:<14} {t['precision']:>7.3f} {t['recall']:>6.3f} {t['tp']:>3}/{t['fp']}/{t['fn']:<4}  "
                f"{a['precision']:>8.3f} {a['recall']:>6.3f} {a['tp']:>3}/{a['fp']}/{a['fn']}"
            )
        print()
    label = " + ".join(sorted(x.upper() for x in show))
    for which in ("ties", "alerts"):
        misses = [m for m in out["misses"] if m["score"] == which]
        alarms = [a for a in out["false_alarms"] if a["score"] == which]
        print(f"-- {which.upper()} MISSES ({label} split: {len(misses)})")
        for m in misses:
            via = f" via {m['via']}" if m["via"] else ""
            print(f"- [{m['article']}] {m['entity']} {m['tie']} / {m['reason']}{via}\n    > {m['sentence']}")
        print(f"\n-- {which.upper()} FALSE ALARMS ({label} split: {len(alarms)})")
        for a in alarms:
            via = f" via {a['via']}" if a["via"] else ""
            print(
                f"- [{a['article']}] {a['entity']} ({a['entity_type']}) {a['tie']} / {a['reason']}{via} "
                f"[trigger {a['trigger']}]\n    > {a['sentence']}"
            )
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
