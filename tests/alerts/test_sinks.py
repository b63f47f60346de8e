"""The real slack_sdk client posts the founding case's alerts to a Slack-compatible server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from newswatch.commands import cli
from tests.support.paths import SEED_PAGE, SEED_URL
from tests.support.slack_server import SlackServer


def _ingest(runner: CliRunner, db: Path, *extra: str) -> dict:
    r = runner.invoke(cli, ["--db", str(db), "ingest", "--html", str(SEED_PAGE), "--url", SEED_URL, "--json", *extra])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _all_text(msg: dict) -> str:
    return json.dumps(msg["blocks"], ensure_ascii=False)


def test_alerts_posted_once_with_block_kit(runner: CliRunner, db_file: Path, slack_env: SlackServer) -> None:
    out = _ingest(runner, db_file)
    msgs = slack_env.messages
    assert len(msgs) == 3
    assert {a["status"] for a in out["alerts"]} == {"sent"}
    by_text = {m["text"]: m for m in msgs}
    blacklist = next(m for t, m in by_text.items() if "Xiaomi" in t and "DoD Chinese Military" in t)
    body = _all_text(blacklist)
    assert blacklist["channel"] == slack_env.channel_id("#risk-test")  # the name resolved to its ID
    assert "Xiaomi Corporation" in body and "blacklist" in body and "DoD Chinese Military Companies List" in body
    assert "The US Department of Defence put *Xiaomi* on the list" in body  # evidence quoted, entity bold
    assert SEED_URL in body
    assert "2021-05-12" in body
    kinds = [b["type"] for b in blacklist["blocks"]]
    assert kinds[0] == "header" and "actions" in kinds
    award = next(m for m in msgs if "Lei Jun" in m["text"])
    assert "Outstanding Builder of Socialism with Chinese Characteristics" in _all_text(award)
    assert all(m["metadata"]["event_payload"]["key"] for m in msgs)

    con = sqlite3.connect(db_file)
    rows = con.execute("select status, slack_ts, attempts from alerts").fetchall()
    assert {r[0] for r in rows} == {"sent"} and all(r[1] for r in rows) and all(r[2] == 1 for r in rows)

    again = _ingest(runner, db_file)
    assert len(slack_env.messages) == 3, "second ingest must post nothing new"
    assert {a["status"] for a in again["alerts"]} == {"sent"}
    _ingest(runner, db_file, "--force")  # reprocessed: same entity + tie + reason, still no new post
    assert len(slack_env.messages) == 3


def test_dry_run_sends_and_stores_nothing(runner: CliRunner, db_file: Path, slack_env: SlackServer) -> None:
    out = _ingest(runner, db_file, "--dry-run")
    assert out["findings"] and all(a["status"].startswith("dry-run") for a in out["alerts"])
    assert slack_env.messages == []
    con = sqlite3.connect(db_file)
    assert con.execute("select count(*) from articles").fetchone()[0] == 0


def test_pending_alerts_are_sent_later(
    runner: CliRunner, db_file: Path, slack_server: SlackServer, monkeypatch
) -> None:
    out = _ingest(runner, db_file)  # no token: printed, kept pending
    assert {a["status"] for a in out["alerts"]} == {"pending"}
    assert slack_server.messages == []
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack_server.base_url)
    r = runner.invoke(cli, ["--db", str(db_file), "alerts", "deliver"])
    assert r.exit_code == 0, r.output
    assert len(slack_server.messages) == 3
    # the default channel from settings, posted by its ID
    assert slack_server.messages[0]["channel"] == slack_server.channel_id("#risk-alerts")
    r = runner.invoke(cli, ["--db", str(db_file), "alerts", "deliver"])
    assert len(slack_server.messages) == 3
