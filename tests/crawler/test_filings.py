"""EDGAR- and Federal Register-shaped sources against the fixture web (real HTTP, Scrapy, spaCy)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from newswatch.crawler import run_crawl
from newswatch.store import open_db
from tests.support.fixture_web import fixture_web, write_config

UA = "newswatch-demo risk-team@example.com"
FILINGS = {
    "/Archives/edgar/data/1900001/000190000125000012/lumen-20f_2024.htm",  # 20-F, HTML
    "/Archives/edgar/data/1900001/000190000125000015/ex99-1.pdf",  # 6-K exhibit, PDF
    "/Archives/edgar/data/1900002/000190000225000003/nbsc-8k_20250326.htm",  # 8-K, HTML
}
NOT_FETCHED = {
    "/Archives/edgar/data/1900001/000190000125000009/lumen-10q.htm",  # 10-Q: form not configured
    "/Archives/edgar/data/1900001/000190000123000004/old-6k.htm",  # filed before filed_after
}
FR_DOCS = {
    "/documents/full_text/html/2025/03/25/2025-05038.html",
    "/documents/full_text/html/2025/03/14/2025-04410.html",
}


@pytest.fixture(scope="module")
def web():
    with fixture_web() as sites:
        yield sites


def paths(db, host_base: str) -> set[str]:
    return {r["url"].removeprefix(host_base) for r in db["articles"].rows}


def test_edgar_finds_exactly_the_wanted_filings_with_declared_user_agent(web, tmp_path):
    cfg = write_config(tmp_path / "config", web, enable=["sec-edgar"])
    run = run_crawl(cfg, tmp_path / "n.db")
    assert run.status == "finished", run.to_json()
    db = open_db(tmp_path / "n.db")
    site = web["edgar"]
    assert paths(db, site.base_url) == FILINGS
    assert all(site.hits[p] == 0 for p in NOT_FETCHED)
    assert site.hits["/submissions/CIK0001900001.json"] == 1 and site.hits["/submissions/CIK0001900002.json"] == 1
    assert {ua for _p, ua in site.requests} == {UA}  # every request, robots.txt included
    pdf = next(db["articles"].rows_where("url like '%.pdf'"))
    assert pdf["source_kind"] == "filing" and pdf["content_type"] == "application/pdf"
    assert "Revenue rose 12 percent" in pdf["text"] and pdf["error"] is None
    eightk = next(db["articles"].rows_where("url like '%8k%'"))
    assert "Northbay Semiconductor Inc to the Entity List" in eightk["text"]
    assert {(r["entity"], r["tie"], r["reason"]) for r in db["alerts"].rows} == {
        ("Wuhan Lumen Optics Co., Ltd.", "blacklist", "Entity List"),
        ("Lumen Optics Holdings Ltd", "delisting", "DoD Chinese Military Companies List"),
        ("Northbay Semiconductor Inc", "blacklist", "Entity List"),
    }
    c = run.sources[0]
    assert (c.kind, c.fetched, c.new, c.failed, c.alerts) == ("edgar", 3, 3, 0, 3)


def test_federal_register_queries_the_documents_api_then_fetches_full_text(web, tmp_path):
    cfg = write_config(tmp_path / "config", web, enable=["fedreg-entity-list"])
    run = run_crawl(cfg, tmp_path / "n.db")
    assert run.status == "finished", run.to_json()
    site = web["federalregister"]
    api = [p for p, _ua in site.requests if p.startswith("/api/v1/documents.json")]
    assert len(api) == 1
    q = parse_qs(urlsplit(api[0]).query)
    assert q["conditions[term]"] == ["entity list"]
    assert q["conditions[agencies][]"] == ["industry-and-security-bureau"]
    assert q["conditions[type][]"] == ["RULE"]
    db = open_db(tmp_path / "n.db")
    assert paths(db, site.base_url) == FR_DOCS
    rule = next(db["articles"].rows_where("url like '%2025-05038%'"))
    assert rule["title"] == "Additions to the Entity List" and rule["source_kind"] == "filing"
    assert {(r["entity"], r["tie"]) for r in db["alerts"].rows} == {
        ("Nettrix Information Industry Co., Ltd.", "blacklist"),
        ("Suma Technology Co., Ltd.", "blacklist"),
    }
    c = run.sources[0]
    assert (c.kind, c.fetched, c.new, c.alerts) == ("federal_register", 2, 2, 2)
