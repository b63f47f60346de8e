"""The service's Slack side, through a real `newswatch run` process: the outbox thread posts alerts that
were stored while no sink was reachable (as a crawl leaves them), exactly once, and the Slack
interactivity endpoint is mounted, refusing forged requests and recording signed ones."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from click.testing import CliRunner

from tests.support.alerts import ingest
from tests.support.service import ServiceProcess, make_config
from tests.support.slack_server import SlackServer

SECRET = "a-signing-secret-for-the-service-test"


def _sign(body: bytes, ts: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _rows(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_outbox_delivers_stored_alerts_once_and_interactivity_is_mounted(
    tmp_path: Path, slack_server: SlackServer
) -> None:
    db = tmp_path / "nw.db"
    # Stored with no Slack configured (as the crawl child stores them): they wait as `pending`.
    result = ingest(CliRunner(), db)
    keys = sorted(a["key"] for a in result["alerts"])
    assert keys and all(a["status"] == "pending" for a in result["alerts"])
    assert slack_server.count("chat.postMessage") == 0

    config = make_config(tmp_path / "config", service={"deliver_every_seconds": 0.5})
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_CHANNEL": "#risk-test",
        "SLACK_API_URL": slack_server.base_url,
        "SLACK_SIGNING_SECRET": SECRET,
    }
    svc = ServiceProcess(config, db, tmp_path / "service.log", env=env, args=["--no-scheduler"])
    try:
        svc.wait_ready()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(st == "sent" for (st,) in _rows(db, "select status from alerts")):
                break
            time.sleep(0.3)
        assert sorted(k for (k,) in _rows(db, "select key from alerts where status = 'sent'")) == keys, svc.log()
        time.sleep(2)  # several more outbox passes: nothing is posted again
        assert slack_server.count("chat.postMessage") == len(keys)
        for key in keys:
            assert len(slack_server.posts_for_key(key)) == 1

        url = f"{svc.url}/slack/interactivity"
        key = keys[0]
        body = urlencode(
            {
                "payload": json.dumps(
                    {
                        "type": "block_actions",
                        "user": {"id": "U7", "username": "carol"},
                        "actions": [{"action_id": "ack", "value": key, "block_id": f"triage:{key}", "type": "button"}],
                    }
                )
            }
        ).encode()
        # Slack's own endpoints need no bearer token, but a signature: forged and stale ones are refused.
        forged = httpx.post(url, content=body, headers={**_sign(body), "X-Slack-Signature": "v0=" + "0" * 64})
        stale = httpx.post(url, content=body, headers=_sign(body, int(time.time()) - 600))
        assert forged.status_code == 401 and stale.status_code == 401
        assert _rows(db, "select count(*) from alert_actions") == [(0,)]
        ok = httpx.post(url, content=body, headers=_sign(body))
        assert ok.status_code == 200, ok.text
        actions = _rows(db, "select action, user_name from alert_actions")
        assert len(actions) == 1 and "carol" in actions[0][1], actions
    finally:
        assert svc.stop() == 0, svc.log()
