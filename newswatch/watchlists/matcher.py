"""Explainable name matching against every listed alias, at a cost that does not grow with the list.

Two ways in:

* :meth:`NameIndex.match` scores one name (an NER span) against *candidates*: aliases with the
  same normalized key, plus aliases sharing one of the query's two rarest tokens (postings longer
  than ``max_postings`` are cut), so a query never scans the list. Each candidate gets explicit
  features — ``exact`` (normalized keys equal), ``token_overlap`` (Jaccard of tokens), ``fuzzy``
  (rapidfuzz token-sort ratio), ``type_agree`` (ORG~company, PERSON~person), ``pinyin`` (a name in
  Han characters whose pinyin is a Latin alias: 曾毓群 ~ "Zeng Yuqun", scored 0.95) — and a score:
  1.0 when exact, else ``0.55 * fuzzy + 0.45 * token_overlap``; halved when the types disagree.
  A match needs ``score >= threshold`` (``settings.yaml`` ``matching.threshold``). At most
  ``max_postings`` entities sharing one normalized key are scored (a name shared by more entries
  than that is not a name that can identify anyone).
* :meth:`NameIndex.gazetteer` finds every listed alias in a whole text with one Aho-Corasick pass
  over the normalized tokens (keys are matched on token boundaries only), so names the NER missed
  are still found.

**Common-word rule.** A listed name whose normalized key is a single common English word
(``wordfreq`` Zipf frequency >= ``matching.common_word_zipf``, e.g. "Focus", "Apple", "Shell")
matches only when BOTH hold:

1. it is cased as a proper noun in the text ("Focus", "FOCUS"; never "focus"), and
2. something corroborates that a company/person is meant: the statistical NER labels that very
   span ORG/PERSON (not counted at a sentence start, where the small model tags many capitalised
   words), or a legal form follows it or is part of the name as written ("Focus Ltd", "Apple Inc."),
   or a company word is next to it ("shares of Focus", "Focus, the supplier"). One is enough.

Short aliases (under 4 characters, "DJI", "RT") only match as written, case-sensitively. Every
match carries its score and features; a rejected common-word hit says why in ``features``.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import ahocorasick
from rapidfuzz import fuzz, process

from .model import WatchEntity
from .normalize import is_legal_form, normalize_name, text_tokens
from .pinyin import compact, has_han, pinyin_key

log = logging.getLogger(__name__)

COMPANY_CONTEXT = {
    "company",
    "companies",
    "firm",
    "corp",
    "corporation",
    "maker",
    "manufacturer",
    "supplier",
    "startup",
    "brand",
    "subsidiary",
    "shares",
    "stock",
    "ceo",
    "chairman",
    "founder",
    "conglomerate",
    "retailer",
    "vendor",
    "contractor",
    "group",
    "inc",
    "ltd",
    "llc",
    "plc",
    "listed",
    "sanctioned",
    "blacklisted",
    "exporter",
    "importer",
    "operator",
}
LABEL_TYPE = {"ORG": "company", "PERSON": "person"}
SHORT = 4


@lru_cache(maxsize=100_000)
def common_word_zipf(word: str) -> float:
    """Zipf frequency of an English word (0 when unknown): 'focus' ~5.0, 'xiaomi' ~3.0."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def sentence_initial(text: str, start: int) -> bool:
    """True when ``start`` opens a sentence or a line (capitalised there for grammar, not as a name)."""
    before = text[:start].rstrip(" \t\"'“‘(«")
    return not before or before[-1] in ".!?:\n" or text[:start].endswith("\n")


