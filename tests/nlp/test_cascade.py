"""The cascade's first pass (nlp/cascade.py): which sentences the full pipeline must read. No parser
here: cheap sentences, the lexicons' vocabulary and the windows picked from them."""

from __future__ import annotations

import pytest

from newswatch.nlp.cascade import BACK, FORWARD, GAP, Vocabulary, select, sentences
from newswatch.nlp.lexicon import load_lexicon
from newswatch.nlp.zh import load_zh_lexicon
from tests.support.paths import CONFIG

FILLER = [
    "The harbour ferry ran late again on Tuesday morning.",
    "A bakery on the corner sold out of rye bread before noon.",
    "Rain is expected over the hills for the rest of the week.",
    "The town library extended its opening hours in the evening.",
    "Cyclists asked for a wider lane along the river road.",
    "The school choir rehearsed for the spring concert.",
]


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary(load_lexicon(CONFIG / "lexicon.yaml"), load_zh_lexicon(CONFIG / "lexicon_zh.yaml"))


def filler(n: int, offset: int = 0) -> list[str]:
    return [FILLER[(i + offset) % len(FILLER)] for i in range(n)]


def page(*paragraphs: list[str]) -> str:
    return "\n".join(" ".join(p) for p in paragraphs)


def picked(text: str, vocabulary: Vocabulary) -> list[str]:
    """The cheap sentences inside the selection's pieces."""
    sel = select(text, vocabulary)
    assert sel.parsed == "windows", sel.why()
    return [text[s:e] for s, e in sel.sentences if any(p.page_start <= s and e <= p.page_end for p in sel.pieces)]


def test_cheap_sentences_keep_abbreviations_whole_and_cut_a_dateline_off() -> None:
    text = (
        "WASHINGTON (Wirewatch) - The U.S. Commerce Dept. added Harrowgate Optics Co. Ltd to a list. It said so!\n"
        "Mr. Pell agreed. what followed was quiet"
    )
    got = [text[s:e] for s, e in sentences(text)]
    assert got == [
        "WASHINGTON (Wirewatch) -",
        "The U.S. Commerce Dept. added Harrowgate Optics Co. Ltd to a list.",
        "It said so!",
        "Mr. Pell agreed. what followed was quiet",
    ]


def test_chinese_sentences_end_at_chinese_punctuation() -> None:
    text = "商务部将青禾智能科技有限公司列入实体清单。该公司表示反对！另一句"
    want = ["商务部将青禾智能科技有限公司列入实体清单。", "该公司表示反对！", "另一句"]
    assert [text[s:e] for s, e in sentences(text)] == want


def test_inflected_tie_words_in_both_languages_are_found(vocabulary: Vocabulary) -> None:
    hits = vocabulary.find("Treasury sanctioned the firm; it was blacklisted.")
    assert {(h.key, h.kind) for h in hits} >= {("sanction", "act"), ("blacklist", "act"), ("treasury", "issuer")}
    assert "award" in {h.kind for h in vocabulary.find("The Medal of Honour went to a baker")}
    assert "list" in {h.kind for h in vocabulary.find("美国商务部将其列入实体清单")}
    tie_words = {"list", "list-noun", "act", "award"}
    assert not any(h.kind in tie_words for h in vocabulary.find("She listened to the playlist of a blacklisted"[:28]))


def test_a_page_without_tie_vocabulary_is_not_parsed(vocabulary: Vocabulary) -> None:
    text = page(filler(6), ["Harrowgate Optics reported higher revenue and added 300 jobs.", "It received a loan."])
    sel = select(text, vocabulary, [(text.index("Harrowgate"), text.index("Harrowgate") + 17)])
    assert sel.parsed == "none" and not sel.pieces
    assert sel.outside == [0], "the listed name is still reported, for its mention"
    assert "not parsed" in sel.why() and "no sentence can hold a tie" in sel.why()


def test_a_tie_sentence_is_read_with_its_neighbourhood_and_nothing_far_away(vocabulary: Vocabulary) -> None:
    before, after = filler(12), filler(12, 3)
    tie = "The Commerce Department added Harrowgate Optics to the Entity List on Monday."
    text = page(before, [tie], after)
    got = picked(text, vocabulary)
    assert tie in got
    assert got[: BACK + 1] == [*before[-BACK:], tie], "the sentences the anaphors and reasons are read from"
    assert got[BACK + 1 : BACK + 1 + FORWARD] == after[:FORWARD], "the sentences a continued act is read from"
    assert len(got) == BACK + 1 + FORWARD, "the rest of the page is not read"
    sel = select(text, vocabulary)
    assert sel.parsed == "windows" and sel.core == [12]


