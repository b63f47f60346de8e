"""The investigator's view in a real headless Chromium (Debian's ``/usr/bin/chromium``, driven by
Playwright; no browser is downloaded): search, open the founding-case alert, follow its entity to
the timeline, read the three founding-case findings with their evidence. The screenshots it takes
go to the test's temporary folder, or with ``NEWSWATCH_SCREENSHOTS=docs`` to ``docs/`` (the README's)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.paths import ROOT, SEED_URL
from tests.support.ui import make_demo_db, ui_server

CHROMIUM = Path("/usr/bin/chromium")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: ``docs/`` when asked (to refresh the README's), else a temporary folder."""
    where = os.environ.get("NEWSWATCH_SCREENSHOTS")
    folder = ROOT / where if where else tmp_path
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo_db(tmp_path_factory.mktemp("ui") / "demo.db")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), "the browser test needs Debian's chromium: apt-get install -y chromium (.ci/run does)"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def founding_case(db: Path) -> list[dict]:
    """The founding-case page's findings, as the store has them."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = con.execute(
        "select f.entity, f.tie, f.reason, f.evidence, f.alert_key from findings f "
        "join articles a on a.id = f.article_id where a.canonical_url = ? order by f.id",
        [SEED_URL],
    ).fetchall()
    return [dict(r) for r in rows]


def test_an_analyst_goes_from_a_search_to_the_entity_timeline(demo_db: Path, browser: Browser, shots: Path) -> None:
    case = founding_case(demo_db)
    assert {(f["entity"], f["tie"]) for f in case} == {
        ("Xiaomi Corporation", "blacklist"),
        ("Lei Jun", "award"),
        ("Xiaomi Corporation", "award"),
    }
    blacklist = next(f for f in case if f["tie"] == "blacklist")
    with ui_server(demo_db) as url:
        page: Page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url + "/alert_overview")
        page.fill("input[name=_search]", "Xiaomi")
        page.press("input[name=_search]", "Enter")
        page.wait_for_url("**_search=Xiaomi**")
        rows = page.locator("table.rows-and-columns tbody tr")
        assert rows.count() >= 2
        assert all("Xiaomi" in rows.nth(i).inner_text() for i in range(rows.count()))
        page.screenshot(path=str(shots / "ui-search.png"), full_page=True)

        # the founding-case alert: Xiaomi put on the DoD list
        page.locator(f"a.nw-alert:text-is('{blacklist['alert_key']}')").click()
        page.wait_for_url("**/alerts/*")
        assert "DoD Chinese Military Companies List" in page.inner_text("body")

        page.locator("a.nw-entity", has_text="Xiaomi Corporation").first.click()
        page.wait_for_url("**/entity_timeline?subject=Xiaomi*")
        body = page.inner_text("table.rows-and-columns")
        timeline = page.locator("table.rows-and-columns tbody tr")
        for f in case:
            row = timeline.filter(has_text=f["evidence"]).filter(has_text=f["reason"])
            assert row.count() >= 1, f"{f['entity']}/{f['tie']} with its evidence is on the timeline"
            assert f["entity"] in row.first.inner_text()
        assert "through Lei Jun" in body  # Lei Jun's own award belongs to Xiaomi's record
        top = page.locator("table.rows-and-columns tbody tr").nth(2).bounding_box()
        assert top is not None  # the heading, the facets and the founding case's three rows
        page.screenshot(
            path=str(shots / "ui-timeline.png"),
            full_page=True,
            clip={"x": 0, "y": 0, "width": 1400, "height": top["y"] + top["height"] + 10},
        )
        page.close()
    for name in ("ui-search.png", "ui-timeline.png"):
        assert (shots / name).read_bytes().startswith(PNG), name
