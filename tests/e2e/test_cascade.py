"""The cascade keeps recall: through the real pipeline and the real spaCy model, the findings on the
labelled set (fixtures/eval/) are the same with ``nlp.cascade`` on and off, also when every page is
padded with unrelated sentences so that the cascade reads only windows of it. A page without tie
vocabulary is stored with its gazetteer mentions and says why it was not parsed."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from newswatch.config import load_settings
from newswatch.evaluation import load_labelled
from newswatch.models import Article, FetchedPage, Finding
from newswatch.nlp.extract import extract
from newswatch.pipeline import Pipeline
from newswatch.store import open_db
from tests.support.paths import CONFIG, FIXTURES

# our own words, about nothing a tie could be made of
FILLER = [
    "The weather in the coastal city stayed mild for most of the week.",
    "Local shops reported steady business ahead of the holiday season.",
    "A new bus line will connect the northern suburbs with the harbour.",
    "Analysts expect the central bank to hold interest rates steady next month.",
    "The museum opened a wing devoted to early printing presses.",
    "Commuters complained about delays on the main rail corridor on Tuesday.",
    "Farmers said the harvest had been better than in the two years before.",
]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_config(CONFIG)


@pytest.fixture(scope="module")
def articles() -> list[tuple[str, Article]]:
    out = []
    for page in load_labelled(FIXTURES / "eval"):
        fetched = FetchedPage(url=page.url, body=page.path.read_bytes(), source="eval", source_kind="news")
        out.append((page.name, extract(fetched)))
    return out


def padded(article: Article, every: int = 6) -> Article:
    """The article with unrelated sentences before it and after each of its paragraphs."""
    paras = []
    for n, para in enumerate(article.text.split("\n")):
        paras += [para, " ".join(FILLER[(n + k) % len(FILLER)] for k in range(every))]
    return replace(article, text=" ".join(FILLER) + "\n" + "\n".join(paras))


def run(pipeline: Pipeline, article: Article, cascade: bool) -> tuple[list[Finding], dict[str, object]]:
    pipeline.settings.nlp.cascade = cascade
    info: dict[str, object] = {}
    try:
        _, findings = pipeline.analyse(article, info=info)
    finally:
        pipeline.settings.nlp.cascade = True
    return findings, info


def text_key(f: Finding) -> tuple:
    return (f.entity, f.entity_id, f.entity_type, f.tie, f.reason, f.evidence, f.via, round(f.confidence, 3))


def list_key(f: Finding) -> tuple:
    return (f.entity, f.entity_id, f.tie, f.reason, round(f.confidence, 3))


def assert_same(name: str, text: str, off: list[Finding], on: list[Finding]) -> None:
    """Text findings equal in every field; list-data findings equal in entity, list and score, their
    evidence a sentence of the page naming the listed name (the cheap split's sentence where the
    page was not parsed: a dateline is cut off as the annotator cuts it)."""
    assert sorted(map(repr, (text_key(f) for f in off if f.source == "text"))) == sorted(
        map(repr, (text_key(f) for f in on if f.source == "text"))
    ), name
    assert sorted(map(repr, (list_key(f) for f in off if f.source != "text"))) == sorted(
        map(repr, (list_key(f) for f in on if f.source != "text"))
    ), name
    for f in on:
        if f.source != "text":
            assert f.evidence in text and str(f.explain["as_written"]) in f.evidence, (name, f.evidence)


def test_findings_on_the_eval_set_are_the_same_with_the_cascade_on_and_off(
    pipeline: Pipeline, articles: list[tuple[str, Article]]
) -> None:
    parsed: dict[str, int] = {}
    for name, article in articles:
        off, _ = run(pipeline, article, cascade=False)
        on, info = run(pipeline, article, cascade=True)
        assert_same(name, article.text, off, on)
        parsed[str(info["parsed"])] = parsed.get(str(info["parsed"]), 0) + 1
    assert parsed.get("none", 0) >= 3, "pages about listed companies without any tie are not parsed"
    assert sum(parsed.values()) == len(articles)


def test_findings_are_the_same_when_the_cascade_reads_only_windows_of_long_pages(
    pipeline: Pipeline, articles: list[tuple[str, Article]]
) -> None:
    windows = 0
    found = 0
    for name, article in articles:
        long = padded(article)
        off, _ = run(pipeline, long, cascade=False)
        on, info = run(pipeline, long, cascade=True)
        assert_same(name, long.text, off, on)
        found += sum(1 for f in on if f.source == "text")
        if info["parsed"] == "windows":
            windows += 1
            assert sum(e - s for s, e in info["windows"]) < len(long.text)  # type: ignore[attr-defined]
    assert windows >= 30, "most tie pages are read in windows only"
    assert found >= 40, "and the ties are still found"


def test_a_page_without_tie_vocabulary_is_stored_with_its_listed_names_and_why(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    db = open_db(tmp_path / "n.db")
    html = (
        "<html><head><title>Quarterly results</title></head><body><article>"
        "<p>Xiaomi Corporation reported a rise in quarterly revenue on Monday, helped by phone sales.</p>"
        "<p>The company said it expected demand to stay strong through the holiday season.</p>"
        f"<p>{' '.join(FILLER)}</p></article></body></html>"
    )
    page = FetchedPage(url="https://news.example/xiaomi-results", body=html.encode(), source_kind="news")
    result = pipeline.process(page, db)
    row = db.execute("select nlp from articles where id = ?", [result.article_id]).fetchone()
    nlp = json.loads(row[0])
    assert nlp["parsed"] == "none" and "not parsed" in nlp["why"] and "no sentence can hold a tie" in nlp["why"]
    mentions = db.execute("select text, entity_id, sentence from mentions").fetchall()
    assert [m[1] for m in mentions] == ["xiaomi"] and mentions[0][0].startswith("Xiaomi"), "the gazetteer's"
    assert mentions[0][2].startswith("Xiaomi Corporation reported a rise")
    findings = db.execute("select entity, tie, reason, source from findings").fetchall()
    assert findings == [("Xiaomi Corporation", "blacklist", "DoD Chinese Military Companies List", "watchlist")]
    explained = pipeline.explain(page)
    assert explained.nlp["parsed"] == "none"


def test_on_demand_ingest_parses_every_sentence(pipeline: Pipeline, tmp_path: Path) -> None:
    db = open_db(tmp_path / "n.db")
    html = f"<html><body><article><p>{' '.join(FILLER)}</p><p>Tencent shares rose.</p></article></body></html>"
    page = FetchedPage(url="https://news.example/quiet", body=html.encode(), source_kind="on-demand")
    prepared = pipeline.prepare(page, db, parse_all=True)
    assert prepared.nlp["parsed"] == "all" and "on demand" in str(prepared.nlp["why"])
    assert any(m.label == "ORG" for m in prepared.mentions), "spaCy's own entities: it was parsed"
    assert pipeline.prepare(page, db).nlp["parsed"] == "none", "a crawl's page is not"


def test_the_cascade_is_a_setting(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    cfg.mkdir()
    text = (CONFIG / "settings.yaml").read_text()
    assert re.search(r"^  cascade: true", text, re.M), "documented in the bundled settings"
    (cfg / "settings.yaml").write_text(text.replace("  cascade: true", "  cascade: false"))
    assert load_settings(cfg).nlp.cascade is False
    assert load_settings(CONFIG).nlp.cascade is True
