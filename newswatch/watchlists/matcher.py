"""Explainable name matching against every listed alias, at a cost that does not grow with the list.

Two ways in:

* :meth:`NameIndex.match` scores one name (an NER span) against *candidates*: aliases with the
  same normalized key, plus the aliases that share the most (and the rarest) of the query's
  tokens, phonetic keys, joined token pairs ("jongun") and initials ("pmc") — a posting of more
  than ``max_postings`` names is not used (unless it is the query's only one, then cut); of the
  ``MAX_POOL`` best by posting weight, the ``MAX_CANDIDATES`` closest by rapidfuzz token-set ratio
  (in C) are aligned, and only those with a ratio of at least ``CANDIDATE_RATIO`` (a pool member
  that shares one common token and nothing else is not worth an alignment) and, when only matches
  count, whose score bound (:func:`.names.score_bound`, from the keys alone) reaches the threshold
  (a stored name is read only then) — so a query never
  scans the list, and a huge list costs about what a small one does. Each candidate is scored by the alignment
  of :mod:`.names` (literal, merged, acronym, phonetic, fuzzy and initial pairs; family-name
  weight; unmatched tokens on either side), 1.0 when the normalized keys are equal; halved when
  the types disagree (ORG~company, PERSON~person). ``features`` carries ``exact``,
  ``token_overlap``, ``fuzzy`` (token-sort ratio, for information), ``phonetic`` (a pair matched
  on the phonetic key), ``type_agree`` and ``alignment``: every pair and unmatched token with its
  score and weight. A match needs ``score >= threshold`` (``settings.yaml``
  ``matching.threshold``). At most ``max_postings`` entities sharing one normalized key are scored
  (a name shared by more entries than that is not a name that can identify anyone).
* **Weak aliases** (FtM ``weakAlias``, the quoted name inside an organisation's name such as
  "PRIVATE MILITARY COMPANY 'WAGNER'") are never fuzzy-matched: an exact hit scores
  ``WEAK_SCORE`` when something corroborates it (the name as written carries a legal form or an
  organisation word, "Wagner Group"; or the NER labels it ORG; in text: a legal form or company
  word next to it), and nothing otherwise; a person's weak alias (a nickname) never matches alone.
* ``pinyin``: a name in Han characters whose pinyin (pypinyin, surname readings for persons) is a
  Latin alias, written run together ("Zeng Yuqun" ~ 曾毓群), scores ``PINYIN_SCORE``.
* :meth:`NameIndex.gazetteer` finds every listed alias in a whole text with one Aho-Corasick pass
  over the normalized tokens (keys are matched on token boundaries only), so names the NER missed
  are still found.

**Common-word rule.** A listed name whose normalized key is a single common English word
(Zipf frequency, from the word list shipped in ``common_words``, >= ``matching.common_word_zipf``,
e.g. "Focus", "Apple", "Shell")
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
from typing import Any

import ahocorasick
from rapidfuzz import fuzz, process

from .common_words import zipf
from .model import WatchEntity
from .names import Alignment, Part, align, analyse_alias, analyse_query, phonetic, score_bound
from .normalize import is_legal_form, normalize_name, text_tokens
from .pinyin import compact, has_han, pinyin_key
from .stored import StoredNames

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
MAX_POOL = 50
MAX_CANDIDATES = 10
# token-set ratio (0-100) a pooled alias needs to be aligned; below what matching pairs score (a
# subset of the tokens 100; the lowest of bench/screening.py's real spellings: "pyotr aven" ~
# "aven petr olegovich" 57, "osama bin laden" ~ "bin ladin usama bin muhammad bin awad" 59)
CANDIDATE_RATIO = 50
WEAK_SCORE = 0.9


def posting_keys(parts: Sequence[Part]) -> set[str]:
    """Keys under which an alias is found: its tokens, ``~`` phonetic keys, joined adjacent pairs
    and triples, and ``#`` its initials (for acronyms)."""
    toks = [p.text for p in parts]
    out = set(toks)
    out.update("~" + p.phon for p in parts if p.phon)
    for n in (2, 3):
        out.update("".join(toks[i : i + n]) for i in range(len(toks) - n + 1))
    initials = "".join(p.text[0] for p in parts if p.tag != "P")
    if 2 <= len(initials) <= 6 and len(parts) > 1:
        out.add("#" + initials)
    return out


def _best(weight: dict[int, float]) -> list[int]:
    """The candidate pool: best posting weight first, at most ``MAX_POOL``."""
    return sorted(weight, key=weight.__getitem__, reverse=True)[:MAX_POOL]  # stable: ties keep their order


