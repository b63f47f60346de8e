"""Names in enumerations, read off the list's own surface rather than the small NER model.

Designation notices, press releases and wire stories name the parties of an action in lists of
5 to 30 items: "including the companies A, B, C and D", "the entities are: (i) A (Iran); (ii) B
(China); ...", "aviation company X, Y Co, Z and W Corp". The small model tags such lists
inconsistently: short or coined names become products, numbers or people ("A7", "Exved"), two
items merge into one span ("X and Y Corporation") and long items lose a part. A list states its
own structure, though: separators (commas, or semicolons when its items hold commas), item
markers ("(iv)", "•"), an optional descriptor before a name ("energy company") and an optional
bracketed place or abbreviation after it. :func:`enumeration_items` reads that structure and
puts one entity per item into ``doc.ents``, with the label the list's head noun gives
("companies", "entities" -> ORG; "individuals", "officials" -> PERSON). A list without such a
head noun keeps the model's labels: lists of products, places, programmes and page menus are
common, and only the head noun says that a list names parties. The lists read are kept in
``doc.spans`` (:data:`LIST_HEADS`, :data:`LIST_ITEMS`): an act on the head noun ("designated six
companies ..., including the companies A, B, C") is an act on every item.

Pure: a ``Doc`` in, the same ``Doc`` with its entities mended out.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from .names import KEEP_LABELS, TITLES, is_title_case

log = logging.getLogger(__name__)

ORG_HEADS = {
    "companies", "company", "entities", "entity", "firms", "banks", "subsidiaries", "organizations",
    "organisations", "businesses", "enterprises", "corporations", "institutions", "affiliates", "units",
    "exchanges", "lenders", "manufacturers", "makers", "suppliers", "operators", "groups", "fronts",
    "universities", "institutes", "laboratories", "labs", "airlines", "shippers", "traders", "refineries",
}  # fmt: skip
PERSON_HEADS = {
    "individuals", "persons", "people", "officials", "executives", "nationals", "businessmen",
    "businesspeople", "oligarchs", "officers", "leaders", "figures", "entrepreneurs", "recipients",
    "honorees", "honourees", "laureates", "winners", "scientists", "directors", "managers", "men", "women",
    "employees", "founders", "chairmen", "relatives", "sons", "daughters", "members",
}  # fmt: skip
# lists whose items are no parties of the action: ships, places, an entity's other names
OTHER_HEADS = {
    "vessels", "vessel", "ships", "tankers", "aircraft", "planes", "countries", "nations", "cities", "regions",
    "provinces", "ports", "addresses", "address", "aliases", "alias", "a.k.a.", "aka", "f.k.a.", "names",
    "products", "brands", "models", "devices", "apps", "websites", "domains", "sectors", "technologies",
    "items", "programs", "programmes", "laws", "orders", "sections", "rules", "languages", "markets",
}  # fmt: skip
# what introduces an entity's other names (the lists here, and an enumeration item's aliases in ties)
ALIAS_MARKERS = ("a.k.a", "aka", "f.k.a", "fka", "n.k.a", "also known as", "formerly known", "alias")
# an address or an identity record (SDN entries: "DOB 1 Jan 1960; POB Tehran; nationality Iran")
RECORD_WORDS = {
    "road", "rd", "rd.", "street", "st", "st.", "avenue", "ave", "ave.", "boulevard", "lane", "district",
    "building", "bldg", "floor", "fl", "room", "rm", "suite", "no", "no.", "province", "city", "zone",
    "tower", "plaza", "block", "unit", "village", "county", "town", "township", "area", "p.o.", "box",
    "dob", "pob", "nationality", "citizen", "passport", "gender", "email", "website", "phone", "tel",
    "fax", "id", "tax", "registration", "identification", "number", "organization", "established",
}  # fmt: skip
# words that may join the capitalised words of one name
CONNECTORS = {"of", "and", "&", "for", "de", "du", "des", "la", "le", "el", "al", "bin", "van", "von", "der", "the"}
NAME_PUNCT = {"-", ".", "&", "'", "’", "/", "+"}
MARKER = re.compile(r"^(?:[ivxlc]{1,6}|[a-z]|\d{1,3})$")
# labels that say an item is no party of a list action: a list of countries or dates is no list of names
PLACE_LABELS = {"GPE", "LOC", "NORP", "DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"}
MAX_ITEM = 12
# doc.spans groups: the head noun of each list read (label: the list's number) and its items
LIST_HEADS = "newswatch_list_heads"
LIST_ITEMS = "newswatch_list_items"
MAX_DESCRIPTOR = 4
PREPOSITIONS = {"of", "at", "for", "with", "to", "from", "by", "in", "on", "under", "as"}


@dataclass(frozen=True)
class Item:
    """One list item's name: token range ``[start, end)``."""

    start: int
    end: int


