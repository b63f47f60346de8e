"""The founding case end to end through the CLI: the seed page in, findings and alerts out."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from newswatch.commands import cli
from tests.support.paths import SEED_PAGE, SEED_URL

BOILERPLATE = [
    "Must read",
    "Source link",
    "- Advertisement -",
    "Advertisement",
    "Please enter your comment!",
    "Please enter your name here",
    "More articles",
    "Latest article",
    "LEAVE A REPLY",
    "Post Comment",
    "Privacy Policy",
    "All rights reserved",
    "OnePlus 9 Pro",
]


@pytest.fixture(scope="module")
def seed_result(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    db = tmp_path_factory.mktemp("seed") / "newswatch.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "ingest", "--html", str(SEED_PAGE), "--url", SEED_URL, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), str(db)


def test_extracted_text_holds_article_and_no_boilerplate(seed_result: tuple[dict, str]) -> None:
    article = seed_result[0]["article"]
    text = article["text"]
    assert "The US Department of Defence put Xiaomi on the list" in text
    assert "“Outstanding Builder of Socialism with Chinese Characteristics” award in 2019" in text
    assert "has been using the legal route to get itself removed" in text
    for line in BOILERPLATE:
        assert line not in text, line
    assert article["title"] == "The ‘real’ reason why the US blacklisted Xiaomi"
    assert article["published"] == "2021-05-12"
    assert article["author"] == "Priya Raman"
    assert article["language"] == "en"
    assert article["url"] == SEED_URL


def test_entities_are_labelled(seed_result: tuple[dict, str]) -> None:
    ents = seed_result[0]["entities"]
    labels = {(e["text"], e["label"]) for e in ents}
    assert ("Xiaomi", "ORG") in labels
    assert ("Xiaomi", "PERSON") not in labels, "the watchlist ruler must fix the small model's PERSON"
    assert ("Lei Jun", "PERSON") in labels
    awards = [e["text"] for e in ents if e["label"] == "AWARD"]
    assert any("Outstanding Builder of Socialism with Chinese Characteristics" in a for a in awards)
    text = seed_result[0]["article"]["text"]
    for e in ents:
        assert text[e["start"] : e["end"]] == e["text"]
    assert {e["entity_id"] for e in ents if e["text"] == "Xiaomi"} == {"xiaomi"}


def _find(findings: list[dict], entity: str, tie: str, via: str | None = None) -> dict:
    hits = [f for f in findings if entity in f["entity"] and f["tie"] == tie and f["via"] == via]
    assert hits, f"no {entity}/{tie} via {via} in {json.dumps(findings, indent=1)}"
    return hits[0]


def test_findings_of_the_founding_case(seed_result: tuple[dict, str]) -> None:
    out = seed_result[0]
    text = out["article"]["text"]
    findings = out["findings"]
    xb = _find(findings, "Xiaomi", "blacklist")
    assert xb["entity_type"] == "ORG"
    assert "Chinese Military Companies" in xb["reason"]
    lj = _find(findings, "Lei Jun", "award")
    assert lj["entity_type"] == "PERSON"
    assert lj["reason"] == "Outstanding Builder of Socialism with Chinese Characteristics"
    xa = _find(findings, "Xiaomi", "award", via="Lei Jun")
    assert xa["reason"] == lj["reason"]
    for f in (xb, lj, xa):
        assert f["evidence"] in text, "evidence must be a verbatim sentence of the article"
        assert 0 < f["confidence"] <= 1
    assert "Xiaomi" in xb["evidence"] and ("list" in xb["evidence"] or "blacklist" in xb["evidence"])
    assert "Outstanding Builder of Socialism" in lj["evidence"]


def test_no_finding_for_bystanders(seed_result: tuple[dict, str]) -> None:
    findings = seed_result[0]["findings"]
    for name in ("Trump", "MIIT", "Wall Street Journal", "Department of Defen"):
        assert not [f for f in findings if name in f["entity"]], name
    # "has been using the legal route to get itself removed" is an attempt, not a removal.
    assert not [f for f in findings if f["tie"] == "delisting"]


def test_alerts_and_storage(seed_result: tuple[dict, str]) -> None:
    out, db = seed_result
    alerts = out["alerts"]
    assert len(alerts) == 3
    assert {a["status"] for a in alerts} == {"pending"}, "no Slack token: alerts stay pending"
    con = sqlite3.connect(db)
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert con.execute("select count(*) from articles").fetchone()[0] == 1
    assert con.execute("select count(*) from findings").fetchone()[0] == len(out["findings"])
    assert con.execute("select count(*) from mentions").fetchone()[0] == len(out["entities"])
    rows = con.execute("select entity, tie, reason, status from alerts order by id").fetchall()
    assert len(rows) == 3 and all(r[3] == "pending" for r in rows)
