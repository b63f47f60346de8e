"""Name parts and their alignment: how a name as news writes it is scored against a listed alias.

A listed alias is analysed once (:func:`analyse_alias`, at import or index time) into tokens, each
with a *tag* and a *phonetic key*:

* ``F`` family name, ``G`` the given name, ``M`` a further given name or patronymic — from the
  lists' "LAST, First Middle" form, or from ALL-CAPS surnames in a mixed-case name ("Vladimir
  PUTIN"); ``P`` a particle (bin, al, de, van ...); ``S`` a stopword (the, of, and ...); ``H`` an
  honorific (Dr., Sheikh ...);
* ``L`` a generic organisation word (company, group, bank, state ...), ``C`` a country name
  (rigour's territories), ``O`` any other token.

The phonetic key is rigour's metaphone with vowels and Y/W/H dropped after the first letter
("alexander"/"alyaksandr" -> ``LKSNTR``, "osama"/"usama" -> ``SM``, "hezbollah"/"hizballah" ->
``HSBL``): it is one scored feature beside the literal and fuzzy ones, never a match on its own.

:func:`align` pairs query tokens with alias tokens, order-free (a person is "Putin Vladimir" as
well as "Vladimir Putin"), each pair once, best pairs first. A pair scores by its best feature:

=============  =======  ======================================================================
feature        score    when
=============  =======  ======================================================================
literal        1.0      the tokens are equal
merged         1.0      two adjacent tokens of one side are one token of the other (jong un/jongun)
acronym        0.9      a token is the initials of a run of the other side's tokens (PMC)
phonetic       0.6+0.4r equal phonetic keys, both tokens of 4+ letters, fuzzy ratio r >= 0.5
                        (>= 0.7 when the key is one letter: "yury"/"yuri")
fuzzy          r        fuzzy ratio r >= 0.8 within an edit budget (:func:`edit_budget`: none up
                        to 3 letters, 1 edit up to 5, 2 up to 9, 3 beyond)
initial        0.7      a single letter against a given name starting with it
=============  =======  ======================================================================

The score is a weighted average: ``sum(weight * pair score) / (sum of query weights + sum of the
weights of alias tokens left unmatched)``. Query tokens weigh 1 (particles 0.3, stopwords 0.1,
generic org words 0.4, countries 0.5, honorifics 0.05), a pair on a family name weighs 1.3 ×; an unmatched query
token adds its weight for nothing, so a name the list does not explain scores low. Unmatched
alias tokens cost little when lists add them and news leaves them out (a patronymic or further
given name ``M`` 0.05, a second family name 0.15, a particle or stopword 0.02, a legal or generic org word
0.05, a country 0.1) and much when they tell people apart (the given name ``G`` 0.8, the only
family name 1.0, any other token 0.3). Every pair and every unmatched token is kept in the
explanation with its score and weight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from rigour.text import metaphone

from .normalize import normalize_name, text_tokens

PARTICLES = {
    "al",
    "el",
    "bin",
    "ibn",
    "bint",
    "ben",
    "abd",
    "de",
    "del",
    "della",
    "der",
    "den",
    "di",
    "da",
    "do",
    "dos",
    "das",
    "du",
    "la",
    "le",
    "los",
    "las",
    "van",
    "von",
    "ter",
    "y",
    "e",
    "i",
    "ul",
    "ud",
    "ad",
    "as",
    "ash",
    "az",
    "fi",
    "wal",
}
STOPWORDS = {"the", "of", "and", "for", "in", "on", "at", "to"}
HONORIFICS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "sir",
    "sheikh",
    "shaykh",
    "sheik",
    "ayatollah",
    "imam",
    "mullah",
    "haji",
    "hajji",
    "hajj",
    "president",
    "general",
    "gen",
    "colonel",
    "col",
    "prince",
    "emir",
}
GENERIC_ORG = {
    "company",
    "co",
    "corp",
    "corporation",
    "group",
    "holding",
    "holdings",
    "inc",
    "ltd",
    "limited",
    "bank",
    "banking",
    "international",
    "intl",
    "trading",
    "trade",
    "enterprise",
    "enterprises",
    "industries",
    "industrial",
    "state",
    "federal",
    "unitary",
    "joint",
    "stock",
    "commercial",
    "services",
    "service",
    "organization",
    "organisation",
    "network",
    "cartel",
    "pjsc",
    "jsc",
    "ojsc",
    "cjsc",
    "llc",
    "plc",
    "sa",
    "ag",
    "gmbh",
}

Q_WEIGHT = {"P": 0.3, "S": 0.1, "L": 0.4, "C": 0.5, "H": 0.05}
A_UNMATCHED = {"M": 0.05, "P": 0.02, "S": 0.02, "L": 0.05, "C": 0.1, "H": 0.0, "G": 0.8, "O": 0.3}
FAMILY_WEIGHT = 1.3
SECOND_FAMILY = 0.15
SOLE_FAMILY = 1.0
PHONETIC_BASE = 0.6
ACRONYM = 0.9
INITIAL = 0.7


class Part(NamedTuple):
    """One token of an analysed name: normalized text, tag (see module docstring), phonetic key."""

    text: str
    tag: str
    phon: str


@lru_cache(maxsize=200_000)
def phonetic(token: str) -> str:
    """Phonetic key of a token: metaphone, vowels and Y/W/H after the first letter dropped ("" when short)."""
    if len(token) < 4 or not token.isalpha() or not token.isascii():
        return ""
    m = metaphone(token)
    if not m:
        return ""
    key = (m[0] if m[0] not in "AEIOUYW" else "") + re.sub(r"[AEIOUYWH]", "", m[1:])
    return key


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    from rigour.territories import get_territories

    out: set[str] = set()
    for t in get_territories():
        if not t.is_country:
            continue
        toks = normalize_name(t.name).split()
        if len(toks) == 1:
            out.add(toks[0])
        elif len(toks) == 2 and toks[0] in {"north", "south", "east", "west"}:
            out.add(toks[1])
    return frozenset(out)


def _tag(token: str, default: str, kind: str) -> str:
    if token in STOPWORDS:
        return "S"
    if token in PARTICLES:
        return "P"
    if kind == "person" and token in HONORIFICS:
        return "H"
    if kind != "person":
        if token in GENERIC_ORG:
            return "L"
        if token in _countries():
            return "C"
    return default


def analyse_alias(alias: str, kind: str) -> tuple[Part, ...]:
    """The parts of a listed alias of an entity of type ``kind`` (company | person)."""
    if kind == "person" and alias.count(",") == 1:
        last, first = alias.split(",")
        fam = normalize_name(last).split()
        given = normalize_name(first).split()
        parts = [Part(t, _tag(t, "F", kind), phonetic(t)) for t in fam]
        first_given = True
        for t in given:
            tag = _tag(t, "G" if first_given else "M", kind)
            if tag == "G":
                first_given = False
            parts.append(Part(t, tag, phonetic(t)))
        return tuple(parts)
    toks = normalize_name(alias).split()
    if kind == "person":
        raw = [t.raw for t in text_tokens(alias)]
        caps = [len(r) > 1 and r.isupper() for r in raw]
        if any(caps) and not all(caps) and len(raw) == len(toks):
            parts, first_given = [], True
            for t, c in zip(toks, caps, strict=True):
                tag = _tag(t, "F" if c else ("G" if first_given else "M"), kind)
                if tag == "G":
                    first_given = False
                parts.append(Part(t, tag, phonetic(t)))
            return tuple(parts)
    return tuple(Part(t, _tag(t, "O", kind), phonetic(t)) for t in toks)


@lru_cache(maxsize=4096)
def analyse_query(key: str, kind: str | None) -> tuple[Part, ...]:
    """The parts of a query's normalized key (no order or case tells its family name)."""
    return tuple(Part(t, _tag(t, "O", kind or ""), phonetic(t)) for t in key.split())