def soft_token_overlap(a: str, b: str) -> float:
    """Share of tokens that agree (exactly, or ratio >= 0.85 for tokens of 5+ letters, so a typo
    still counts), over the longer token list."""
    at, bt = a.split(), b.split()
    if not at or not bt:
        return 0.0
    rest = list(bt)
    hits = 0
    for t in at:
        if t in rest:
            rest.remove(t)
            hits += 1
            continue
        if len(t) >= 5:
            best = max(rest, key=lambda u: fuzz.ratio(t, u), default=None)
            if best is not None and fuzz.ratio(t, best) >= 85:
                rest.remove(best)
                hits += 1
    return hits / max(len(at), len(bt))


@dataclass
class Match:
    """A name resolved to a listed entity: the alias it hit, the score and the features behind it."""

    entity: WatchEntity
    alias: str
    score: float
    features: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity.id,
            "name": self.entity.name,
            "type": self.entity.type,
            "list": self.entity.list_name,
            "reason": self.entity.reason,
            "monitored": self.entity.monitored,
            "alias": self.alias,
            "score": round(self.score, 3),
            "features": self.features,
        }


@dataclass
class TextHit:
    """A listed alias found in a text by the gazetteer pass: character span and its matches."""

    start: int
    end: int
    text: str
    matches: list[Match]


@dataclass(frozen=True)
class SpanInfo:
    """An NER entity span the gazetteer may use as corroboration (``ruler`` = tagged by our own ruler)."""

    start: int
    end: int
    label: str
    ruler: bool = False