def _name_token(tok: Token) -> bool:
    text = tok.text
    if not text or tok.is_space:
        return False
    if text[0].isupper() or text[0].isdigit() and any(ch.isalpha() for ch in text):
        return True
    return tok.lower_ in CONNECTORS or text in NAME_PUNCT


def _skip_marker(toks: list[Token], k: int) -> int:
    """Past an item marker at ``k``: "(iv)", "iv)", "(a)", "1.", "•"."""
    n = len(toks)
    while k < n and (toks[k].is_space or toks[k].text in ("•", "·", "▪", "●", "◦", "*", "-", "–", "—", ":")):
        k += 1
    if k + 2 < n and toks[k].text == "(" and MARKER.match(toks[k + 1].lower_) and toks[k + 2].text == ")":
        return k + 3
    if k + 1 < n and MARKER.match(toks[k].lower_) and toks[k + 1].text in (")", "."):
        return k + 2
    return k


def _name_run(toks: list[Token], k: int) -> int:
    """End (exclusive) of the name starting at ``k``: capitalised words, connectors inside,
    bracketed parts that are themselves capitalised ("(Dalian)") kept when more name follows."""
    n = len(toks)
    end = k
    j = k
    while j < n and j - k < MAX_ITEM + 4:
        tok = toks[j]
        if tok.text == "(":
            close = next((m for m in range(j + 1, min(n, j + 6)) if toks[m].text == ")"), None)
            if close is None or close + 1 >= n or not (toks[close + 1].text[:1].isupper()):
                break  # a trailing bracket: a place or an abbreviation after the name
            if not all(_name_token(t) for t in toks[j + 1 : close]):
                break
            j = close + 1
            continue
        if not _name_token(tok):
            break
        j += 1
        if not (tok.lower_ in CONNECTORS or tok.text in NAME_PUNCT):
            end = j
    return end


def _item_in(toks: list[Token], first: bool, last: bool) -> Item | None:
    """The one name a chunk between separators holds, or None when it holds other words.

    A middle chunk is: a marker, up to four lower-case descriptor words ("energy company"), the
    name, bracketed parts. The first chunk may lead in with any words ("... including the
    companies A7"), the last may go on after the name ("and Exved that supported ...")."""
    toks = [t for t in toks if not t.is_space]
    if any(t.lower_ in RECORD_WORDS for t in toks[-MAX_ITEM:]):
        return None  # an address part or a field of an identity record
    while toks and toks[-1].is_punct and toks[-1].text not in (")", "."):
        toks = toks[:-1]
    if not toks:
        return None
    k = _skip_marker(toks, 0)
    if k < len(toks) and toks[k].lower_ in ("and", "or"):
        k = _skip_marker(toks, k + 1)
    if first:  # the name is the last run of the chunk
        j = len(toks)
        while j > k and toks[j - 1].text == ")":  # trailing brackets
            opening = next((m for m in range(j - 2, max(k, j - 7) - 1, -1) if toks[m].text == "("), None)
            if opening is None:
                break
            j = opening
        end = j
        start = end
        while start > k and _name_token(toks[start - 1]):
            start -= 1
        while start < end and (toks[start].lower_ in CONNECTORS or toks[start].text in NAME_PUNCT):
            start += 1
        if start >= end or _name_run(toks, start) < end:
            return None
        return _trimmed(toks, start, end)
    d = k
    while d < len(toks) and d - k < MAX_DESCRIPTOR and toks[d].is_lower and toks[d].is_alpha:
        d += 1
    if d > k and toks[d - 1].lower_ in PREPOSITIONS | {"and", "or", "a", "an"}:
        return None  # "employee of X": an affiliation, not an item
    if d < len(toks) and toks[d].is_lower:
        return None
    if d + 2 < len(toks) and toks[d + 1].lower_ in ("'s", "’s") and toks[d].text[:1].isupper():
        d += 2  # "Tanzania's Salim Ahmed Salim": the possessor is not part of the name
    end = _name_run(toks, d)
    if end == d:
        return None
    rest = end
    while rest < len(toks) and toks[rest].text == "(":
        close = next((m for m in range(rest + 1, min(len(toks), rest + 8)) if toks[m].text == ")"), None)
        if close is None:
            break
        rest = close + 1
    if not last and rest < len(toks) and not (toks[rest].text == "." and rest == len(toks) - 1):
        return None  # more words after the name in the middle of a list: not an item
    return _trimmed(toks, d, end)