def _pair(q: Part, a: Part) -> tuple[float, str]:
    """Best single-token feature for a query part against an alias part."""
    if q.text == a.text:
        return 1.0, "literal"
    lq, la = len(q.text), len(a.text)
    if min(lq, la) == 1:
        one, other = (q, a) if lq == 1 else (a, q)
        if len(other.text) > 1 and other.text[0] == one.text[0] and other.tag in ("G", "M", "O"):
            return INITIAL, "initial"
        return 0.0, ""
    ratio = fuzz.ratio(q.text, a.text) / 100.0
    best, why = 0.0, ""
    if q.phon and q.phon == a.phon and ratio >= (0.5 if len(q.phon) >= 2 else 0.7):
        best, why = PHONETIC_BASE + (1 - PHONETIC_BASE) * ratio, "phonetic"
    if ratio >= 0.8 and ratio > best and Levenshtein.distance(q.text, a.text) <= edit_budget(min(lq, la)):
        best, why = ratio, "fuzzy"
    return best, why


def edit_budget(n: int) -> int:
    """Edits a fuzzy pair may need, by the shorter token's length: none up to 3 letters, 1 up to 5,
    2 up to 9, 3 beyond (fails closed: "volkov" is not "volkovsky", 3 edits)."""
    return 0 if n <= 3 else (1 if n <= 5 else (2 if n <= 9 else 3))


