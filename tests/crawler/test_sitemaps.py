"""Sitemaps as Scrapy reads them, through real crawls of the fixture web: a gzipped sitemap
(``.xml.gz``, decompressed with Scrapy's ``gunzip``), the sitemaps a site's robots.txt names, and a
gzip bomb refused at ``crawl.max_bytes`` instead of being decompressed."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import yaml

from newswatch.crawler import run_crawl
from newswatch.store import open_db
from tests.crawler.test_spiders import EXPECTED, A, stored_paths
from tests.support.fixture_web import fixture_web, write_config


@pytest.fixture(scope="module")
def web():
    with fixture_web() as sites:
        yield sites


def _config(tmp_path: Path, web, sitemaps: list[str], **crawl) -> Path:
    cfg = write_config(tmp_path / "config", web, enable=["technews-sitemap"], crawl=crawl or None)
    path = cfg / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for s in data["sources"]:
        if s["name"] == "technews-sitemap":
            s["sitemaps"] = sitemaps
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return cfg


def test_a_gzipped_sitemap_is_decompressed_and_crawled(web, tmp_path):
    cfg = _config(tmp_path, web, ["/sitemap-articles.xml.gz"])
    db_file = tmp_path / "n.db"
    before = web["technews"].hits["/sitemap-articles.xml.gz"]
    run = run_crawl(cfg, db_file)
    assert web["technews"].hits["/sitemap-articles.xml.gz"] == before + 1
    assert run.status == "finished" and run.sources[0].failed == 0, run.to_json()
    assert stored_paths(db_file) == {A[k] for k in EXPECTED["technews-sitemap"]}


def test_the_sitemaps_named_in_robots_txt_are_crawled(web, tmp_path):
    cfg = _config(tmp_path, web, ["/robots.txt"])
    db_file = tmp_path / "n.db"
    run = run_crawl(cfg, db_file)
    assert run.status == "finished" and run.sources[0].failed == 0, run.to_json()
    # robots.txt names the sitemap index: the same articles as from the index itself
    assert stored_paths(db_file) == {A[k] for k in EXPECTED["technews-sitemap"]}


def test_a_gzip_bomb_sitemap_is_refused_at_max_bytes_not_decompressed(web, tmp_path):
    doc = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    doc += b"<!--" + b" " * 8_000_000 + b"--></urlset>"
    bomb = gzip.compress(doc)
    assert len(bomb) < 100_000  # small on the wire, 8 MB unpacked
    web["technews"].bodies["/bomb.xml.gz"] = (bomb, "application/gzip")
    try:
        cfg = _config(tmp_path, web, ["/bomb.xml.gz"], max_bytes=1_000_000)
        db_file = tmp_path / "n.db"
        run = run_crawl(cfg, db_file)
    finally:
        del web["technews"].bodies["/bomb.xml.gz"]
    assert run.sources[0].failed == 1 and run.sources[0].fetched == 0
    (reason,) = [r["reason"] for r in open_db(db_file)["crawl_urls"].rows]
    assert "gzipped sitemap is over crawl.max_bytes (1000000) decompressed, not read" in reason