def _closest(key: str, keys: list[str]) -> list[int]:
    """Positions of the ``MAX_CANDIDATES`` keys of the pool closest to ``key`` (rapidfuzz
    token-set ratio, in C) with a ratio of ``CANDIDATE_RATIO`` or more: only those are aligned,
    so a query's cost does not grow with the list."""
    if not keys:
        return []
    found = process.extract(key, keys, scorer=fuzz.token_set_ratio, limit=MAX_CANDIDATES, score_cutoff=CANDIDATE_RATIO)
    return [i for _, _, i in found]


def _informative(counts: dict[str, int], cap: int) -> list[str]:
    """The posting keys worth reading, rarest first: each under at most ``cap`` names (a key under
    more identifies nobody: "trading", "bank"), and no more once the keys taken hold ``cap`` names
    (a commoner key would add only weaker candidates, at a cost that grows with the list); the
    rarest one alone when all are longer, so a query is never left without candidates."""
    order = sorted((n, k) for k, n in counts.items() if n)
    out: list[str] = []
    total = 0
    for n, k in order:
        if n > cap or (out and total + n > cap):
            break
        out.append(k)
        total += n
    return out or [k for _, k in order[:1]]


def query_keys(key: str) -> list[str]:
    """Posting keys to look a query up by (see :func:`posting_keys`)."""
    toks = key.split()
    out = list(dict.fromkeys(toks))
    out += ["~" + ph for t in toks if (ph := phonetic(t))]
    out += ["".join(toks[i : i + 2]) for i in range(len(toks) - 1)]
    out += ["#" + t for t in toks if 2 <= len(t) <= 6]
    return out


def common_word_zipf(word: str) -> float:
    """Zipf frequency of an English word (0 below 3.0 or unknown): 'focus' 5.0, 'xiaomi' 3.01."""
    return zipf(word)


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


def analyse_entity(e: WatchEntity) -> list[tuple[str, bool, str, tuple[Part, ...]]]:
    """(alias, weak, normalized key, parts) of every name of ``e``: what the index stores per alias."""
    names = [(a, False) for a in e.all_names()] + [(a, True) for a in e.weak_aliases if a.strip()]
    return [(a, weak, normalize_name(a), analyse_alias(a, e.type)) for a, weak in names]


