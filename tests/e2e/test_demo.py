"""``newswatch demo``: serves the fixture web on 127.0.0.1, crawls every source, ends with the alerts."""

from __future__ import annotations

import multiprocessing

from newswatch.commands import cli
from newswatch.crawler import run_crawl
from newswatch.store import open_db
from tests.crawler.test_resilience import SITEMAP_ARTICLES
from tests.support.fixture_web import fixture_web, write_config

DEMO_ALERTS = {
    ("Inspur Group", "blacklist"),
    ("Lei Jun", "award"),
    ("Xiaomi Corporation", "award"),
    ("Hesai Group", "delisting"),
    ("Sinno Electronics", "blacklist"),
    ("Wuhan Lumen Optics Co., Ltd.", "blacklist"),
    ("Lumen Optics Holdings Ltd", "delisting"),
    ("Northbay Semiconductor Inc", "blacklist"),
    ("Nettrix Information Industry Co., Ltd.", "blacklist"),
    ("Suma Technology Co., Ltd.", "blacklist"),
    # the founding case page (newswatch/demo/pages)
    ("Xiaomi Corporation", "blacklist"),
    # the Chinese site (newswatch/demo/sites/zhnews): an Entity List addition (UTF-8), a provincial honours
    # list (GBK), a court-ordered removal (traditional characters); the hedged page raises nothing
    ("星河半导体有限公司", "blacklist"),
    ("北辰微电子股份有限公司", "blacklist"),
    ("启明光电科技", "blacklist"),
    ("海岳通信集团", "blacklist"),
    ("天枢数据研究院", "blacklist"),
    ("张明远", "award"),
    ("青禾智能科技有限公司", "award"),
    ("李若兰", "award"),
    ("远山新材料集团", "award"),
    ("Xiaomi Corporation", "delisting"),
}
DEMO_ALERT_COUNT = 23  # alert rows: one (entity, tie) pair above may hold two (two different awards)


def test_demo_crawls_fixture_web_and_prints_alerts(runner, tmp_path):
    db_file = tmp_path / "demo.db"
    res = runner.invoke(cli, ["--db", str(db_file), "demo"])
    assert res.exit_code == 0, res.output
    out = res.stdout.splitlines()
    assert out[0].startswith("crawl run 1:") and out[0].endswith("(finished)")
    rows = {line.split()[0]: line.split() for line in out[2:9]}
    assert set(rows) == {
        "technews-feed",
        "technews-sitemap",
        "technews-tech",
        "sec-edgar",
        "fedreg-entity-list",
        "zhnews-feed",
        "total",
    }
    assert rows["total"][1:4] == ["finished", "16", "16"]  # status, fetched, new (kind column empty)
    db = open_db(db_file)
    assert {(r["entity"], r["tie"]) for r in db["alerts"].rows} == DEMO_ALERTS
    assert db["alerts"].count == DEMO_ALERT_COUNT  # the founding page also alerts Lei Jun's and Xiaomi's other award
    assert (
        "[alert pending, no Slack token] Northbay Semiconductor Inc put on a government list: Entity List" in res.stderr
    )
    assert f'"pending": {DEMO_ALERT_COUNT}' in res.stdout
    # a Chinese alert for a reader of English: the list's name of the entity, the English reason, the
    # language, and the evidence verbatim in traditional characters
    removal = res.stderr.split(
        "Xiaomi Corporation removed from a government list: DoD Chinese Military Companies List"
    )[1]
    assert "as written: 小米集團" in removal.split("[alert")[0]  # plain text: nothing marked up for Slack
    assert "language: Chinese (zh)" in removal.split("[alert")[0]
    assert "將小米集團移出中國軍事企業清單" in removal.split("[alert")[0]


def test_stop_event_stops_cleanly_and_keeps_jobdir(tmp_path):
    with fixture_web() as web:
        # three articles come at once, the other four hang: the stop lands with work still queued
        # whatever the page workers' start-up time
        web["technews"].slow = {p: 8.0 for p in sorted(SITEMAP_ARTICLES)[3:]}
        cfg = write_config(tmp_path / "config", web, enable=["technews-sitemap"], crawl={"concurrency_per_domain": 8})
        db_file = tmp_path / "n.db"
        stop = multiprocessing.get_context("spawn").Event()
        seen: list[dict] = []

        def progress(ev: dict) -> None:
            seen.append(ev)
            if ev.get("status") == "new":
                stop.set()

        run = run_crawl(cfg, db_file, stop_event=stop, progress=progress)
        assert run.status == "stopped" and run.sources[0].finish_reason == "shutdown"
        jobdir = tmp_path / "n.crawl-state" / "technews-sitemap"
        assert (jobdir / ".clean").read_text() == "shutdown"
        web["technews"].slow = {}
        again = run_crawl(cfg, db_file)
        assert again.status == "finished"
        assert open_db(db_file)["articles"].count == 7
        assert not jobdir.exists()  # a finished crawl drops its queue state


def test_second_crawl_on_same_database_is_refused_while_one_runs(tmp_path, runner):
    import os

    from newswatch.errors import InputError

    with fixture_web() as web:
        cfg = write_config(tmp_path / "config", web, enable=["technews-feed"])
        db_file = tmp_path / "n.db"
        db = open_db(db_file)
        db["crawl_runs"].insert({"started_at": "2026-01-01T00:00:00+00:00", "status": "running", "pid": os.getpid()})
        try:
            run_crawl(cfg, db_file)
        except InputError as exc:
            assert "crawl run 1" in str(exc) and "still running" in str(exc)
        else:
            raise AssertionError("a second crawl was allowed while one runs")
        res = runner.invoke(cli, ["--config", str(cfg), "--db", str(db_file), "crawl"])
        assert res.exit_code == 2 and "still running" in res.output
        assert web["technews"].hits["/rss.xml"] == 0
        db["crawl_runs"].update(1, {"pid": 2**22 + 12345})  # that process is gone: the run was interrupted
        run = run_crawl(cfg, db_file)
        assert run.status == "finished"
        assert db["crawl_runs"].get(1)["status"] == "interrupted"
