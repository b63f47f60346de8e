"""A name recogniser anchored on the shapes of company names, beside spaCy's NER.

The small NER model breaks long company names ("Acme Shipping Tanker (Dalian) Co., Ltd." becomes a
PERSON "Acme Shipping Tanker" and a lost tail), misses names built from unknown words ("PJSC
Acmebank") and calls a company after a descriptor a place ("tech company Deltaplex"). Three shapes,
vocabulary from ``lexicon.yaml`` (``legal_forms``, ``prefix_forms``, ``name_heads``, ``of_heads``):

1. a capitalised run ending in a head word or a legal form, with its legal tail (", Ltd."), a
   bracketed place or form inside ("(Dalian)", "(Group)") and, after an ``of_heads`` word, an
   "of"/"for" tail ("Institute of Forensic Science");
2. a legal form first, then a capitalised run ("PJSC Acmebank", "JSC Borealis Airlines");
3. a bulleted line that is one capitalised run ("• Acme Microsystems;").

A shape span replaces the NER spans it covers (keeping a watchlist id when it covers exactly that
name) and becomes an ORG; it never overlaps a list, award or issuer the ruler tagged.
Pure: a ``Doc`` in, the same ``Doc`` with its entities mended out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

log = logging.getLogger(__name__)

KEEP_LABELS = {"LIST", "AWARD", "GOV", "DATE", "MONEY", "PERCENT", "TIME", "QUANTITY"}
BULLETS = {"•", "·", "*", "▪", "●", "○", "■", "◦", "-", "–", "—"}
LEAD_WORDS = {
    "the", "a", "an", "and", "or", "of", "for", "in", "on", "at", "by", "with", "from", "to", "as", "among",
    "including", "namely", "other", "these", "those", "this", "that", "its", "their", "his", "her",
    "both", "all", "some", "several", "earlier", "later", "meanwhile", "also", "but", "while", "when",
}  # fmt: skip
MAX_RUN = 14


@dataclass(frozen=True)
class NameShapes:
    legal: frozenset[str]
    prefixes: frozenset[str]
    heads: frozenset[str]
    of_heads: frozenset[str]

    def __call__(self, doc: Doc) -> Doc:
        spans = self.find(doc)
        if spans:
            _merge(doc, spans)
        return doc

    # -- the shapes ---------------------------------------------------------------------------

    def find(self, doc: Doc) -> list[tuple[int, int]]:
        """(start, end) token ranges of shaped names, left to right, not overlapping."""
        blocked = {i for e in doc.ents if e.label_ in KEEP_LABELS for i in range(e.start, e.end)}
        for sent in doc.sents:
            if is_title_case(sent):
                blocked.update(range(sent.start, sent.end))  # a headline in title case: every word looks like a name
        out: list[tuple[int, int]] = []
        i = 0
        n = len(doc)
        while i < n:
            tok = doc[i]
            found: tuple[int, int] | None = None
            width = self._prefix_at(doc, i)
            if width and i + width < n and _cap(doc[i + width]):
                end = self._run_right(doc, i + width)
                if end > i + width:
                    found = (i, self._tail(doc, end))
            elif self._is_head(tok) and i > 0:
                start = self._run_left(doc, i - 1)
                if start < i:
                    found = (start, self._tail(doc, i + 1))
            elif tok.text in BULLETS and (i == 0 or "\n" in doc[i - 1].text_with_ws or doc[i - 1].is_space):
                found = self._bullet_line(doc, i + 1)
            if found is not None and not any(k in blocked for k in range(*found)):
                start, end = found
                while start < end and (doc[start].lower_ in LEAD_WORDS or not _cap(doc[start])):
                    start += 1
                if end - start >= 2 and (not out or start >= out[-1][1]):
                    out.append((start, end))
                    i = end
                    continue
            i += 1
        return out

    def _prefix_at(self, doc: Doc, i: int) -> int:
        """Tokens of a legal form written before the name at ``i`` ("PJSC", "Open Joint Stock Company"), or 0."""
        if doc[i].text in self.prefixes:
            return 1
        for width in (5, 4, 3, 2):
            if i + width <= len(doc) and " ".join(t.text for t in doc[i : i + width]) in self.prefixes:
                return width
        return 0

    def _is_head(self, tok: Token) -> bool:
        low = tok.lower_
        return _cap(tok) and (low in self.heads or low in self.legal or low.rstrip(".") in self.legal)

    def _is_legal(self, tok: Token) -> bool:
        low = tok.lower_
        return low in self.legal or low.rstrip(".") in self.legal

    def _run_left(self, doc: Doc, j: int) -> int:
        """Start of the capitalised run that ends at ``j`` (inclusive)."""
        start = j + 1
        while j >= 0 and start - j <= MAX_RUN:
            tok = doc[j]
            if tok.is_space or "\n" in tok.whitespace_:
                break
            if tok.text == ")" and j >= 2 and doc[j - 2].text == "(" and _cap(doc[j - 1]):
                j -= 3  # "(Dalian)", "(Group)" inside the name
                start = j + 1
                continue
            if _cap(tok) or (tok.like_num and j > 0 and _cap(doc[j - 1])):
                start = j
                if tok.is_sent_start:
                    break
                j -= 1
                continue
            joins = tok.lower_ == "and" or (tok.lower_ in ("of", "for") and doc[j - 1].lower_ in self.of_heads)
            if tok.text in ("&", "-") or (joins and j > 0 and _cap(doc[j - 1])):
                if tok.lower_ == "and" and (self._is_head(doc[j - 1]) or doc[j - 1].text == ","):
                    break  # "X Technology and Y Electronics" are two names
                j -= 1
                continue
            break
        return start

    def _run_right(self, doc: Doc, i: int) -> int:
        end = i
        while end < len(doc) and end - i <= MAX_RUN and (_cap(doc[end]) or doc[end].text in ("-", "&")):
            if "\n" in doc[end].whitespace_:
                end += 1
                break
            end += 1
        return end

    def _tail(self, doc: Doc, end: int) -> int:
        """Extend a name over what follows its head: more heads and legal forms (", Ltd."),
        "(Group) Co.", and an "of"/"for" tail after an ``of_heads`` word."""
        n = len(doc)
        while end < n and "\n" not in doc[end - 1].whitespace_:
            tok = doc[end]
            if self._is_head(tok) or (self._is_legal(tok) and _cap(tok)):
                end += 1
            elif tok.text == "," and end + 1 < n and self._is_legal(doc[end + 1]) and _cap(doc[end + 1]):
                end += 2
            elif (
                tok.text == "("
                and end + 3 < n
                and _cap(doc[end + 1])
                and doc[end + 2].text == ")"
                and self._is_head(doc[end + 3])
            ):
                end += 4
            elif (
                tok.lower_ in ("of", "for")
                and doc[end - 1].lower_ in self.of_heads
                and end + 1 < n
                and (_cap(doc[end + 1]) or (doc[end + 1].lower_ == "the" and end + 2 < n and _cap(doc[end + 2])))
            ):
                j = end + 1 + (doc[end + 1].lower_ == "the")
                stop = j
                while stop < n and stop - j < 8 and (_cap(doc[stop]) or doc[stop].lower_ in ("and", "at", "of")):
                    if "\n" in doc[stop].whitespace_:
                        stop += 1
                        break
                    stop += 1
                while stop > j and not _cap(doc[stop - 1]):
                    stop -= 1
                if stop <= j:
                    break
                end = stop
            else:
                break
        return end

    def _bullet_line(self, doc: Doc, i: int) -> tuple[int, int] | None:
        """A bullet item that is one capitalised name: "• Acme Microsystems;" (the line's end)."""
        end = i
        while end < len(doc) and "\n" not in doc[end].text:
            if "\n" in doc[end].whitespace_:
                end += 1
                break
            end += 1
        toks = list(doc[i:end])
        while toks and (toks[-1].text in (";", ",", ".", "and", "or") or toks[-1].is_space):
            toks.pop()
        if toks and toks[-1].text == ")" and len(toks) >= 3 and toks[-3].text == "(" and toks[-2].is_upper:
            toks = toks[:-3]  # the "(ABBR)" after the name
        if not toks or not _cap(toks[0]) or len(toks) > MAX_RUN:
            return None
        if not all(
            _cap(t) or t.like_num or t.text in ("(", ")", ",", "&", "-", ".") or t.lower_ in ("of", "and", "for")
            for t in toks
        ):
            return None
        return toks[0].i, toks[-1].i + 1


def is_title_case(sent: Span) -> bool:
    """Is ``sent`` a headline written in title case (most words capitalised, small words too)?"""
    words = [t for t in sent if t.is_alpha]
    capital_stop = any(_cap(t) and t.is_stop and t.lower_ not in ("and", "of") for t in words[1:])
    return len(words) >= 4 and capital_stop and sum(1 for t in words if _cap(t)) >= 0.7 * len(words)


def _cap(tok: Token) -> bool:
    text = tok.text
    return bool(text) and text[0].isupper() and any(ch.isalpha() for ch in text)


def _merge(doc: Doc, spans: list[tuple[int, int]]) -> None:
    """Put the shaped spans into ``doc.ents`` as ORG, replacing the entities they overlap."""
    ents = list(doc.ents)
    out = []
    new: list[Span] = []
    for start, end in spans:
        over = [e for e in ents if e.start < end and start < e.end]
        if any(e.label_ in KEEP_LABELS for e in over):
            continue
        exact = next((e for e in over if e.start == start and e.end == end), None)
        kb = exact.kb_id_ if exact is not None else ""
        new.append(Span(doc, start, end, label="ORG", kb_id=kb))
    taken = {i for s in new for i in range(s.start, s.end)}
    out = [e for e in ents if not any(i in taken for i in range(e.start, e.end))]
    try:
        doc.ents = sorted(out + new, key=lambda s: s.start)
    except ValueError:
        log.debug("name shapes overlap: %s", new)


def name_shapes(legal: list[str], prefixes: list[str], heads: list[str], of_heads: list[str]) -> NameShapes:
    return NameShapes(
        frozenset(w.casefold() for w in legal),
        frozenset(prefixes),
        frozenset(w.casefold() for w in heads),
        frozenset(w.casefold() for w in of_heads),
    )


SEPARATORS = {",", "and", ";", "&"}


TITLES = {
    "president", "prime", "minister", "foreign", "deputy", "vice", "princess", "prince", "king", "queen",
    "sir", "dame", "dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "professor", "prof.", "general",
    "chairman", "premier", "senator", "governor", "mayor", "ambassador", "secretary", "former",
}  # fmt: skip


def enumeration_labels(doc: Doc, org_words: frozenset[str]) -> Doc:
    """Capitalised runs in an enumeration take the label of the people beside them: "Chile's Ana
    Morel, Kenya's David Otieno and ..." makes "Ana Morel" a PERSON like "David Otieno"; an ORG
    without any company word coordinated with people ("Ilse Varga and Tomas Brenner") is a person.
    Titles before a name ("Thai Princess", "Foreign Minister") are left out of it."""
    for _ in range(3):
        if not _label_pass(doc, org_words):
            break
    return doc


def _label_pass(doc: Doc, org_words: frozenset[str]) -> bool:
    ents = list(doc.ents)
    taken = {i for e in ents for i in range(e.start, e.end)}
    label_at = {i: e for e in ents if e.label_ in ("PERSON", "ORG") for i in range(e.start, e.end)}
    new: list[Span] = []
    i = 0
    while i < len(doc):
        if i in taken or not _cap(doc[i]) or doc[i].pos_ != "PROPN":
            i += 1
            continue
        j = i
        while j < len(doc) and j - i < 6 and j not in taken and (_cap(doc[j]) or doc[j].text == "-"):
            if doc[j].text != "-" and doc[j].pos_ != "PROPN":
                break
            j += 1
        while j > i and doc[j - 1].text == "-":
            j -= 1
        start = i + 1 if j - i > 2 and doc[i + 1].lower_ in TITLES else i  # "Thai Princess ..."
        while start < j and doc[start].lower_ in TITLES:
            start += 1
        possessive = j < len(doc) and doc[j].lower_ in ("'s", "’s")
        if j - start >= 1 and doc[j - 1].lower_ not in TITLES and not possessive and not doc[start].is_sent_start:
            mate = _neighbour(doc, i, j, label_at)
            if mate is not None and mate.label_ == "PERSON" and j - start >= 2:
                new.append(Span(doc, start, j, label="PERSON"))
            elif mate is not None and mate.label_ == "ORG" and _coordinated(doc, i, j, mate):
                new.append(Span(doc, start, j, label="ORG"))  # "the list included Huawei and Hikvision"
        i = max(j, i + 1)
    changed = False
    for n, e in enumerate(ents):
        ands = [t.i for t in e if t.lower_ == "and"]
        if (
            e.label_ == "ORG"
            and len(ands) == 1
            and not {t.lower_ for t in e} & org_words
            and 2 <= ands[0] - e.start <= 3
            and 2 <= e.end - ands[0] - 1 <= 3
            and all(t.is_title and t.pos_ == "PROPN" for t in e if t.i != ands[0])
        ):
            mate = _neighbour(doc, e.start, e.end, label_at)
            if mate is not None and mate.label_ == "PERSON":  # "Ivan Petrov, Oleg Dorn and Pavel Varlik"
                new += [Span(doc, e.start, ands[0], label="PERSON"), Span(doc, ands[0] + 1, e.end, label="PERSON")]
                ents[n] = Span(doc, e.start, e.start, label="ORG")
                changed = True
                continue
        if e.label_ == "NORP" and _person_shaped_norp(e):
            ents[n] = Span(doc, e.start, e.end, label="PERSON")  # "Roman Semenov": a first name, not a people
            changed = True
            continue
        if e.label_ in ("GPE", "LOC", "FAC", "NORP") and not e.ent_id_ and 2 <= len(e) <= 3:
            pass  # "Ivan Petrov, Oleg Dornov and Pavla Serova" with the last two taken for places
        elif e.label_ != "ORG" or e.ent_id_ or not 2 <= len(e) <= 5 or {t.lower_ for t in e} & org_words:
            continue
        if not all((t.is_title and t.pos_ == "PROPN") or t.text == "-" for t in e):
            continue
        mate = _neighbour(doc, e.start, e.end, label_at)
        if mate is not None and mate.label_ == "PERSON":
            ents[n] = Span(doc, e.start, e.end, label="PERSON")
            changed = True
    if new or changed:
        ents = [e for e in ents if len(e)]
        try:
            doc.ents = sorted(ents + new, key=lambda s: s.start)
        except ValueError:
            log.debug("enumeration labels overlap: %s", new)
            return False
        return True
    return False


DEMONYM_ENDINGS = ("an", "ese", "ish", "ic", "i", "s")


def _person_shaped_norp(e: Span) -> bool:
    """A "nationality" of two or three capitalised proper nouns whose last word is no demonym
    ("Roman Semenov"; not "Roman Catholic", "Sunni Muslims", "Chinese Communist")."""
    return (
        2 <= len(e) <= 3
        and all(t.is_title and t.pos_ == "PROPN" for t in e)
        and not e[-1].lower_.endswith(DEMONYM_ENDINGS)
        and e[-1].lower_ not in ("communist", "communists", "party")
    )


def _coordinated(doc: Doc, start: int, end: int, mate: Span) -> bool:
    """Is ``doc[start:end]`` joined to the ORG ``mate`` by "and"/"or" (not just a comma)?"""
    gap = doc[mate.end : start] if mate.end <= start else doc[end : mate.start]
    return any(t.lower_ in ("and", "or", "&") for t in gap) and len(gap) <= 2


def _neighbour(doc: Doc, start: int, end: int, label_at: dict[int, Span]) -> Span | None:
    """The PERSON/ORG entity next to ``doc[start:end]`` across a separator (skipping "Kenya's"),
    a person first."""
    mates = [m for m in (_right_mate(doc, end, label_at), _left_mate(doc, start, label_at)) if m is not None]
    return next((m for m in mates if m.label_ == "PERSON"), mates[0] if mates else None)


def _right_mate(doc: Doc, end: int, label_at: dict[int, Span]) -> Span | None:
    # to the right: ", (GPE 's)? NAME"
    k = end
    if k < len(doc) and doc[k].lower_ in SEPARATORS:
        k += 1
        if k < len(doc) and doc[k].lower_ == "and":
            k += 1
        k = _skip_origin(doc, k)
        if k in label_at and label_at[k].start == k:
            return label_at[k]
    return None


def _left_mate(doc: Doc, start: int, label_at: dict[int, Span]) -> Span | None:
    # "NAME , (GPE 's | NORP Title)?" before us
    k = start - 1
    if k >= 0 and doc[k].lower_ in ("'s", "’s"):
        k -= 2
    elif k >= 0 and (doc[k].ent_type_ == "NORP" or doc[k].pos_ == "ADJ"):
        k -= 1
    if k >= 0 and doc[k].lower_ in SEPARATORS:
        k -= 1
        if k >= 0 and doc[k].text == ",":
            k -= 1
        if k in label_at and label_at[k].end == k + 1:
            return label_at[k]
    return None


def _skip_origin(doc: Doc, k: int) -> int:
    """Past a "Kenya's" / "Norway’s" / "Thai Princess" before a name."""
    if k + 1 < len(doc) and doc[k].ent_type_ in ("GPE", "NORP") and doc[k + 1].lower_ in ("'s", "’s"):
        return k + 2
    if k + 1 < len(doc) and doc[k].ent_type_ == "NORP" and doc[k + 1].is_title and not doc[k + 1].ent_type_:
        return k + 2
    return k