class NameIndex:
    """All aliases of all watched entities, indexed by normalized key, rare tokens and Aho-Corasick."""

    def __init__(
        self,
        entities: Iterable[WatchEntity],
        *,
        threshold: float = 0.85,
        common_word_zipf: float = 3.5,
        max_postings: int = 256,
    ) -> None:
        self.threshold = threshold
        self.common_zipf = common_word_zipf
        self.max_postings = max_postings
        self.entities: list[WatchEntity] = []
        self.alias_text: list[str] = []
        self.alias_key: list[str] = []
        self.alias_ent: list[int] = []
        self.by_key: dict[str, list[int]] = {}
        self.postings: dict[str, list[int]] = {}
        self.by_compact: dict[str, list[int]] = {}  # Latin aliases, words run together (pinyin feature)
        self.skipped_aliases = 0
        for e in entities:
            self.add(e)
        self._automaton: ahocorasick.Automaton | None = None

    def add(self, e: WatchEntity) -> None:
        ei = len(self.entities)
        self.entities.append(e)
        seen: set[str] = set()
        for alias in e.all_names():
            key = normalize_name(alias)
            if not key:
                self.skipped_aliases += 1
                log.debug("alias %r of %s normalizes to nothing; not indexed", alias, e.id)
                continue
            if key in seen:
                continue
            seen.add(key)
            ai = len(self.alias_text)
            self.alias_text.append(alias)
            self.alias_key.append(key)
            self.alias_ent.append(ei)
            self.by_key.setdefault(key, []).append(ai)
            for tok in set(key.split()):
                self.postings.setdefault(tok, []).append(ai)
            if not has_han(alias):
                self.by_compact.setdefault(compact(key), []).append(ai)
        self._automaton = None

    @property
    def automaton(self) -> ahocorasick.Automaton:
        """Aho-Corasick automaton over ``" key "`` (built on first use, once)."""
        if self._automaton is None:
            auto = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
            for key in self.by_key:
                auto.add_word(f" {key} ", key)
            if len(auto):
                auto.make_automaton()
            self._automaton = auto
        return self._automaton

    def __len__(self) -> int:
        return len(self.alias_text)

    # -- one name ---------------------------------------------------------------------------

    def candidates(self, key: str) -> list[int]:
        """Alias ids worth scoring for ``key``: same key, plus postings of its two rarest tokens."""
        out = dict.fromkeys(self.by_key.get(key, [])[: self.max_postings])
        toks = sorted(set(key.split()), key=lambda t: len(self.postings.get(t, ())))
        for tok in toks[:2]:
            for ai in self.postings.get(tok, ())[: self.max_postings]:
                out[ai] = None
        return list(out)

    def score(self, key: str, label: str | None, ai: int) -> Match:
        """Score alias ``ai`` against a normalized query, with the features behind the score."""
        akey = self.alias_key[ai]
        ent = self.entities[self.alias_ent[ai]]
        exact = akey == key
        overlap = 1.0 if exact else soft_token_overlap(key, akey)
        fz = 1.0 if exact else fuzz.token_sort_ratio(key, akey) / 100.0
        want = LABEL_TYPE.get(label or "")
        type_agree = None if want is None else want == ent.type
        score = 1.0 if exact else 0.55 * fz + 0.45 * overlap
        if type_agree is False:
            score *= 0.5
        feats = {
            "exact": exact,
            "token_overlap": round(overlap, 3),
            "fuzzy": round(fz, 3),
            "type_agree": type_agree,
            "query_key": key,
            "alias_key": akey,
        }
        return Match(ent, self.alias_text[ai], score, feats)

    def match(
        self, name: str, label: str | None = None, *, limit: int = 5, from_ner: bool = True, all_scores: bool = False
    ) -> list[Match]:
        """Best match per entity for ``name`` (an NER span labelled ``label``), best first.

        Only matches at or above the threshold unless ``all_scores``. The common-word rule applies
        to ``name`` as written: "focus" never matches, "Focus" only as an NER span (``from_ner``).
        """
        key = normalize_name(name)
        if not key:
            return []
        best: dict[int, Match] = {}
        cands = self.candidates(key)
        # Cheap C-level prefilter: without a fuzzy ratio of at least this, the score cannot reach
        # the threshold (score <= 0.55 * fuzzy + 0.45), so those candidates are not scored in full.
        cutoff = 0.0 if all_scores else max(0.0, (self.threshold - 0.45) / 0.55 * 100 - 0.5)
        keep = process.extract(
            key, [self.alias_key[ai] for ai in cands], scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, limit=None
        )
        for _, _, pos in keep:
            ai = cands[pos]
            m = self.score(key, label, ai)
            ei = self.alias_ent[ai]
            if ei not in best or m.score > best[ei].score:
                best[ei] = m
        self._pinyin_matches(name, key, label, best)
        out = sorted(best.values(), key=lambda m: (-m.score, m.entity.list_name, m.entity.id))
        for m in out:
            if m.features["exact"]:
                corroborated: str | bool = False
                if len(text_tokens(name)) > len(key.split()):
                    corroborated = "legal form in the name"
                elif from_ner and label in LABEL_TYPE:
                    corroborated = f"NER labels it {label}"
                ok, why = self._common_word_ok(key, name.strip(), corroborated=corroborated)
                if why:
                    m.features["common_word"] = why
                if not ok:
                    m.score = min(m.score, self.threshold / 2)
        out.sort(key=lambda m: (-m.score, m.entity.list_name, m.entity.id))
        if not all_scores:
            out = [m for m in out if m.score >= self.threshold]
        return out[:limit]

    PINYIN_SCORE = 0.95  # a Chinese name whose pinyin is a Latin alias: above the threshold, below exact

    def _pinyin_matches(self, name: str, key: str, label: str | None, best: dict[int, Match]) -> None:
        """Feature ``pinyin``: a name in Han characters whose pinyin (pypinyin, surname readings for
        a person) is a listed Latin alias, syllables run together: 曾毓群 ~ "Zeng Yuqun"."""
        if not has_han(name):
            return
        reading = pinyin_key(name, person=label != "ORG")
        for ai in self.by_compact.get(reading, [])[: self.max_postings]:
            m = self.score(key, label, ai)
            if m.features["exact"]:
                continue
            m.score = self.PINYIN_SCORE * (0.5 if m.features["type_agree"] is False else 1.0)
            m.features["pinyin"] = reading
            ei = self.alias_ent[ai]
            if ei not in best or m.score > best[ei].score:
                best[ei] = m

    def _common_word_ok(self, key: str, surface: str, *, corroborated: bool | str) -> tuple[bool, str | None]:
        """The common-word rule (see module docstring): (allowed?, explanation or None)."""
        if " " in key:
            return True, None
        if len(key) < SHORT:
            written = {self.alias_text[ai] for ai in self.by_key.get(key, [])}
            if surface not in written:
                return False, f"short alias must be written as listed ({', '.join(sorted(written))})"
            return True, None
        if common_word_zipf(key) < self.common_zipf:
            return True, None
        if not surface[:1].isupper():
            return False, f"'{key}' is a common word and is not cased as a name here"
        if not corroborated:
            return False, f"'{key}' is a common word: needs NER ORG/PERSON, a legal form or company context"
        return True, f"common word allowed: {corroborated if isinstance(corroborated, str) else 'NER span'}"

    # -- whole text -------------------------------------------------------------------------

    def gazetteer(self, text: str, spans: Sequence[SpanInfo] = ()) -> list[TextHit]:
        """Every listed alias in ``text`` (longest, non-overlapping, on token boundaries), with
        matches scored and the common-word rule applied; ``spans`` are the NER entities."""
        toks = text_tokens(text)
        if not toks or not len(self.automaton):
            return []
        starts, ends, parts, pos = [], [], [], 1
        for t in toks:
            starts.append(pos)
            ends.append(pos + len(t.norm))
            parts.append(t.norm)
            pos += len(t.norm) + 1
        joined = " " + " ".join(parts) + " "
        raw_hits = []
        for end_idx, key in self.automaton.iter(joined):
            s = end_idx - len(key) - 1 + 1  # first char of the key (after the leading space)
            i = bisect.bisect_left(starts, s)
            j = bisect.bisect_left(ends, s + len(key))
            if i < len(starts) and starts[i] == s and j < len(ends) and ends[j] == s + len(key):
                raw_hits.append((i, j, key))
        raw_hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        taken: set[int] = set()
        out = []
        for i, j, key in raw_hits:
            if any(k in taken for k in range(i, j + 1)):
                continue
            hit = self._text_hit(text, toks, i, j, key, spans)
            if hit is not None:
                taken.update(range(i, j + 1))
                out.append(hit)
        return sorted(out, key=lambda h: h.start)

    def _text_hit(self, text: str, toks: list, i: int, j: int, key: str, spans: Sequence[SpanInfo]) -> TextHit | None:
        start, end = toks[i].start, toks[j].end
        surface = text[start:end]
        over = [s for s in spans if s.start < end and start < s.end]
        ner_label = next((s.label for s in over if s.label in LABEL_TYPE), None)
        corroboration: str | bool = False
        if any(s.label in LABEL_TYPE and not s.ruler for s in over) and not sentence_initial(text, start):
            corroboration = f"NER labels it {ner_label}"
        elif j + 1 < len(toks) and is_legal_form(toks[j + 1].raw):
            corroboration = f"legal form follows ({toks[j + 1].raw})"
        else:
            near = [t.norm for t in toks[max(0, i - 3) : i] + toks[j + 1 : j + 4]]
            ctx = next((w for w in near if w in COMPANY_CONTEXT), None)
            if ctx:
                corroboration = f"company context ('{ctx}')"
        ok, why = self._common_word_ok(key, surface, corroborated=corroboration)
        if not ok:
            log.debug("gazetteer hit %r rejected: %s", surface, why)
            return None
        matches = []
        for ai in self.by_key.get(key, [])[: self.max_postings]:
            m = self.score(key, ner_label, ai)
            m.features["gazetteer"] = True
            if why:
                m.features["common_word"] = why
            if m.score >= self.threshold:
                matches.append(m)
        if not matches:
            return None
        matches.sort(key=lambda m: (-m.score, m.entity.list_name, m.entity.id))
        return TextHit(start, end, surface, matches)
