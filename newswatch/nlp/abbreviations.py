"""Abbreviations an article defines, "Yangtze Memory Technologies Co. (YMTC)": the one place that
reads the "full name (SHORT)" shape. The annotator uses :func:`acronym_definitions` to give the
full name its ORG span when the model tagged only the short form; the tie rules use
:func:`short_forms` to read a later "YMTC" as the company defined earlier."""

from __future__ import annotations

import logging

from spacy.tokens import Doc, Span

log = logging.getLogger(__name__)

# legal forms that may stand between a name and its bracketed short form ("Co., Limited (CATL)")
LEGAL_FORMS = {"co", "ltd", "limited", "inc", "corp", "corporation", "plc", "llc", "ag", "sa", "gmbh", "holdings"}


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def acronym_definitions(doc: Doc) -> Doc:
    """ "Yangtze Memory Technologies Co. (YMTC)": when only the abbreviation was tagged ORG, the
    capitalised run before the bracket whose initials spell it is the company's full name."""
    taken = {i for e in doc.ents for i in range(e.start, e.end)}
    new: list[Span] = []
    for e in doc.ents:
        if e.label_ != "ORG" or len(e) != 1 or not e.text.isupper() or e.start < 3:
            continue
        if doc[e.start - 1].text != "(" or e.end >= len(doc) or doc[e.end].text != ")":
            continue
        j = e.start - 2
        while j >= 0 and doc[j].text in (",",):
            j -= 1
        end = j + 1
        while (
            j >= 0
            and end - j <= 8
            and j not in taken
            and (doc[j].is_title or doc[j].is_upper or doc[j].text in (",", "&", "of", "and"))
        ):
            if doc[j].is_sent_start:
                j -= 1
                break
            j -= 1
        start = j + 1
        while start < end and not (doc[start].is_title or doc[start].is_upper):
            start += 1
        words = [t for t in doc[start:end] if t.is_alpha or t.text.endswith(".")]
        initials = "".join(t.text[0] for t in words).upper()
        if len(words) >= 2 and initials[:1] == e.text[:1] and _is_subsequence(e.text, initials):
            new.append(Span(doc, start, end, label="ORG"))
    if new:
        try:
            doc.ents = list(doc.ents) + new
        except ValueError:
            log.debug("acronym definition overlaps an entity: %s", new)
    return doc


def short_forms(doc: Doc) -> dict[str, Span]:
    """Abbreviations the article defines: "Yangtze Memory Technologies Co. (YMTC)",
    "Contemporary Amperex Technology Co., Limited (CATL)" -> {"YMTC": <full name>, ...}."""
    out: dict[str, Span] = {}
    for ent in doc.ents:
        if ent.label_ != "ORG" or (len(ent) < 2 and not ent[0].is_title):
            continue
        j = ent.end
        while j < len(doc) and j < ent.end + 3 and (doc[j].text == "," or doc[j].lower_.rstrip(".") in LEGAL_FORMS):
            j += 1
        if (
            j + 2 < len(doc)
            and doc[j].text == "("
            and doc[j + 2].text == ")"
            and (doc[j + 1].is_upper or doc[j + 1].is_title)
            and doc[j + 1].text not in out
        ):
            out[doc[j + 1].text] = ent
    return out
