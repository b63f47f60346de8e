"""Crawler against the fixture web: real Scrapy in a child process, real HTTP on 127.0.0.1,
real spaCy, real SQLite. Each kind finds exactly its expected articles; a second run fetches
nothing new; robots.txt is obeyed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newswatch.crawler import run_crawl
from newswatch.store import open_db
from tests.support.fixture_web import fixture_web, write_config

A = {
    "inspur": "/2025/03/25/commerce-adds-inspur-subsidiaries-to-entity-list/",
    "leijun": "/2025/03/20/lei-jun-may-day-medal/",
    "hesai": "/2025/03/18/pentagon-removes-hesai-from-list/",
    "phones": "/2025/03/15/smartphone-shipments-q4/",
    "cxmt": "/2025/03/12/lawmakers-urge-cxmt-action/",
    "review": "/2025/03/10/review-ultrabook-14/",
    "sinno": "/2025/03/05/treasury-sanctions-sinno/",
    "chiptools": "/2025/02/20/chip-tools-market/",
    "old": "/2019/05/02/old-huawei-story/",
}
DRAFT = "/drafts/unpublished-story/"
EXPECTED = {
    "technews-feed": {"inspur", "leijun", "phones", "cxmt", "hesai", "review"},
    "technews-sitemap": {"inspur", "leijun", "hesai", "phones", "cxmt", "review", "sinno"},
    "technews-tech": {"inspur", "leijun", "phones", "cxmt", "sinno"},
}
ALERTS = {  # (entity, tie) each news article must raise
    "inspur": {("Inspur Group", "blacklist")},
    "leijun": {("Lei Jun", "award"), ("Xiaomi Corporation", "award")},
    "hesai": {("Hesai Group", "delisting")},
    "sinno": {("Sinno Electronics", "blacklist")},
}


@pytest.fixture(scope="module")
def web():
    with fixture_web() as sites:
        yield sites


def stored_paths(db_file: Path) -> set[str]:
    db = open_db(db_file)
    return {r["url"].split("/", 3)[3].split("?")[0].join(["/", ""]) for r in db["articles"].rows}


def alert_pairs(db_file: Path) -> set[tuple[str, str]]:
    db = open_db(db_file)
    return {(r["entity"], r["tie"]) for r in db["alerts"].rows}


@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_each_news_kind_finds_exactly_its_articles(source, web, tmp_path):
    cfg = write_config(tmp_path / "config", web, enable=[source])
    db_file = tmp_path / "n.db"
    before = dict(web["technews"].hits)
    run = run_crawl(cfg, db_file)
    assert run.status == "finished", run.to_json()
    want = {A[k] for k in EXPECTED[source]}
    assert stored_paths(db_file) == want
    counts = run.sources[0]
    assert (counts.source, counts.fetched, counts.new, counts.failed) == (source, len(want), len(want), 0)
    want_alerts = set().union(*(ALERTS.get(k, set()) for k in EXPECTED[source]))
    assert alert_pairs(db_file) == want_alerts
    assert counts.alerts == len(want_alerts)
    hits = web["technews"].hits
    assert hits[DRAFT] == 0  # robots.txt disallows /drafts/: never requested
    assert hits[A["old"]] == before.get(A["old"], 0)  # sitemap lastmod cut-off
    assert hits["/sitemap-2019.xml"] == 0  # a child sitemap older than the cut-off is not even read
    if source == "technews-tech":
        assert hits["/tech/page/3/"] == before.get("/tech/page/3/", 0)  # max_pages: 2
    db = open_db(db_file)
    art = next(db["articles"].rows_where("url like ?", [f"%{A['inspur']}%"]))
    assert art["source"] == source and art["source_kind"] == "news"
    assert "Commerce Department added Inspur Group" in art["text"]
    assert "cookies" not in art["text"] and "Sign up" not in art["text"] and "techfan88" not in art["text"]
    # tracking parameters gone from the stored identity
    assert "utm_" not in art["canonical_url"]


def test_second_run_fetches_nothing_new_and_runs_twice_in_one_process(web, tmp_path):
    cfg = write_config(tmp_path / "config", web, enable=["technews-feed", "technews-sitemap", "technews-tech"])
    db_file = tmp_path / "n.db"
    events: list[dict] = []
    first = run_crawl(cfg, db_file, progress=events.append)
    assert first.status == "finished"
    article_paths = {A[k] for k in set().union(*EXPECTED.values())}
    assert stored_paths(db_file) == article_paths
    assert first.totals()["new"] == len(article_paths) and first.totals()["fetched"] == len(article_paths)
    assert {
        e["url"].split("?")[0].split("/", 3)[3].join(["/", ""]) for e in events if e.get("status") == "new"
    } == article_paths
    hits_after_first = {p: web["technews"].hits[p] for p in article_paths}
    assert all(n >= 1 for n in hits_after_first.values())
    second = run_crawl(cfg, db_file)  # same process again: no ReactorNotRestartable
    assert second.status == "finished" and second.id == first.id + 1
    assert {p: web["technews"].hits[p] for p in article_paths} == hits_after_first  # nothing refetched
    tot = second.totals()
    assert (tot["fetched"], tot["new"], tot["alerts"]) == (0, 0, 0)
    assert tot["skipped"] >= len(article_paths)
    db = open_db(db_file)
    assert db["articles"].count == len(article_paths)
    assert [r["status"] for r in db["crawl_runs"].rows] == ["finished", "finished"]
    assert web["technews"].hits[DRAFT] == 0


def test_crawl_cli_prints_table_and_json(web, tmp_path, runner):
    from newswatch.commands import cli

    cfg = write_config(tmp_path / "config", web, enable=["technews-tech"])
    db_file = tmp_path / "n.db"
    res = runner.invoke(
        cli, ["--config", str(cfg), "--db", str(db_file), "crawl", "--source", "technews-tech", "--json", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "finished"
    assert data["sources"][0]["source"] == "technews-tech" and data["sources"][0]["new"] == 5
    res = runner.invoke(cli, ["--config", str(cfg), "--db", str(db_file), "crawl"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert "[technews-tech] listing source started" in res.stderr
    assert lines[1].split()[:4] == ["source", "kind", "status", "fetched"]
    row = lines[2].split()
    assert row[:3] == ["technews-tech", "listing", "finished"] and row[3] == "0"  # all stored already
    res = runner.invoke(cli, ["--config", str(cfg), "--db", str(db_file), "crawl", "--source", "nope"])
    assert res.exit_code == 2 and "no source named 'nope'" in res.output
