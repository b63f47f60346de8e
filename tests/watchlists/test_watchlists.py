"""Watchlists: every import format, atomic re-import, resolution, the common-word rule, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from newswatch.commands import cli
from newswatch.errors import InputError
from newswatch.models import Article
from newswatch.pipeline import Pipeline
from newswatch.store import open_db
from newswatch.watchlists import Watchlist, load_watchlist_yaml
from newswatch.watchlists.db import list_lists, load_entities, save_list
from newswatch.watchlists.importers import import_file
from newswatch.watchlists.model import WatchEntity
from newswatch.watchlists.normalize import normalize_name
from tests.support.paths import CONFIG, FIXTURES

WL = FIXTURES / "watchlists"


def by_name(result, name: str) -> WatchEntity:  # noqa: ANN001
    hits = [e for e in result.entities if e.name == name]
    assert len(hits) == 1, [e.name for e in result.entities]
    return hits[0]


# -- importers ------------------------------------------------------------------------------


def test_csl_csv() -> None:
    r = import_file(WL / "consolidated.csv", "csl-csv", "csl")
    assert (r.rows, len(r.entities), len(r.skipped)) == (5, 3, 2)
    huawei = by_name(r, "Huawei Technologies Co., Ltd.")
    assert huawei.type == "company" and huawei.country == "CN"
    assert huawei.aliases == ["Huawei", "Huawei Technologies", "华为技术有限公司"]
    assert huawei.reason == "Entity List (EL) - Bureau of Industry and Security"
    smic = by_name(r, "SEMICONDUCTOR MANUFACTURING INTERNATIONAL CORPORATION")
    assert "CMIC-EO13959" in smic.reason and smic.aliases[0] == "SMIC"
    ivanov = by_name(r, "IVANOV, Petr Sergeyevich")
    assert ivanov.type == "person" and ivanov.aliases == ["IVANOV, Pyotr", "Пётр Иванов"]
    assert "RUSSIA-EO14024; UKRAINE-EO13661" in ivanov.reason
    assert any("consolidated.csv:5: type: 'Vessel'" in s for s in r.skipped)
    assert any("consolidated.csv:6: name: empty" in s for s in r.skipped)


def test_csl_json() -> None:
    r = import_file(WL / "consolidated.json", "csl-json", "csl")
    assert (r.rows, len(r.entities), len(r.skipped)) == (3, 2, 1)
    dji = by_name(r, "SZ DJI Technology Co., Ltd.")
    assert dji.type == "company" and dji.country == "CN" and dji.aliases == ["DJI", "Da-Jiang Innovations", "大疆创新"]
    assert by_name(r, "PETROV, Ivan Alekseyevich").type == "person"
    assert "results[2]: type: 'Aircraft'" in r.skipped[0]


def test_ofac_sdn_with_alt() -> None:
    r = import_file(WL / "sdn.csv", "ofac-sdn", "sdn", alt=WL / "alt.csv")
    assert (r.rows, len(r.entities)) == (5, 3)
    acme = by_name(r, "ACME SHIPPING TRADING COMPANY LIMITED")
    assert acme.type == "company" and acme.id == "sdn:36001"
    assert acme.aliases == ["ACME SHIPPING CO.", "ACME MARITIME LTD"]
    assert acme.reason == "OFAC SDN: IRAN; SDGT"
    karimov = by_name(r, "KARIMOV, Rustam")
    assert karimov.type == "person"
    assert karimov.aliases == ["Rustam KARIMOV", "KARIMOV, Rustam Ilyich", "Rustam Ilyich KARIMOV"]
    assert by_name(r, "NORTHWIND HOLDINGS LLC").aliases == ["SEVERNY VETER OOO"]
    assert sorted(s.split(":")[0] for s in r.skipped) == ["alt.csv", "sdn.csv", "sdn.csv"]
    assert any("'39999' is not in sdn.csv" in s for s in r.skipped)
    # without alt.csv only the primary names (and flipped person names) are there
    bare = import_file(WL / "sdn.csv", "ofac-sdn", "sdn")
    assert by_name(bare, "ACME SHIPPING TRADING COMPANY LIMITED").aliases == []


def test_ftm_json_lines() -> None:
    r = import_file(WL / "entities.ftm.json", "ftm", "os")
    assert (r.rows, len(r.entities), len(r.skipped)) == (6, 3, 3)
    rostec = by_name(r, "Rostec")
    assert rostec.type == "company" and rostec.country == "RU" and rostec.reason == "RUSSIA-EO14024"
    assert {"State Corporation Rostec", "Ростех", "Russian Technologies State Corporation"} == set(rostec.aliases)
    assert rostec.weak_aliases == ["RT"], "FtM weakAlias is kept apart: it matches only as written, corroborated"
    sokolova = by_name(r, "Elena Sokolova")
    assert sokolova.type == "person" and "Елена Соколова" in sokolova.aliases
    assert by_name(r, "Hikvision").type == "company"
    assert [s.split(": ")[1] for s in r.skipped] == ["schema", "properties.name", "json"]


def test_opensanctions_simple_csv() -> None:
    r = import_file(WL / "targets.simple.csv", "os-simple", "os")
    assert (r.rows, len(r.entities), len(r.skipped)) == (5, 3, 2)
    rostec = by_name(r, "Rostec")
    assert rostec.aliases == ["State Corporation Rostec", "Ростех", "Russian Technologies State Corporation"]
    assert rostec.reason.startswith("RUSSIA-EO14024") and rostec.country == "RU"
    assert by_name(r, "Elena Sokolova").type == "person"
    assert by_name(r, "Hangzhou Hikvision Digital Technology Co. Ltd.").aliases == ["Hikvision", "海康威视"]


def test_yaml_and_monitored() -> None:
    r = import_file(WL / "portfolio.yaml", "yaml", "portfolio")
    assert len(r.entities) == 3 and all(e.monitored for e in r.entities)
    assert by_name(r, "Focus Ltd").aliases == ["Focus"] and by_name(r, "Focus Ltd").id == "portfolio:focus"
    plain = import_file(CONFIG / "watchlist.yaml", "yaml", "mine", monitored=True)
    assert all(e.monitored for e in plain.entities)
    lei = by_name(plain, "Lei Jun")
    assert lei.type == "person" and lei.leads == "mine:xiaomi"


def test_bad_files_give_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"consolidated.json: line 1: missing column\(s\) alt_names"):
        import_file(WL / "consolidated.json", "csl-csv", "x")
    with pytest.raises(InputError, match="nope.csv: no such file"):
        import_file(tmp_path / "nope.csv", "csl-csv", "x")
    with pytest.raises(InputError, match="not JSON"):
        import_file(WL / "consolidated.csv", "csl-json", "x")
    with pytest.raises(InputError, match="--alt is only for"):
        import_file(WL / "consolidated.csv", "csl-csv", "x", alt=WL / "alt.csv")


# -- storage --------------------------------------------------------------------------------


def test_reimport_replaces_list_atomically(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    first = import_file(WL / "consolidated.csv", "csl-csv", "csl")
    save_list(db, "csl", first.entities, fmt="csl-csv", source_file="a")
    save_list(db, "other", import_file(WL / "sdn.csv", "ofac-sdn", "other").entities, fmt="ofac-sdn", source_file="b")
    assert db["watch_entities"].count == 6
    second = import_file(WL / "consolidated.json", "csl-json", "csl")
    save_list(db, "csl", second.entities, fmt="csl-json", source_file="c")
    names = {e.name for e in load_entities(db) if e.list_name == "csl"}
    assert names == {"SZ DJI Technology Co., Ltd.", "PETROV, Ivan Alekseyevich"}
    assert {r["name"]: r["count"] for r in list_lists(db)} == {"csl": 2, "other": 3}

    def failing() -> Iterator[WatchEntity]:
        yield first.entities[0]
        raise OSError("disk went away half-way")

    with pytest.raises(OSError):
        save_list(db, "csl", failing(), fmt="csl-csv", source_file="d")
    after = {e.name for e in load_entities(db) if e.list_name == "csl"}
    assert after == names, "a failed re-import must leave the old list untouched"
    assert {r["name"]: (r["count"], r["source_file"]) for r in list_lists(db)}["csl"] == (2, "c")


# -- matching -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_watchlist() -> Watchlist:
    ents = load_watchlist_yaml(CONFIG / "watchlist.yaml")
    for f, fmt, name in [
        ("consolidated.csv", "csl-csv", "csl"),
        ("consolidated.json", "csl-json", "csljson"),
        ("entities.ftm.json", "ftm", "ftm"),
        ("targets.simple.csv", "os-simple", "os"),
        ("portfolio.yaml", "yaml", "portfolio"),
    ]:
        ents += import_file(WL / f, fmt, name).entities
    ents += import_file(WL / "sdn.csv", "ofac-sdn", "sdn", alt=WL / "alt.csv").entities
    return Watchlist(ents)


@pytest.mark.parametrize(
    "name", ["Xiaomi Corporation", "XIAOMI CORP.", "小米集团", "Xiaomi Inc", "Xiaomi Group Holdings"]
)
def test_xiaomi_spellings_resolve_to_one_entity(big_watchlist: Watchlist, name: str) -> None:
    e = big_watchlist.resolve(name, "ORG")
    assert e is not None and e.id == "xiaomi"
    best = big_watchlist.match(name, "ORG")[0]
    assert best.features["exact"] and best.features["alias_key"] == best.features["query_key"]


def test_normalization() -> None:
    assert normalize_name("Xiaomi Corporation") == normalize_name("XIAOMI CORP.") == "xiaomi"
    assert normalize_name("小米集团") == normalize_name("小米") == "xiao mi"
    assert normalize_name("华为技术有限公司") == "hua wei ji shu"
    assert normalize_name("Société Générale S.A.") == "societe generale"
    assert normalize_name("OOO Gazprom") == "gazprom"


def test_match_records_features_and_respects_type(big_watchlist: Watchlist) -> None:
    m = big_watchlist.match("Huawei Technologies Co Ltd", "ORG")[0]
    assert m.entity.name == "Huawei Technologies Co., Ltd." and m.score == 1.0
    assert set(m.features) >= {"exact", "token_overlap", "fuzzy", "type_agree"}
    fuzzy = big_watchlist.match("Semiconducter Manufacturing International Corp", "ORG", limit=1)
    assert fuzzy and fuzzy[0].entity.name == "SEMICONDUCTOR MANUFACTURING INTERNATIONAL CORPORATION"
    assert not fuzzy[0].features["exact"] and 0.85 <= fuzzy[0].score < 1 and fuzzy[0].features["fuzzy"] > 0.9
    assert big_watchlist.match("Semiconductor Shipping", "ORG") == [], "one shared token is not a match"
    assert big_watchlist.resolve("Huawei", "PERSON") is None, "a company never resolves as a person"
    assert big_watchlist.resolve("Lei Jun", "PERSON").id == "lei-jun"


def test_xiaomi_mi_11_review_is_no_person(big_watchlist: Watchlist) -> None:
    assert big_watchlist.resolve("Xiaomi Mi 11", "PERSON") is None
    assert big_watchlist.match("Xiaomi Mi 11 review", "PERSON") == []
    hits = big_watchlist.find_in_text("Xiaomi Mi 11 review: the best phone of the year")
    assert [(h.text, {m.entity.type for m in h.matches}) for h in hits] == [("Xiaomi", {"company"})]


def test_common_word_rule_in_text(big_watchlist: Watchlist) -> None:
    def found(text: str) -> list[str]:
        return [h.text for h in big_watchlist.find_in_text(text) if h.matches[0].entity.id == "portfolio:focus"]

    assert found("We will focus on growth this year.") == []
    assert found("Focus on growth, said the board.") == [], "capitalised at a sentence start is not enough"
    assert found("Focus Ltd reported a loss.") == ["Focus"]
    assert found("Shares of Focus fell 3%.") == ["Focus"]
    assert found("FOCUS LTD was named in the filing.") == ["FOCUS"]
    hit = big_watchlist.find_in_text("Focus Ltd reported a loss.")[0].matches[0]
    assert "legal form follows" in hit.features["common_word"]
    # a common word that is the NER's ORG span is corroborated by the NER itself
    assert big_watchlist.resolve("Focus", "ORG").id == "portfolio:focus"
    assert big_watchlist.resolve("focus", "ORG") is None, "lower case is never a name"
    assert big_watchlist.index.match("Focus", None, from_ner=False) == []


def test_short_aliases_match_only_as_written(big_watchlist: Watchlist) -> None:
    assert [h.text for h in big_watchlist.find_in_text("A DJI drone")] == ["DJI"]
    assert big_watchlist.find_in_text("a dji drone") == []
    assert big_watchlist.find_in_text("Rt. Hon. member") == []


def test_gazetteer_finds_names_on_token_boundaries(big_watchlist: Watchlist) -> None:
    text = "Suppliers include Hikvision and 海康威视, while Ростех and Rustam Karimov were named. Xiaomiphone no."
    hits = {h.text: h for h in big_watchlist.find_in_text(text)}
    assert set(hits) == {"Hikvision", "海康威视", "Ростех", "Rustam Karimov"}
    assert text[hits["Hikvision"].start : hits["Hikvision"].end] == "Hikvision"
    assert {m.entity.list_name for m in hits["Hikvision"].matches} >= {"ftm", "os", "portfolio"}
    assert hits["Rustam Karimov"].matches[0].entity.type == "person"


# -- pipeline -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_config(CONFIG)


@pytest.fixture
def listed_db(tmp_path: Path):  # noqa: ANN201
    db = open_db(tmp_path / "p.db")
    for f, fmt, name, mon in [
        ("entities.ftm.json", "ftm", "opensanctions", False),
        ("portfolio.yaml", "yaml", "portfolio", True),
    ]:
        save_list(
            db, name, import_file(WL / f, fmt, name, monitored=mon).entities, fmt=fmt, source_file=f, monitored=mon
        )
    return db


def analyse(pipeline: Pipeline, db, text: str):  # noqa: ANN001, ANN201
    pipeline.sync_watchlists(db)
    mentions, findings = pipeline.analyse(
        Article(url="https://x.example/a", canonical_url="https://x.example/a", text=text)
    )
    return mentions, findings, dict((id(f), d) for f, d in pipeline.decide(findings, "news"))


def test_listed_mention_is_a_watchlist_finding(pipeline: Pipeline, listed_db) -> None:  # noqa: ANN001
    _, findings, decisions = analyse(pipeline, listed_db, "Rostec signed a new contract with an airline on Monday.")
    f = [f for f in findings if f.source == "watchlist"]
    assert len(f) == 1 and f[0].tie == "blacklist" and f[0].reason == "RUSSIA-EO14024"
    assert f[0].entity_id == "opensanctions:NK-2n6gXyYk2vKXzGHBcUtmRc" and f[0].explain["list"] == "opensanctions"
    assert f[0].explain["features"]["exact"] is True and f[0].confidence == 1.0
    d = decisions[id(f[0])]
    # Stored as a finding, but a list entry alone is not news: only monitored entities alert on list data.
    assert d.action == "drop" and d.rule == "listed-entity-mentioned"


def test_monitored_entity_on_a_list_alerts(pipeline: Pipeline, listed_db) -> None:  # noqa: ANN001
    _, findings, decisions = analyse(pipeline, listed_db, "Hikvision opened a new factory in Hangzhou last week.")
    f = [f for f in findings if f.source == "watchlist"]
    assert len(f) == 1 and f[0].explain["monitored"] is True
    assert f[0].explain["monitored_entities"] == ["portfolio:hikvision-supplier"]
    d = decisions[id(f[0])]
    assert (d.action, d.rule, d.severity) == ("alert", "monitored-entity-listed", "critical")


def test_portfolio_alone_is_no_finding(pipeline: Pipeline, listed_db) -> None:  # noqa: ANN001
    _, findings, _ = analyse(pipeline, listed_db, "Northwind Traders Ltd opened a new office in Leeds.")
    assert findings == []


def test_common_word_in_pipeline(pipeline: Pipeline, tmp_path: Path) -> None:
    db = open_db(tmp_path / "c.db")
    ent = WatchEntity(
        id="focus", name="Focus Ltd", type="company", list_name="sanctions", aliases=["Focus"], reason="Entity List"
    )
    save_list(db, "sanctions", [ent], fmt="yaml", source_file="-")
    _, findings, _ = analyse(pipeline, db, "Investors should focus on the long term. Focus is what matters.")
    assert findings == []
    mentions, findings, _ = analyse(pipeline, db, "Focus Ltd shipped parts to the army, the report says.")
    assert [(f.entity, f.source) for f in findings] == [("Focus Ltd", "watchlist")]
    assert any(m.entity_id == "focus" for m in mentions)


def test_xiaomi_mi_11_review_in_pipeline(pipeline: Pipeline, tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    mentions, findings, _ = analyse(pipeline, db, "Xiaomi Mi 11 review: a great phone with a fast charger.")
    assert not [m for m in mentions if m.label == "PERSON" and m.entity_id]
    assert not [f for f in findings if f.entity_type == "PERSON"]


# -- CLI ------------------------------------------------------------------------------------


def test_cli_import_ls_match(runner, db_file: Path) -> None:  # noqa: ANN001
    base = ["--db", str(db_file), "--config", str(CONFIG), "watchlist"]
    r = runner.invoke(
        cli,
        [
            *base,
            "import",
            str(WL / "sdn.csv"),
            "--format",
            "ofac-sdn",
            "--alt",
            str(WL / "alt.csv"),
            "--name",
            "ofac",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert (out["count"], out["skipped"], out["rows"]) == (3, 3, 5)
    assert "skipped sdn.csv:3: SDN_Type" in r.stderr
    r = runner.invoke(
        cli, [*base, "import", str(WL / "portfolio.yaml"), "--format", "yaml", "--name", "pf", "--monitored"]
    )
    assert r.exit_code == 0 and "list pf: 3 entities imported" in r.stdout
    r = runner.invoke(cli, [*base, "ls", "--json"])
    rows = {x["name"]: x for x in map(json.loads, r.stdout.splitlines())}  # JSON lines: a list
    assert rows["ofac"]["count"] == 3 and rows["pf"]["monitored"] == 1 and rows["ofac"]["imported_at"]
    r = runner.invoke(cli, [*base, "ls"])
    assert "ofac" in r.stdout and "monitored" in r.stdout
    r = runner.invoke(cli, [*base, "match", "Acme Shipping Co.", "--json"])
    cands = [json.loads(x) for x in r.stdout.splitlines()]
    assert cands[0]["entity_id"] == "ofac:36001" and cands[0]["matches"] and cands[0]["features"]["exact"]
    r = runner.invoke(cli, [*base, "match", "XIAOMI CORP."])
    assert r.exit_code == 0 and "MATCH Xiaomi Corporation" in r.stdout and "fuzzy" in r.stdout


def test_cli_bad_import_is_one_line(runner, db_file: Path) -> None:  # noqa: ANN001
    base = ["--db", str(db_file), "--config", str(CONFIG), "watchlist", "import"]
    r = runner.invoke(cli, [*base, str(WL / "consolidated.json"), "--format", "csl-csv", "--name", "x"])
    assert r.exit_code == 2 and "missing column(s)" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, [*base, str(WL / "consolidated.csv"), "--format", "bogus", "--name", "x"])
    assert r.exit_code != 0 and "bogus" in r.output
    r = runner.invoke(cli, ["--db", str(db_file), "watchlist", "ls", "--json"])
    assert r.stdout.strip() == "", "a failed import stores nothing"


def test_a_stored_list_reads_only_rare_postings_and_still_finds_the_name(tmp_path: Path) -> None:
    """Hundreds of companies share "trading": a query reads the rare keys' postings only (within
    max_postings names in all), and the listed company is found among them, with the same score as
    from the in-memory index."""
    from newswatch.config import MatchSettings
    from newswatch.store import open_db

    ents = [
        WatchEntity(id=f"c{i}", name=f"Velmor{i:03d}x Trading Ltd", type="company", list_name="big", reason="SYNTH")
        for i in range(300)
    ]
    ents.append(WatchEntity(id="target", name="Quandrix Holovar Trading", type="company", list_name="big"))
    db = open_db(tmp_path / "big.db")
    save_list(db, "big", ents, fmt="yaml", source_file="synthetic")
    settings = MatchSettings(max_postings=16)
    stored = Watchlist.from_db(db, settings)
    assert stored.index.store is not None  # the stored index, not the in-memory one
    counts = stored.index.store.posting_counts(["trading", "quandrix", "holovar"], 16)
    assert counts["trading"] == 17  # counted up to the cap + 1, never read past it
    assert counts["quandrix"] == 1 and counts["holovar"] == 1
    found = stored.match("Quandrix Holovar Trading Co", "ORG")
    assert [m.entity.id for m in found][:1] == ["target"]
    memory = Watchlist(ents, max_postings=16)
    assert memory.match("Quandrix Holovar Trading Co", "ORG")[0].score == found[0].score