def _trimmed(toks: list[Token], start: int, end: int) -> Item | None:
    titled = [n for n in range(start, min(end - 1, start + 4)) if toks[n].lower_ in TITLES]
    if titled:
        start = titled[-1] + 1  # "Thai Princess Maha ...", "Deputy Prime Minister ...": the name after
    if start + 1 < end and toks[start + 1].lower_ in ("'s", "’s"):
        start += 2  # "Russia's Anna Volkova": the country is not part of her name
    while end > start and (toks[end - 1].text in NAME_PUNCT - {"."} or toks[end - 1].lower_ in CONNECTORS):
        end -= 1
    if end <= start or end - start > MAX_ITEM:
        return None
    return Item(toks[start].i, toks[end - 1].i + 1)


def _chunks(sent: Span, legal: frozenset[str]) -> list[list[Token]]:
    """The sentence cut at its list separators: semicolons when it has two or more (its items
    hold commas), else commas; "and"/"or" before a capitalised word also cuts, unless the list
    writes its last separator as ", and" (then an "and" inside an item is part of a name) or the
    "and" follows an "of" ("University of Aeronautics and Astronautics"). A comma
    before a legal form (``legal``: "Acme Solar Co., Ltd.") is part of the name."""
    toks = list(sent)
    semis = sum(1 for t in toks if t.text == ";")
    seps = {";"} if semis >= 2 else {",", ";"}
    oxford = any(
        t.text in seps and k + 1 < len(toks) and toks[k + 1].lower_ in ("and", "or") for k, t in enumerate(toks)
    )
    out: list[list[Token]] = [[]]
    for k, t in enumerate(toks):
        if t.text in seps and not (t.text == "," and k + 1 < len(toks) and toks[k + 1].lower_ in legal):
            out.append([])
            continue
        if (
            semis < 2
            and not oxford
            and t.lower_ in ("and", "or")
            and 0 < k < len(toks) - 1
            and (toks[k - 1].text[:1].isupper() or toks[k - 1].text == ")")
            and toks[k + 1].text[:1].isupper()
            and not any(x.lower_ in ("of", "for") for x in out[-1])
        ):
            out.append([t])
            continue
        out[-1].append(t)
    return [c for c in out if c]


def _label_of(doc: Doc, item: Item) -> Span | None:
    """The entity that is exactly this item, or holds it."""
    for e in doc.ents:
        if e.start <= item.start and item.end <= e.end:
            return e
    return None


def _head_cue(doc: Doc, sent: Span, first: Item) -> tuple[str | None, int]:
    """ORG or PERSON when a head noun introduces the list within a few words before it; OTHER
    when it is a list of something else (vessels, places, aliases); with the head noun's index
    (``first.start`` when there is none)."""
    lo = max(sent.start, first.start - 10)
    words = [t for t in doc[lo : first.start] if t.is_alpha]
    for n in range(len(words) - 1, -1, -1):
        w = words[n].lower_
        if w in OTHER_HEADS:
            return "OTHER", words[n].i
        if w in ORG_HEADS or w in PERSON_HEADS:
            other = PERSON_HEADS if w in ORG_HEADS else ORG_HEADS
            if any(x.lower_ in other for x in words[max(0, n - 3) : n]):
                return None, words[n].i  # "entities and persons": a list of both
            return ("ORG" if w in ORG_HEADS else "PERSON"), words[n].i
    return None, first.start


