"""Names in lists, read off the list's own structure (``newswatch.nlp.enumerations``), in
sentences and names of our own, through the real spaCy model and the bundled lexicon."""

from __future__ import annotations

import pytest

from newswatch.nlp.enumerations import LIST_ITEMS
from newswatch.nlp.ties import detect_ties
from newswatch.pipeline import Pipeline
from tests.support.paths import CONFIG


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_config(CONFIG)


def ents(pipeline: Pipeline, text: str) -> set[tuple[str, str]]:
    return {(e.text, e.label_) for e in pipeline.nlp(text).ents if e.label_ in ("ORG", "PERSON")}


def found(pipeline: Pipeline, text: str) -> set[tuple[str, str, str]]:
    return {(f.entity, f.entity_type, f.tie) for f in detect_ties(pipeline.nlp(text), pipeline.lexicon)}


def test_coined_names_after_the_companies_are_each_a_company(pipeline) -> None:
    text = (
        "The Treasury Department on Tuesday sanctioned a crypto exchange, Norvex, as well as two of its "
        "executives and five affiliated firms in Armenia, including the companies B9, B91, B9 Trade, "
        "Silver Lantern and Qorvan."
    )
    got = found(pipeline, text)
    for name in ("B9", "B91", "B9 Trade", "Silver Lantern", "Qorvan", "Norvex"):
        assert (name, "ORG", "blacklist") in got, (name, got)


def test_without_an_oxford_comma_the_last_and_separates_two_companies(pipeline) -> None:
    text = (
        "The Pentagon added five firms to its list of Chinese military companies. Other companies on it "
        "include shipping firm COSTA, Helvar Genomics Co, Lintel Mobile, oil company PETRAX and Delta "
        "Railway Construction Corporation Limited (DRCC)."
    )
    got = {name for name, _, tie in found(pipeline, text) if tie == "blacklist"}
    assert {"COSTA", "Helvar Genomics Co", "Lintel Mobile", "PETRAX"} <= got
    assert "Delta Railway Construction Corporation Limited" in got
    assert not any(" and " in name for name in got)


def test_with_an_oxford_comma_an_and_inside_an_item_stays_in_the_name(pipeline) -> None:
    text = (
        "OFAC designated six companies in the region, including the companies Vantor, Ellis Point, "
        "Northern Smartbank and Holdings, Q4 Systems, and Marrow."
    )
    got = ents(pipeline, text)
    assert ("Northern Smartbank and Holdings", "ORG") in got
    assert ("Marrow", "ORG") in got


def test_roman_markers_after_semicolons_do_not_end_the_sentence(pipeline) -> None:
    text = (
        "OFAC sanctioned the following entities on Thursday. The sanctioned entities and their countries "
        "are: (i) Kestrel Marine Company (Iran); (ii) Bluefin Tanker Co. Ltd. (China); (iii) Harbor Light "
        "Trading LLC (UAE); (iv) Ostrava Petrochem Company (Iran); (v) Delmora FZE (UAE); (vi) Tarsin "
        "Energy DMCC (UAE); (vii) Yuelong Technology Co. Limited (Hong Kong); and (viii) Pendrel Limited "
        "(Hong Kong)."
    )
    doc = pipeline.nlp(text)
    listing = [s for s in doc.sents if "Kestrel" in s.text]
    assert len(listing) == 1 and "Pendrel Limited" in listing[0].text
    got = {name for name, _, tie in found(pipeline, text) if tie == "blacklist"}
    assert {"Kestrel Marine Company", "Delmora FZE", "Tarsin Energy DMCC", "Pendrel Limited"} <= got
    assert not got & {"Iran", "China", "UAE", "Hong Kong"}


def test_people_listed_after_individuals_are_people(pipeline) -> None:
    text = "The sanctioned individuals include Arvo Lindqvist, Temir Oskenbay, Dariush Faraji and Lena Voskoboy."
    got = ents(pipeline, text)
    for name in ("Arvo Lindqvist", "Temir Oskenbay", "Dariush Faraji", "Lena Voskoboy"):
        assert (name, "PERSON") in got, (name, got)


def listed(pipeline: Pipeline, text: str) -> list[str]:
    """The items of the lists read off ``text`` (with a head noun)."""
    doc = pipeline.nlp(text)
    return [sp.text for sp in doc.spans[LIST_ITEMS]] if LIST_ITEMS in doc.spans else []


def test_a_list_after_a_head_noun_is_read_item_by_item(pipeline) -> None:
    text = "The sanctioned companies include Orvik Trading, Pendrel Limited, Kestrel Optics and Marrow Holdings."
    assert listed(pipeline, text) == ["Orvik Trading", "Pendrel Limited", "Kestrel Optics", "Marrow Holdings"]


def test_lists_of_vessels_places_or_aliases_are_not_read_as_parties(pipeline) -> None:
    vessels = "It also identified the vessels Pacific Harmony, Blue Lotus, Sea Dawn and Coral Crest as blocked."
    assert listed(pipeline, vessels) == []
    aliases = "Orvik Trading, also known as Orvik Ltd, Orvik Global, Orvik Marine and Orvik Asia, was designated."
    assert listed(pipeline, aliases) == []
    places = "The sanctioned companies are based in Ankara, Baku, Tbilisi and Yerevan."
    assert listed(pipeline, places) == []


def test_address_parts_and_record_fields_are_no_items(pipeline) -> None:
    text = (
        "BIS added the following companies: Kestrel Optics Co., Ltd., Room 1201, Building 3, Lakeside Road, "
        "Pudong New District, Shanghai; Harbor Light Trading LLC; Yuelong Technology Co. Limited; and "
        "Pendrel Limited."
    )
    got = ents(pipeline, text)
    assert not {n for n, _ in got} & {"Lakeside Road", "Pudong New District", "Building 3", "Room 1201"}
    assert ("Pendrel Limited", "ORG") in got


def test_a_list_without_a_head_noun_keeps_the_model_labels(pipeline) -> None:
    text = "Markets, Tech, Sanctions, Europe, Asia and Opinion were the sections readers visited most."
    assert not {n for n, label in ents(pipeline, text) if label == "ORG"} >= {"Tech", "Sanctions", "Opinion"}


def test_a_list_of_people_with_their_countries_is_a_list_of_people(pipeline) -> None:
    text = (
        "Chile's Ana Morel, Thai Princess Sirin Wattana, Kenya's David Otieno, Russia's Galina Pervova, "
        "France's Jean-Luc Marot and Canada's Isabel Farrow were also awarded the Friendship Medal."
    )
    got = found(pipeline, text)
    for name in ("Ana Morel", "Sirin Wattana", "David Otieno", "Galina Pervova", "Jean-Luc Marot", "Isabel Farrow"):
        assert (name, "PERSON", "award") in got, (name, got)
    assert not {n for n, _, _ in got} & {"Chile", "Kenya", "Russia", "France", "Canada", "Pervova"}