@dataclass
class Alignment:
    """The score of a query against one alias and every pair/unmatched token behind it."""

    score: float
    pairs: list[tuple[str, str, str, float, float]]  # query token, alias token, feature, score, weight
    extra_query: list[tuple[str, float]]  # unmatched query tokens and their weights
    extra_alias: list[tuple[str, float]]  # unmatched alias tokens and their weights

    def explain(self) -> dict[str, object]:
        return {
            "pairs": [
                {"query": q, "alias": a, "feature": f, "score": round(s, 3), "weight": round(w, 2)}
                for q, a, f, s, w in self.pairs
            ],
            "extra_query": [{"token": t, "weight": round(w, 2)} for t, w in self.extra_query],
            "extra_alias": [{"token": t, "weight": round(w, 2)} for t, w in self.extra_alias],
        }


def _qw(p: Part) -> float:
    return Q_WEIGHT.get(p.tag, 1.0)


def align(query: tuple[Part, ...], alias: tuple[Part, ...]) -> Alignment:
    """Order-free alignment of query parts to alias parts (see the module docstring)."""
    used_q: set[int] = set()
    used_a: set[int] = set()
    pairs: list[tuple[str, str, str, float, float]] = []
    num = 0.0

    def take(qi: list[int], ai: list[int], feature: str, score: float) -> None:
        nonlocal num
        w = max(_qw(query[i]) for i in qi)
        if len(qi) > 1:
            w = sum(_qw(query[i]) for i in qi)
        fam = any(alias[i].tag == "F" for i in ai)
        if fam:
            w *= FAMILY_WEIGHT
        used_q.update(qi)
        used_a.update(ai)
        num += w * score
        pairs.append((" ".join(query[i].text for i in qi), " ".join(alias[i].text for i in ai), feature, score, w))

    # merged tokens and acronyms: one query token against a run of alias tokens
    for qi, q in enumerate(query):
        for ai in range(len(alias) - 1):
            if qi in used_q:
                break
            if len(alias[ai].text) >= len(q.text) or not q.text.startswith(alias[ai].text):
                continue
            for n in (2, 3):
                run = list(range(ai, ai + n))
                if ai + n <= len(alias) and not set(run) & used_a and "".join(alias[i].text for i in run) == q.text:
                    take([qi], run, "merged", 1.0)
                    break
        if qi in used_q or not 3 <= len(q.text) <= 6:
            continue
        for ai in range(len(alias)):
            if alias[ai].text[0] != q.text[0]:
                continue
            span: list[int] = []
            letters, i = "", ai
            while i < len(alias) and len(letters) < len(q.text):
                if alias[i].tag != "P" or not letters:
                    letters += alias[i].text[0]
                span.append(i)
                i += 1
            if letters == q.text and len(span) > 1 and not set(span) & used_a:
                take([qi], span, "acronym", ACRONYM)
                break
    for ai, a in enumerate(alias):
        if ai in used_a:
            continue
        for qi in range(len(query) - 1):
            if qi in used_q or qi + 1 in used_q or not a.text.startswith(query[qi].text):
                continue
            if query[qi].text + query[qi + 1].text == a.text:
                take([qi, qi + 1], [ai], "merged", 1.0)
                break
    cands = []
    for qi, q in enumerate(query):
        if qi in used_q:
            continue
        for ai, a in enumerate(alias):
            if ai in used_a:
                continue
            s, why = _pair(q, a)
            if s > 0:
                cands.append((s, qi, ai, why))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    for s, qi, ai, why in cands:
        if qi in used_q or ai in used_a:
            continue
        take([qi], [ai], why, s)
    extra_q = [(q.text, _qw(q)) for i, q in enumerate(query) if i not in used_q]
    fam_matched = any(alias[i].tag == "F" for i in used_a)
    extra_a = []
    for i, a in enumerate(alias):
        if i in used_a:
            continue
        if a.tag == "F":
            w = SECOND_FAMILY if fam_matched else SOLE_FAMILY
        else:
            w = A_UNMATCHED.get(a.tag, 0.3)
        extra_a.append((a.text, w))
    den = sum(w for _, _, _, _, w in pairs) + sum(w for _, w in extra_q) + sum(w for _, w in extra_a)
    score = num / den if den > 0 else 0.0
    return Alignment(min(1.0, score), pairs, extra_q, extra_a)