def _by_majority(doc: Doc, region: list[Item], labels: list[Span | None]) -> list[Span]:
    """Without a head noun: when two thirds of the items are already names of one kind (people,
    or companies), an item the model tagged as something else or only in part ("Galina" a place,
    "Kulikova" a person, in "Russia's Galina Kulikova") becomes a name of that kind. Spans that
    hold more than one item, or a name of the other kind, are left as they are."""
    tagged = [e.label_ for e in labels if e is not None and e.label_ in ("ORG", "PERSON")]
    if not tagged:
        return []
    label = max(("ORG", "PERSON"), key=tagged.count)
    if tagged.count(label) * 3 < len(region) * 2:
        return []
    out: list[Span] = []
    for it, e in zip(region, labels, strict=True):
        if e is not None:
            if e.label_ in ("ORG", "PERSON") or e.label_ in PLACE_LABELS or (e.start, e.end) != (it.start, it.end):
                continue
        else:
            inner = [x for x in doc.ents if it.start <= x.start and x.end <= it.end]
            names = [x for x in inner if x.label_ in ("ORG", "PERSON")]
            if len(names) > 1 or any(x.label_ != label for x in names) or any(x.ent_id_ for x in names):
                continue
            if any(x.label_ in KEEP_LABELS for x in inner):
                continue
        out.append(Span(doc, it.start, it.end, label=label))
    return out


def _aliases(doc: Doc, region: list[Item]) -> bool:
    """Is the list an entity's other names ("a.k.a.", "also known as", "formerly")?"""
    lo = max(0, region[0].start - 8)
    window = " ".join(t.lower_ for t in doc[lo : region[0].start])
    return any(w in window for w in ALIAS_MARKERS)


def _regions(sent: Span, legal: frozenset[str]) -> list[list[Item]]:
    chunks = _chunks(sent, legal)
    regions: list[list[Item]] = []
    run: list[Item] = []
    for n, chunk in enumerate(chunks):
        item = _item_in(chunk, first=not run, last=n == len(chunks) - 1 or chunks[n + 1][0].lower_ in ("and", "or"))
        if item is None and run and n + 1 < len(chunks):
            item = _item_in(chunk, first=False, last=True)  # the list's last item, words after it
            if item is not None:
                run.append(item)
                regions.append(run)
                run = []
                continue
        if item is None:
            if len(run) >= 3:
                regions.append(run)
            run = []
            continue
        run.append(item)
    if len(run) >= 3:
        regions.append(run)
    return [r for r in regions if len(r) >= 3]


def enumeration_items(doc: Doc, legal: frozenset[str] = frozenset()) -> Doc:
    """One entity per item of every list of three or more names (see the module docstring);
    ``legal``: the lexicon's legal forms, lower case ("ltd.", "llc")."""
    ents = list(doc.ents)
    new: list[Span] = []
    drop: set[int] = set()
    heads: list[Span] = []
    items: list[Span] = []
    for sent in doc.sents:
        if is_title_case(sent) or sum(1 for t in sent if t.text in (",", ";")) < 2:
            continue
        for region in _regions(sent, legal):
            labels = [_label_of(doc, it) for it in region]
            while region and labels[-1] is not None and labels[-1].label_ in KEEP_LABELS:
                region, labels = region[:-1], labels[:-1]  # "..., and Kestrel Trading, OFAC said."
            if len(region) < 3:
                continue
            if any(e is not None and e.label_ in KEEP_LABELS for e in labels):
                continue  # a list of lists or honours: the ruler's spans stay
            placey = sum(1 for e in labels if e is not None and e.label_ in PLACE_LABELS)
            if placey * 2 >= len(region):
                continue  # countries, dates: no list of parties
            cue, head = _head_cue(doc, sent, region[0])
            if cue == "OTHER" or _aliases(doc, region):
                continue
            if cue is None:  # the model's spans stand; its odd labels give way to the list's own
                for sp in _by_majority(doc, region, labels):
                    new.append(sp)
                    drop.update(range(sp.start, sp.end))
                continue
            label = cue
            group = str(len(heads))
            heads.append(Span(doc, head, head + 1, label=group))
            items += [Span(doc, it.start, it.end, label=group) for it in region]
            for it, e in zip(region, labels, strict=True):
                if e is not None and (e.start, e.end, e.label_) == (it.start, it.end, label):
                    continue
                if e is not None and e.ent_id_ and e.label_ == label and (e.start, e.end) != (it.start, it.end):
                    continue  # a watched name keeps its span
                kb = e.kb_id_ if e is not None and (e.start, e.end) == (it.start, it.end) else ""
                new.append(Span(doc, it.start, it.end, label=label, kb_id=kb))
                drop.update(range(it.start, it.end))
    if heads:
        doc.spans[LIST_HEADS] = heads
        doc.spans[LIST_ITEMS] = items
    if not new:
        return doc
    kept = [e for e in ents if not any(i in drop for i in range(e.start, e.end))]
    try:
        doc.ents = sorted(kept + new, key=lambda s: s.start)
    except ValueError:
        log.debug("enumeration items overlap: %s", new)
    return doc
