"""Name screening: the names news writes find their list entries (SDN, CSL and FtM samples of our
own), the look-alikes stay out, and every score says what it is made of."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswatch.watchlists import Watchlist
from newswatch.watchlists.importers import import_file
from newswatch.watchlists.model import WatchEntity
from newswatch.watchlists.normalize import normalize_name
from tests.support.paths import FIXTURES

WL = FIXTURES / "watchlists"


@pytest.fixture(scope="module")
def sdn() -> list[WatchEntity]:
    return import_file(WL / "screening.sdn.csv", "ofac-sdn", "sdn", alt=WL / "screening.alt.csv").entities


@pytest.fixture(scope="module")
def screen(sdn: list[WatchEntity]) -> Watchlist:
    ents = list(sdn)
    ents += import_file(WL / "screening.csl.csv", "csl-csv", "csl").entities
    ents += import_file(WL / "screening.ftm.json", "ftm", "ftm").entities
    return Watchlist(ents)


def best(wl: Watchlist, name: str, label: str | None) -> str | None:
    found = wl.match(name, label)
    return found[0].entity.id if found else None


# -- 1. person names as lists write them --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("Yevgeniy Volkovsky", "sdn:50001"),  # "LAST, First Patronymic", patronymic left out
        ("Volkovsky Yevgeniy", "sdn:50001"),  # either order
        ("Yevgeniy Arkadyevich Volkovsky", "sdn:50001"),
        ("Usama bin Hamdan", "sdn:50002"),  # particles, further names left out
        ("Park Jong-hyok", "sdn:50003"),  # one given name in two tokens ...
        ("Park Jonghyok", "sdn:50003"),  # ... or in one
        ("Nicolas de la Vega", "sdn:50011"),  # accent, particles, second surname left out
        ("Qassem al-Rashidi", "sdn:50012"),  # honorific in the list's name
    ],
)
def test_a_person_is_found_as_news_writes_the_name(screen: Watchlist, name: str, want: str) -> None:
    assert best(screen, name, "PERSON") == want


def test_a_surname_alone_or_a_first_name_alone_is_not_a_person(screen: Watchlist) -> None:
    assert screen.match("Volkovsky", "PERSON") == []
    assert screen.match("Yevgeniy", "PERSON") == []
    assert screen.match("Yevgeniy Petrov", "PERSON") == []


def test_an_initial_counts_for_a_given_name_but_less_than_the_name(screen: Watchlist) -> None:
    full = screen.index.match("Yevgeniy Volkovsky", "PERSON", all_scores=True)[0]
    initial = screen.index.match("Y. Volkovsky", "PERSON", all_scores=True)[0]
    wrong = screen.index.match("P. Volkovsky", "PERSON", all_scores=True)[0]
    assert initial.entity.id == full.entity.id == "sdn:50001"
    feats = {p["feature"] for p in initial.features["alignment"]["pairs"]}
    assert "initial" in feats
    assert wrong.score < initial.score < full.score


def test_a_one_word_alias_of_a_person_is_another_spelling_of_the_surname(sdn: list[WatchEntity]) -> None:
    volk = next(e for e in sdn if e.id == "sdn:50001")
    assert "VOLKOVSKI, Yevgeniy Arkadyevich" in volk.aliases
    assert "VOLKOVSKI" not in volk.aliases
    wl = Watchlist(sdn)
    assert best(wl, "Yevgeniy Volkovski", "PERSON") == "sdn:50001"
    assert wl.match("Volkovski", "PERSON") == []


# -- 2. transliteration variants and the phonetic key ------------------------------------------


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("Evgeny Volkovsky", "sdn:50001"),
        ("Yevgeny Volkovskiy", "sdn:50001"),
        ("Osama bin Hamdan", "sdn:50002"),
        ("Alexey Tambovtsev", "sdn:50004"),  # alt.csv
        ("Aleksey Tambovtsev", "sdn:50004"),
        ("Dmitry Orlovsky", "csl:a2"),
        ("Qasem al-Rashidi", "sdn:50012"),
    ],
)
def test_transliteration_variants_match(screen: Watchlist, name: str, want: str) -> None:
    assert best(screen, name, "PERSON") == want


def test_the_phonetic_key_is_a_scored_feature(screen: Watchlist) -> None:
    m = screen.match("Osama bin Hamdan", "PERSON")[0]
    assert m.features["phonetic"] is True
    pair = next(p for p in m.features["alignment"]["pairs"] if p["query"] == "osama")
    assert pair["alias"] == "usama" and pair["feature"] == "phonetic" and 0.6 < pair["score"] < 1.0
    # a phonetic key alone is no match: "Ossama" is not "Usama" when nothing else agrees
    assert screen.match("Osama Kamal", "PERSON") == []


# -- 3. organisation names with the legal form anywhere ---------------------------------------


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("Severnaya Zvezda", "sdn:50005"),
        ("PJSC Severnaya Zvezda", "sdn:50005"),
        ("Severnaya Zvezda Public Joint Stock Company", "sdn:50005"),
        ("Grupo Coralino", "sdn:50008"),
        ("Grupo Coralino SA de CV", "sdn:50008"),
        ("Bank Keshavarzi", "sdn:50009"),  # alt.csv, and the country left out
        ("Dalu Optics Co., Ltd.", "csl:a1"),
        ("深圳大陆光学股份有限公司", "csl:a1"),
        ("Tekhnoprom-Servis", "csl:a3"),
        ("ООО Технопром-Сервис", "csl:a3"),
        ("Ostrava Mining Holding", "ftm:nk-omh"),
    ],
)
def test_an_organisation_is_found_whatever_its_legal_form(screen: Watchlist, name: str, want: str) -> None:
    assert best(screen, name, "ORG") == want


def test_rigour_removes_legal_forms_in_any_position_and_language() -> None:
    assert normalize_name("SEVERNAYA ZVEZDA PUBLIC JOINT STOCK COMPANY") == "severnaya zvezda"
    assert normalize_name("PUBLIC JOINT STOCK COMPANY SEVERNAYA ZVEZDA") == "severnaya zvezda"
    assert normalize_name("Grupo Coralino S.A. de C.V.") == "grupo coralino"
    assert normalize_name("OOO Tekhnoprom") == normalize_name("Tekhnoprom LLC") == "tekhnoprom"
    assert normalize_name("Limited Liability Company Tekhnoprom") == "tekhnoprom"


# -- 4. aliases the lists carry ----------------------------------------------------------------


def test_sdn_remarks_aliases_are_read_and_links_are_not(sdn: list[WatchEntity]) -> None:
    zvezda = next(e for e in sdn if e.id == "sdn:50005")
    assert zvezda.aliases == ["PJSC NORTH STAR", "ZVEZDA BANK OJSC", "NORTH STAR FINANCE LLC"]
    volk = next(e for e in sdn if e.id == "sdn:50001")
    assert not any("SEVERNAYA" in a for a in volk.aliases), "'Linked To:' names another entity"
    granitsa = next(e for e in sdn if e.id == "sdn:50006")
    assert granitsa.aliases == [] and granitsa.weak_aliases == ["GRANITSA"]
    wl = Watchlist(sdn)
    assert best(wl, "North Star Finance", "ORG") == "sdn:50005"
    assert best(wl, "Zvezda Bank", "ORG") == "sdn:50005"


def test_csl_alt_names_and_ftm_aliases(screen: Watchlist) -> None:
    assert best(screen, "Dmitriy Orlovsky", "PERSON") == "csl:a2"
    assert best(screen, "Дмитрий Орловский", "PERSON") == "csl:a2"
    assert best(screen, "Lukash Marenko", "PERSON") == "ftm:nk-lm"


def test_a_weak_alias_counts_only_as_written_and_corroborated(screen: Watchlist) -> None:
    # the quoted name inside "PRIVATE SECURITY COMPANY 'GRANITSA'"
    m = screen.match("Granitsa Group", "ORG")
    assert m and m[0].entity.id == "sdn:50006" and "corroborated" in m[0].features["weak_alias"]
    assert best(screen, "Granitsa", "ORG") == "sdn:50006", "the NER's ORG label corroborates it"
    assert screen.index.match("Granitsa", None, from_ner=False) == [], "nothing corroborates a bare word"
    assert screen.match("Granitsa Petrova", "PERSON") == []
    assert screen.match("Granitza Group", "ORG") == [], "a weak alias is never fuzzy-matched"
    # FtM weakAlias
    assert screen.match("Ostrava", "GPE") == []
    assert best(screen, "Ostrava Ltd", "ORG") == "ftm:nk-omh"
    assert screen.match("Luka", "PERSON") == [], "a weak alias of a person is no name on its own"


def test_a_weak_alias_in_text_needs_company_words_beside_it(screen: Watchlist) -> None:
    def found(text: str) -> list[str]:
        return [h.text for h in screen.find_in_text(text) if h.matches[0].entity.id == "sdn:50006"]

    assert found("Snow fell on the granitsa of the old town.") == []
    assert found("Fighters of Granitsa were seen near the border.") == []
    assert found("Fighters of the Granitsa company were seen near the border.") == ["Granitsa"]


# -- 5. explainable scores; look-alikes stay out ------------------------------------------------


def test_explain_lists_every_feature_and_its_weight(screen: Watchlist) -> None:
    m = screen.match("Yevgeniy Volkovsky", "PERSON")[0]
    al = m.features["alignment"]
    assert {p["feature"] for p in al["pairs"]} == {"literal"}
    fam = next(p for p in al["pairs"] if p["alias"] == "volkovsky")
    assert fam["weight"] == 1.3, "a family-name pair weighs more"
    assert al["extra_alias"] == [{"token": "arkadyevich", "weight": 0.05}], "a missing patronymic costs little"
    assert al["extra_query"] == []
    total = sum(p["score"] * p["weight"] for p in al["pairs"])
    den = sum(p["weight"] for p in al["pairs"]) + sum(x["weight"] for x in al["extra_alias"])
    assert m.score == pytest.approx(total / den, abs=0.002)
    assert set(m.features) >= {"exact", "token_overlap", "fuzzy", "phonetic", "type_agree", "alignment"}


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Kim Song Nam", "PERSON"),  # KIM, Song Il
        ("Yevgeniy Volkov", "PERSON"),
        ("Boris Tambovtsev", "PERSON"),  # same surname, other person
        ("Dmitry Orlov", "PERSON"),
        ("Bank of Tehran", "ORG"),  # BANK KESHAVARZI TEHRAN PLC
        ("North Star Airlines", "ORG"),
        ("Islamic Relief", "ORG"),
        ("Park Ji-sung", "PERSON"),
    ],
)
def test_look_alikes_stay_out(screen: Watchlist, name: str, label: str) -> None:
    assert screen.match(name, label) == [], [(m.entity.name, m.score) for m in screen.match(name, label)]


# -- unterminated quotes (a stray quote must not swallow the rows after it) --------------------


def test_an_unterminated_quote_in_a_csl_file_costs_one_row_not_every_row_after_it(tmp_path: Path) -> None:
    header = (WL / "consolidated.csv").read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f'{header}\nx1,src,,,,"Acme Unterminated Corp,,,\nx2,src,,,,Sanctioned Good Co,,,\nx3,src,,,,Third Co,,,\n',
        encoding="utf-8",
    )
    r = import_file(bad, "csl-csv", "t")
    assert sorted(e.name for e in r.entities) == ["Sanctioned Good Co", "Third Co"]
    assert r.skipped == ["bad.csv:2: row: unterminated quote: the field runs past the end of the line"]
    assert not any("\n" in e.name or "," in e.name for e in r.entities), "no merged entity"
    assert best(Watchlist(r.entities), "Sanctioned Good Co", "ORG") == "t:x2"


def test_an_unterminated_quote_in_an_sdn_file_costs_one_row(tmp_path: Path) -> None:
    lines = (WL / "screening.sdn.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith('Yemen."')
    lines[1] = lines[1][:-1]  # the remarks' closing quote is missing
    bad = tmp_path / "sdn.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = import_file(bad, "ofac-sdn", "sdn")
    ids = [e.id for e in r.entities]
    assert ids == [f"sdn:{n}" for n in range(50001, 50014) if n != 50002], "every other row read as written"
    assert r.skipped == ["sdn.csv:2: row: unterminated quote: the field runs past the end of the line"]