def _has_partner(q: Part, toks: list[str], tokset: frozenset[str]) -> bool:
    """Whether query part ``q`` can pair with some token of an alias in :func:`align`: literal,
    initial, phonetic or fuzzy (the conditions of :func:`_pair`), a run of 2-3 alias tokens it
    joins (merged) or whose initials it is (acronym). Loose where the alias's tags would decide
    (they are not known here): a false True costs an alignment, a false False would lose a match."""
    t = q.text
    if t in tokset:
        return True
    lt = len(t)
    for a in toks:
        la = len(a)
        if lt == 1 or la == 1:  # only the initial feature pairs a letter
            one, other, other_tag = (t, a, "O") if lt == 1 else (a, t, q.tag)
            if len(other) > 1 and other[0] == one[0] and other_tag in ("G", "M", "O"):
                return True
            continue
        ratio = fuzz.ratio(t, a, score_cutoff=50) / 100.0  # phonetic needs 0.5, fuzzy 0.8
        if not ratio:
            continue
        if ratio >= 0.8 and Levenshtein.distance(t, a) <= edit_budget(min(lt, la)):
            return True
        if q.phon and q.phon == phonetic(a) and ratio >= (0.5 if len(q.phon) >= 2 else 0.7):
            return True
    for ai in range(len(toks) - 1):
        if t.startswith(toks[ai]) and t in ("".join(toks[ai : ai + 2]), "".join(toks[ai : ai + 3])):
            return True
    if 3 <= lt <= 6:
        for ai in range(len(toks)):
            if toks[ai][0] != t[0]:
                continue
            letters, i = "", ai
            while i < len(toks) and len(letters) < lt:
                if toks[i] in STOPWORDS or toks[i] not in PARTICLES or not letters:
                    letters += toks[i][0]
                i += 1
            if letters == t and i - ai > 1:
                return True
    return False


def score_bound(query: tuple[Part, ...], alias_key: str, floor: float = 0.0) -> float:
    """An upper bound of ``align(query, parts).score`` for every alias whose normalized key is
    ``alias_key``, whatever its tags: what the alignment would score if every query token with a
    possible partner in the alias (:func:`_has_partner`, or a word normalization may have left out
    of the key, :func:`_key_may_drop`) paired at 1.0 with the family-name
    weight, and the alias had nothing left over. The rest of the query (tokens no alias token can
    explain) costs its full weight, as in :func:`align`. Much cheaper than the alignment (no
    pairing, no explanation), so a candidate that cannot reach the threshold is dropped before it
    is read and aligned; never below the real score (``tests/watchlists/test_bound.py`` checks
    that on generated names). With a ``floor``, it stops as soon as the bound is below it (and
    returns a bound that is still an upper bound, and below the floor)."""
    toks = alias_key.split()
    if not query or not toks:
        return 0.0
    tokset = frozenset(toks)
    texts, weights, order = _query_plan(query)
    hit = [t in tokset for t in texts]
    # merged the other way: two adjacent query tokens are one alias token
    for qi in range(len(texts) - 1):
        if not (hit[qi] and hit[qi + 1]) and texts[qi] + texts[qi + 1] in tokset:
            hit[qi] = hit[qi + 1] = True
    total = sum(weights)
    rest = 0.0
    for qi in order:  # the heaviest first
        if hit[qi] or _has_partner(query[qi], toks, tokset) or _key_may_drop(texts[qi]):
            continue
        rest += weights[qi]
        best = FAMILY_WEIGHT * (total - rest)  # every token not yet found unmatched paired at 1.0
        if floor and best / (best + rest) < floor:
            return best / (best + rest)
    matched = FAMILY_WEIGHT * (total - rest)
    return matched / (matched + rest) if matched + rest > 0 else 0.0


@lru_cache(maxsize=4096)
def _key_may_drop(token: str) -> bool:
    """Can normalization leave ``token`` out of an alias's key while the alias's parts keep it (an
    org type or a trailing generic word: "JONG, Group" has the key "jong" and the part "group")?
    Such a query token may have a partner the key does not show."""
    return normalize_name(f"acme {token}") == "acme"


@lru_cache(maxsize=4096)
def _query_plan(query: tuple[Part, ...]) -> tuple[tuple[str, ...], tuple[float, ...], tuple[int, ...]]:
    """A query's token texts, weights and positions heaviest first (for :func:`score_bound`)."""
    weights = tuple(_qw(q) for q in query)
    order = tuple(sorted(range(len(query)), key=lambda i: -weights[i]))
    return tuple(q.text for q in query), weights, order