class NameIndex:
    """All aliases of all watched entities, indexed by normalized key, rare tokens and Aho-Corasick."""

    def __init__(
        self,
        entities: Iterable[WatchEntity],
        *,
        threshold: float = 0.85,
        common_word_zipf: float = 3.5,
        max_postings: int = 256,
        store: StoredNames | None = None,
    ) -> None:
        self.threshold = threshold
        self.store = store
        self._stored_ai: dict[int, int] = {}  # watch_names rowid -> alias id, names read so far
        self._ent_index: dict[str, int] = {}
        self.common_zipf = common_word_zipf
        self.max_postings = max_postings
        self.entities: list[WatchEntity] = []
        self.alias_text: list[str] = []
        self.alias_key: list[str] = []
        self.alias_ent: list[int] = []
        self.alias_parts: list[tuple[Part, ...]] = []
        self.alias_weak: list[bool] = []
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
        self._ent_index.setdefault(e.id, ei)
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for alias, weak, key, parts in e.analysed if e.analysed is not None else analyse_entity(e):
            if not key:
                self.skipped_aliases += 1
                log.debug("alias %r of %s normalizes to nothing; not indexed", alias, e.id)
                continue
            sig = (key, tuple(p.tag for p in parts))
            if sig in seen or (weak and any(k == key for k, _ in seen)):
                continue
            seen.add(sig)
            ai = self._append_alias(alias, key, ei, parts, weak)
            self.by_key.setdefault(key, []).append(ai)
            if not weak:
                for tok in posting_keys(parts):
                    self.postings.setdefault(tok, []).append(ai)
            if not has_han(alias):
                self.by_compact.setdefault(compact(key), []).append(ai)
        self._automaton = None

    def _append_alias(self, alias: str, key: str, ei: int, parts: tuple[Part, ...], weak: bool) -> int:
        """Add one alias of entity ``ei`` to the in-process arrays; its alias id."""
        ai = len(self.alias_text)
        self.alias_text.append(alias)
        self.alias_key.append(key)
        self.alias_ent.append(ei)
        self.alias_parts.append(parts)
        self.alias_weak.append(weak)
        return ai

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
        return len(self.alias_text) - len(self._stored_ai) + (self.store.count() if self.store else 0)

    def _from_store(self, rows: Iterable[tuple[int, str, str, bool, str, tuple[Part, ...]]]) -> list[int]:
        """Alias ids of stored names (read into the in-process arrays on first use)."""
        out = []
        for rid, eid, alias, weak, key, parts in rows:
            ai = self._stored_ai.get(rid)
            if ai is None:
                ei = self._ent_index.get(eid)
                if ei is None:
                    ent = self.store.entity(eid) if self.store else None
                    if ent is None:
                        continue
                    ei = len(self.entities)
                    self.entities.append(ent)
                    self._ent_index[eid] = ei
                ai = self._append_alias(alias, key, ei, parts, weak)
                self._stored_ai[rid] = ai
            out.append(ai)
        return out

    def aliases_for_key(self, key: str) -> list[int]:
        """Alias ids whose normalized key is ``key`` (in memory and stored), at most ``max_postings``."""
        mem = self.by_key.get(key, [])[: self.max_postings]
        if self.store is None:
            return mem
        return list(dict.fromkeys(mem + self._from_store(self.store.by_key(key, self.max_postings))))

    # -- one name ---------------------------------------------------------------------------

    def candidates(self, key: str, *, floor: float = 0.0, label: str | None = None) -> list[int]:
        """Alias ids worth scoring for ``key``: same key, plus the aliases sharing the most and
        rarest posting keys with it (at most ``MAX_CANDIDATES``); with a ``floor`` (the threshold,
        when only matches count) not those whose score cannot reach it (:func:`.names.score_bound`
        on the keys alone, for the type ``label`` asks for, or either type), so they are neither
        read from the store nor aligned."""
        exact = self.aliases_for_key(key)
        kinds = [LABEL_TYPE[label]] if label in LABEL_TYPE else ["company", "person"]
        analysed = [analyse_query(key, k) for k in kinds] if floor > 0 else []  # the query, once per type

        def may_reach(akey: str) -> bool:
            if floor <= 0 or akey == key:
                return True
            return any(score_bound(q, akey, floor - 1e-9) >= floor - 1e-9 for q in analysed)

        weight: dict[int, float] = {}
        qkeys = query_keys(key)
        counts = {qk: len(self.postings.get(qk, ())) for qk in qkeys}
        for qk in _informative(counts, self.max_postings):
            post = self.postings[qk]
            w = 1.0 / len(post)
            for ai in post[: self.max_postings]:
                weight[ai] = weight.get(ai, 0.0) + w
        pool = _best(weight)
        ranked = [pool[i] for i in _closest(key, [self.alias_key[ai] for ai in pool])]
        ranked = [ai for ai in ranked if may_reach(self.alias_key[ai])]
        if self.store is not None:
            sweight: dict[int, float] = {}
            # one statement: each query key's count, and the (name, key) pairs of the short ones
            counts, short = self.store.read_postings(qkeys, self.max_postings)
            chosen = _informative(counts, self.max_postings)
            long = [pk for pk in chosen if pk not in short]  # the rarest alone, when every key is long
            got = {pk: short[pk] for pk in chosen if pk in short}
            got.update(self.store.keyed_postings(long, self.max_postings))
            skey: dict[int, str] = {}
            for pairs in got.values():
                w = 1.0 / len(pairs)
                cut = pairs[: self.max_postings]
                skey.update(cut)
                for rid, _ in cut:
                    sweight[rid] = sweight.get(rid, 0.0) + w
            spool = _best(sweight)
            top = [spool[i] for i in _closest(key, [skey[r] for r in spool]) if may_reach(skey[spool[i]])]
            missing = [rid for rid in top if rid not in self._stored_ai]  # names read before stay read
            if missing:
                self._from_store(self.store.names(missing))
            ranked += [self._stored_ai[rid] for rid in top if rid in self._stored_ai]
        return list(dict.fromkeys([*exact, *ranked]))

    def score(self, key: str, label: str | None, ai: int, *, detail: bool = True) -> Match:
        """Score alias ``ai`` against a normalized query, with the features behind the score
        (``detail=False``: only what ranking needs; :meth:`explain` adds the rest to a kept match)."""
        akey = self.alias_key[ai]
        ent = self.entities[self.alias_ent[ai]]
        exact = akey == key
        want = LABEL_TYPE.get(label or "")
        type_agree = None if want is None else want == ent.type
        feats: dict[str, Any] = {"exact": exact, "type_agree": type_agree, "query_key": key, "alias_key": akey}
        if exact:
            score = 1.0
        elif self.alias_weak[ai]:
            score = 0.0
            feats["weak_alias"] = "a weak alias counts only as written"
        else:
            al = align(analyse_query(key, want or ent.type), self.alias_parts[ai])
            score = al.score
            feats["alignment"] = al
        if type_agree is False:
            score *= 0.5
        if self.alias_weak[ai]:
            feats["weak_alias"] = feats.get("weak_alias", True)
        m = Match(ent, self.alias_text[ai], score, feats)
        return self.explain(m) if detail else m

    @staticmethod
    def explain(m: Match) -> Match:
        """Add the explanation to a match: every alignment pair and unmatched token with its score
        and weight, whether a phonetic pair counted, and (for information) token overlap and the
        token-sort fuzzy ratio of the two keys."""
        f = m.features
        if "token_overlap" in f:
            return m
        key, akey = f["query_key"], f["alias_key"]
        al = f.get("alignment")
        if isinstance(al, Alignment):
            f["phonetic"] = any(p[2] == "phonetic" for p in al.pairs)
            f["alignment"] = al.explain()
        f["token_overlap"] = 1.0 if f["exact"] else round(soft_token_overlap(key, akey), 3)
        f["fuzzy"] = 1.0 if f["exact"] else round(fuzz.token_sort_ratio(key, akey) / 100.0, 3)
        return m

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
        written = len(text_tokens(name)) > len(key.split())
        for ai in self.candidates(key, floor=0.0 if all_scores else self.threshold, label=label):
            m = self.score(key, label, ai, detail=False)
            if self.alias_weak[ai] and m.features["exact"]:
                ent = self.entities[self.alias_ent[ai]]
                why = None  # a person's weak alias (a nickname) is no name on its own
                if ent.type == "company" and written:
                    why = "legal form or organisation word in the name"
                elif ent.type == "company" and from_ner and label == "ORG":
                    why = "NER labels it ORG"
                m.score = WEAK_SCORE if why else min(m.score, self.threshold / 2)
                m.features["weak_alias"] = f"corroborated: {why}" if why else "weak alias without corroboration"
            ei = self.alias_ent[ai]
            if ei not in best or m.score > best[ei].score:
                best[ei] = m
        self._pinyin_matches(name, key, label, best)
        out = sorted(best.values(), key=lambda m: (-m.score, m.entity.list_name, m.entity.id))
        for m in out:
            if m.features["exact"] and not m.features.get("weak_alias"):
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
        return [self.explain(m) for m in out[:limit]]

    PINYIN_SCORE = 0.95  # a Chinese name whose pinyin is a Latin alias: above the threshold, below exact

    def _pinyin_matches(self, name: str, key: str, label: str | None, best: dict[int, Match]) -> None:
        """Feature ``pinyin``: a name in Han characters whose pinyin (pypinyin, surname readings for
        a person) is a listed Latin alias, syllables run together: 曾毓群 ~ "Zeng Yuqun"."""
        if not has_han(name):
            return
        reading = pinyin_key(name, person=label != "ORG")
        found = self.by_compact.get(reading, [])[: self.max_postings]
        if self.store is not None and reading:
            # a stored alias of up to three words has its words run together as a posting key
            ids = self.store.postings([reading], self.max_postings).get(reading, [])
            found = found + [
                ai
                for ai in self._from_store(self.store.names(ids[: self.max_postings]))
                if compact(self.alias_key[ai]) == reading and not has_han(self.alias_text[ai])
            ]
        for ai in found:
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
            written = {self.alias_text[ai] for ai in self.aliases_for_key(key)}
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
        if not toks or not (len(self.automaton) or self.store is not None):
            return []
        starts, ends, parts, pos = [], [], [], 1
        for t in toks:
            starts.append(pos)
            ends.append(pos + len(t.norm))
            parts.append(t.norm)
            pos += len(t.norm) + 1
        joined = " " + " ".join(parts) + " "
        raw_hits: list[tuple[int, int, str]] = []
        for end_idx, key in self.automaton.iter(joined) if len(self.automaton) else ():
            s = end_idx - len(key) - 1 + 1  # first char of the key (after the leading space)
            i = bisect.bisect_left(starts, s)
            j = bisect.bisect_left(ends, s + len(key))
            if i < len(starts) and starts[i] == s and j < len(ends) and ends[j] == s + len(key):
                raw_hits.append((i, j, key))
        if self.store is not None and self.store.max_key_tokens:
            span = min(self.store.max_key_tokens, 8)
            grams = {(i, i + n - 1): " ".join(parts[i : i + n]) for i in range(len(parts)) for n in range(1, span + 1)}
            grams = {ij: g for ij, g in grams.items() if ij[1] < len(parts)}
            present = self.store.present_keys(grams.values())
            known = {(i, j) for i, j, _ in raw_hits}
            raw_hits += [(i, j, g) for (i, j), g in grams.items() if g in present and (i, j) not in known]
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
        for ai in self.aliases_for_key(key):
            m = self.score(key, ner_label, ai)
            m.features["gazetteer"] = True
            if self.alias_weak[ai]:
                if not corroboration or self.entities[self.alias_ent[ai]].type != "company":
                    continue
                m.score = WEAK_SCORE
                m.features["weak_alias"] = f"corroborated: {corroboration}"
            if why:
                m.features["common_word"] = why
            if m.score >= self.threshold:
                matches.append(m)
        if not matches:
            return None
        matches.sort(key=lambda m: (-m.score, m.entity.list_name, m.entity.id))
        return TextHit(start, end, surface, matches)