def test_an_enumeration_after_a_lead_in_is_read_to_its_end(vocabulary: Vocabulary) -> None:
    items = [f"• Corvale Instruments Unit {n}, Ningbo" for n in range(12)]
    lead = "The Treasury sanctioned the following companies:"
    text = "\n".join([" ".join(filler(8)), lead, *items, " ".join(filler(30, 2))])
    got = picked(text, vocabulary)
    assert got == [*filler(8)[-BACK:], lead, *items], "every bullet after the lead-in, then no more prose"


def test_a_lone_surname_brings_the_sentence_that_introduced_the_person(vocabulary: Vocabulary) -> None:
    intro = "Harrowgate Optics founder Tamsin Orrell opened the plant in 2009."
    tie = "Orrell received the National May Day Labour Medal in Beijing."
    text = page([intro], filler(12), [tie], filler(6))
    got = picked(text, vocabulary)
    assert intro in got, "the full name (and the company she leads) the tie rules resolve 'Orrell' to"
    assert FILLER[0] not in got[:2], "the sentences between are not read"


def test_the_last_issuer_named_before_a_tie_is_read(vocabulary: Vocabulary) -> None:
    issuer = "The Bureau of Industry and Security published its annual review."
    tie = "Harrowgate Optics was blacklisted again on Friday."
    text = page([issuer], filler(12), [tie], filler(5))
    assert issuer in picked(text, vocabulary)


def test_generic_verbs_alone_open_no_window_but_after_an_act_a_member_noun_does(vocabulary: Vocabulary) -> None:
    generic = "Other firms added on Monday include Corvale Instruments and Pellwright Labs."
    assert select(page(filler(6), [generic], filler(6)), vocabulary).parsed == "none"
    text = page(["The Pentagon put Harrowgate Optics on its blacklist."], filler(30), [generic], filler(30))
    assert generic in picked(text, vocabulary), "it may continue the act stated before"


def test_pieces_become_one_text_that_maps_back_to_the_page(vocabulary: Vocabulary) -> None:
    first = "The Treasury sanctioned Harrowgate Optics on Monday."
    second = "Pellwright Labs received the Friendship Award in October."
    text = page(filler(12), [first], filler(20, 1), [second], filler(12, 2))
    sel = select(text, vocabulary)
    assert sel.parsed == "windows" and len(sel.pieces) == 2
    assert GAP in sel.text, "a neutral sentence between pieces that are not adjacent"
    for word in ("Harrowgate", "Pellwright"):
        at = sel.text.index(word)
        assert text[sel.to_page(at) : sel.to_page(at) + len(word)] == word
        assert not sel.in_gap(at)
        assert text[slice(*sel.sentences[sel.sentence_at(sel.to_page(at))])] in (first, second)
    assert sel.in_gap(sel.text.index(GAP) + 3)
    assert sel.explain()["windows"] == [[p.page_start, p.page_end] for p in sel.pieces]


def test_windows_covering_most_of_a_page_parse_it_whole(vocabulary: Vocabulary) -> None:
    text = page(filler(2), ["The Treasury sanctioned Harrowgate Optics on Monday."], filler(2))
    sel = select(text, vocabulary)
    assert sel.parsed == "all" and sel.whole and "parsed whole" in sel.why()


def test_a_lead_in_list_is_read_across_its_headings_and_notes(vocabulary: Vocabulary) -> None:
    lead = "BIS amends the EAR by adding the following entities to the Entity List:"
    block = ["CHINA", "Corvale Instruments Co., Ltd., 16 Keyuan Road, Ningbo.", "Presumption of denial."]
    items = [line.replace("Corvale", name) for name in ("Corvale", "Betamax", "Delvix") for line in block]
    text = "\n".join([" ".join(filler(8)), lead, *items, " ".join(filler(30, 2))])
    got = picked(text, vocabulary)
    assert "Delvix Instruments Co., Ltd., 16 Keyuan Road, Ningbo." in got
    assert got[-1] == "Delvix Instruments Co., Ltd., 16 Keyuan Road, Ningbo.", "no trailing note, no prose after"
