"""Source health through real crawls of the fixture web: a listing source whose selector stops
matching goes quiet; after ``crawl.broken_after_runs`` runs in a row it raises ONE "source broken"
alert through the outbox (posted by the real slack_sdk client to the Slack test server), and when it
yields again the alert gets a recovery reply in its thread. A crawl where every source fails exits
non-zero."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from newswatch.alerts.health import source_health
from newswatch.alerts.outbox import deliver_pending
from newswatch.alerts.sinks import SlackSink
from newswatch.commands import cli
from newswatch.config import SlackSettings
from newswatch.crawler import run_crawl
from newswatch.service.metrics import source_metrics
from newswatch.store import open_db
from tests.support.db import rows as query_rows
from tests.support.fixture_web import fixture_web, write_config
from tests.support.slack_server import SlackServer


@pytest.fixture(scope="module")
def web():
    with fixture_web() as sites:
        yield sites


def _set_selector(cfg: Path, css: str) -> None:
    path = cfg / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for s in data["sources"]:
        if s["name"] == "technews-tech":
            s["link_css"] = css
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _health_alerts(db: Path) -> list[tuple]:
    return query_rows(db, "select key, status, entity, text from alerts where tie = 'source_broken' order by id")


def test_a_source_quiet_for_n_runs_raises_one_alert_and_a_recovery_reply(web, tmp_path, slack_server: SlackServer):
    cfg = write_config(tmp_path / "config", web, enable=["technews-tech"], crawl={"broken_after_runs": 2})
    db_file = tmp_path / "n.db"
    sink = SlackSink.from_env(SlackSettings(), {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_API_URL": slack_server.base_url})
    assert sink is not None

    first = run_crawl(cfg, db_file)
    (src,) = first.sources
    assert src.found >= 5 and src.fetched >= 5 and first.health == []  # healthy: links found and fetched

    _set_selector(cfg, "article.card h3 a")  # the site's markup changed: the selector matches nothing
    quiet1 = run_crawl(cfg, db_file)
    assert quiet1.status == "finished" and quiet1.sources[0].found == 0 and quiet1.health == []
    assert _health_alerts(db_file) == []  # one quiet run is not yet a broken source
    quiet2 = run_crawl(cfg, db_file)
    assert quiet2.health == [("technews-tech", "broken")]
    quiet3 = run_crawl(cfg, db_file)
    assert quiet3.health == []  # still broken: no second alert

    (alert,) = _health_alerts(db_file)
    key, status, entity, text = alert
    assert status == "pending" and entity == "technews-tech"
    assert "Source broken: technews-tech (2 runs in a row): no article links found" in text
    (bad_runs, state) = query_rows(db_file, "select bad_runs, state from source_health where source = 'technews-tech'")[
        0
    ]
    assert (bad_runs, state) == (3, "broken")

    db = open_db(db_file)
    samples = {
        (m.name, tuple(sorted(smp.labels.items()))): smp.value
        for m in source_metrics(source_health(db))
        for smp in m.samples
    }
    assert samples[("newswatch_source_broken", (("source", "technews-tech"),))] == 1
    assert samples[("newswatch_source_bad_runs", (("source", "technews-tech"),))] == 3
    assert samples[("newswatch_source_last_run_pages", (("outcome", "found"), ("source", "technews-tech")))] == 0
    report = deliver_pending(db, sink)  # the same outbox as every alert (the article alerts go too)
    assert key in report.sent
    (parent,) = slack_server.posts_for_key(key)
    assert parent["text"].startswith("Source broken: technews-tech")
    assert json.dumps(parent["blocks"]).count("no article links found") == 1

    _set_selector(cfg, "article.teaser h2 a")  # fixed: the source yields again
    back = run_crawl(cfg, db_file)
    assert back.health == [("technews-tech", "recovered")] and back.sources[0].found >= 5
    report = deliver_pending(db, sink)
    replies = [m for m in slack_server.messages if m.get("thread_ts") == parent["ts"]]
    assert len(replies) == 1 and replies[0]["text"].startswith("Recovered: technews-tech recovered")
    assert any(u["ts"] == parent["ts"] and "Source recovered" in json.dumps(u["blocks"]) for u in slack_server.updates)
    assert query_rows(db_file, "select state, bad_runs from source_health") == [("ok", 0)]
    assert {m.name: m.samples[0].value for m in source_metrics(source_health(db))}["newswatch_source_broken"] == 0
    assert len(_health_alerts(db_file)) == 1  # recovery is a reply, not another alert


def test_a_crawl_where_every_source_fails_exits_non_zero_and_names_the_error(web, tmp_path):
    cfg = write_config(tmp_path / "config", web, enable=["technews-feed"], crawl={"retry_times": 0})
    web["technews"].fail.update({"/rss.xml", "/atom.xml"})
    try:
        res = CliRunner().invoke(cli, ["--config", str(cfg), "--db", str(tmp_path / "n.db"), "crawl", "--quiet"])
    finally:
        web["technews"].fail.difference_update({"/rss.xml", "/atom.xml"})
    assert res.exit_code == 1, res.output
    assert "every source failed (technews-feed)" in res.stderr
    (last_error,) = query_rows(tmp_path / "n.db", "select last_error from crawl_run_sources")[0]
    assert "HTTP 500" in last_error and ("/rss.xml" in last_error or "/atom.xml" in last_error)
