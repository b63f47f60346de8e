"""Scoring tie detection against the labelled pages in ``fixtures/eval/``.

Plain functions: :func:`load_labelled` reads pages and their expected findings, :func:`run_page`
sends one page through the real pipeline stages (extract + analyse, no database),
:func:`score_page` matches expected against found findings, :func:`summarize` turns page scores
into precision / recall / F1 per tie kind and overall.

Matching (documented so labels and detector meet on meaning, not spelling):
- entity: same type, and the same watchlist entity when both names resolve to one; otherwise the
  :func:`~newswatch.watchlists.normalize_name` forms are equal, or one's words are the start of
  the other's ("Hesai" ~ "Hesai Group", "Luokung" ~ "Luokung Technology Corp");
- tie: equal;
- reason: both sides canonicalised (a list alias or issuer becomes its list's name via the
  lexicon, and so does a descriptive name holding one: "SDN List (Iran-related)"; quotes, a
  leading "the", case and punctuation dropped); equal, or one contains the other
  ("Outstanding Builder of Socialism" ~ "... with Chinese Characteristics",
  "Red Dot Award" ~ "Red Dot Award: Product Design 2022");
  a Chinese name is read in simplified characters and, given the Chinese lexicon, becomes the
  English name of the list or honour it contains ("第一届优秀中国特色社会主义事业建设者");
- ``via`` is not compared: a propagated finding and a direct one for the same entity, tie and
  reason count once (the alert key is the same).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import NewswatchError
from .models import TIES, FetchedPage, Finding
from .nlp.extract import extract
from .nlp.lexicon import Lexicon
from .nlp.zh.lexicon import ZhLexicon
from .nlp.zh.text import to_simplified
from .watchlists import Watchlist, normalize_name


@dataclass(frozen=True)
class Expected:
    """One labelled finding."""

    entity: str
    entity_type: str
    tie: str
    reason: str
    via: str | None = None


@dataclass
class LabelledPage:
    name: str
    path: Path
    url: str
    style: str
    expected: list[Expected]


@dataclass
class PageScore:
    """Matches, misses (expected, not found) and false alarms (found, not expected) of one page."""

    name: str
    style: str
    matched: list[tuple[Expected, Finding]] = field(default_factory=list)
    misses: list[Expected] = field(default_factory=list)
    false_alarms: list[Finding] = field(default_factory=list)
    miss_context: dict[int, str] = field(default_factory=dict)  # index in misses -> sentence naming the entity


def load_labelled(eval_dir: Path) -> list[LabelledPage]:
    """Every ``NAME.html`` with its ``NAME.yaml`` in ``eval_dir``, sorted by name."""
    pages = []
    for html in sorted(eval_dir.glob("*.html")):
        side = html.with_suffix(".yaml")
        if not side.exists():
            raise NewswatchError(f"{html.name}: no sidecar {side.name} with its expected findings")
        data = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
        try:
            expected = [
                Expected(e["entity"], e["entity_type"], e["tie"], e["reason"], e.get("via"))
                for e in data.get("findings") or []
            ]
        except (KeyError, TypeError) as exc:
            raise NewswatchError(f"{side.name}: each finding needs entity, entity_type, tie, reason ({exc})") from None
        for e in expected:
            if e.tie not in TIES or e.entity_type not in ("ORG", "PERSON"):
                raise NewswatchError(f"{side.name}: bad tie or entity_type in {e}")
        pages.append(
            LabelledPage(
                html.stem,
                html,
                data.get("url") or f"https://eval.example/{html.stem}",
                data.get("style", "?"),
                expected,
            )
        )
    if not pages:
        raise NewswatchError(f"no labelled pages (*.html + *.yaml) in {eval_dir}")
    return pages


def run_page(pipeline: Any, page: LabelledPage) -> tuple[str, list[Finding]]:
    """Extract and analyse one page with the real pipeline; (article text, findings the text states).

    Findings from list data (``source == "watchlist"``: a listed name was mentioned) are left out:
    the labels say what each page states, and a list entry is not a statement of the page."""
    fetched = FetchedPage(url=page.url, body=page.path.read_bytes(), source="eval", source_kind="news")
    article = extract(fetched)
    _, findings = pipeline.analyse(article)
    return article.text, [f for f in findings if f.source == "text"]


def reason_key(reason: str, lexicon: Lexicon | None = None, zh: ZhLexicon | None = None) -> str:
    """Canonical comparable form of a list or award name."""
    text = unicodedata.normalize("NFKC", reason).replace("’", "'")
    text = to_simplified(text)  # Chinese names compare in simplified characters (全國 ~ 全国)
    if zh is not None:
        text = zh.canonical(text) or text  # a Chinese name becomes the list's or honour's English one
    text = re.sub(r"[\"“”‘«»„]", "", text).strip()
    if lexicon is not None:
        bare = re.sub(r"^(the|its|a)\s+", "", text, flags=re.I)
        text = (
            lexicon.list_for_alias(text)
            or lexicon.list_for_alias(bare)
            or lexicon.list_for_issuer(text)
            or lexicon.list_named_in(text)
            or text
        )
    text = text.casefold()
    text = re.sub(r"^(the|a|an)\s+", "", text)
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def reasons_match(a: str, b: str, lexicon: Lexicon | None = None, zh: ZhLexicon | None = None) -> bool:
    ka, kb = reason_key(a, lexicon, zh), reason_key(b, lexicon, zh)
    if not ka or not kb:
        return False
    if ka == kb or ka.replace(" ", "") == kb.replace(" ", ""):
        return True
    short, long = sorted((ka, kb), key=len)
    return len(short) >= 6 and f" {short} " in f" {long} "


def _entity_keys(name: str, etype: str, entity_id: str | None, watchlist: Watchlist | None) -> tuple[str | None, str]:
    wid = entity_id
    if wid is None and watchlist is not None:
        w = watchlist.resolve(name, etype)
        wid = w.id if w else None
    return wid, normalize_name(name)


def entities_match(exp: Expected, f: Finding, watchlist: Watchlist | None = None) -> bool:
    if exp.entity_type != f.entity_type:
        return False
    eid, enorm = _entity_keys(exp.entity, exp.entity_type, None, watchlist)
    fid, fnorm = _entity_keys(f.explain.get("as_written", f.entity), f.entity_type, f.entity_id, watchlist)
    if eid or fid:
        if eid == fid:
            return True
        if eid and fid:
            return False
    fnorm2 = normalize_name(f.entity)
    for cand in {fnorm, fnorm2}:
        if not cand or not enorm:
            continue
        a, b = sorted((enorm.split(), cand.split()), key=len)
        if b[: len(a)] == a:
            return True
    return False


def score_page(
    name: str,
    expected: list[Expected],
    found: list[Finding],
    watchlist: Watchlist | None = None,
    lexicon: Lexicon | None = None,
    style: str = "?",
    zh: ZhLexicon | None = None,
) -> PageScore:
    """Match expected findings to found ones one-to-one (found duplicates by entity/tie/reason collapse);
    ``zh``: the Chinese lexicon, so a Chinese name of a list or honour meets its English name."""
    score = PageScore(name, style)
    unique: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.via is not None, -f.confidence)):
        if not any(
            f.tie == u.tie and f.entity_key == u.entity_key and reasons_match(f.reason, u.reason, lexicon, zh)
            for u in unique
        ):
            unique.append(f)
    left = list(unique)
    for exp in expected:
        hit = next(
            (
                f
                for f in left
                if f.tie == exp.tie
                and entities_match(exp, f, watchlist)
                and reasons_match(exp.reason, f.reason, lexicon, zh)
            ),
            None,
        )
        if hit is None:
            score.misses.append(exp)
        else:
            left.remove(hit)
            score.matched.append((exp, hit))
    score.false_alarms = left
    return score


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}


def summarize(scores: list[PageScore]) -> dict[str, dict[str, float | int]]:
    """Precision, recall, F1 (and counts) per tie kind and ``overall``."""
    out = {}
    for tie in (*TIES, "overall"):

        def keep(t: str, tie: str = tie) -> bool:
            return tie == "overall" or t == tie

        tp = sum(1 for s in scores for e, _ in s.matched if keep(e.tie))
        fp = sum(1 for s in scores for f in s.false_alarms if keep(f.tie))
        fn = sum(1 for s in scores for e in s.misses if keep(e.tie))
        out[tie] = _prf(tp, fp, fn)
    return out


def sentence_naming(text: str, entity: str) -> str:
    """The first sentence-ish stretch of ``text`` that names ``entity`` (for showing misses)."""
    first = entity.split()[0]
    for chunk in re.split(r"(?<=[.!?])\s+", text):
        if first.casefold() in chunk.casefold():
            return chunk.strip()
    return ""


def evaluate(pipeline: Any, eval_dir: Path) -> tuple[dict[str, dict[str, float | int]], list[PageScore]]:
    """Run every labelled page through ``pipeline`` and score it."""
    scores = []
    for page in load_labelled(eval_dir):
        text, found = run_page(pipeline, page)
        s = score_page(
            page.name, page.expected, found, pipeline.watchlist, pipeline.lexicon, page.style, zh=pipeline.zh_lexicon
        )
        s.miss_context = {i: sentence_naming(text, m.entity) for i, m in enumerate(s.misses)}
        scores.append(s)
    return summarize(scores), scores
