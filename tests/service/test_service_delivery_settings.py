"""An on-demand ingest delivers its alerts with the configured alert settings, as the CLI does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.service import FixtureSite, ServiceProcess, make_config
from tests.support.slack_server import SlackServer

SEED = "xiaomi-blacklist-award.html"


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server


def test_api_ingest_gives_up_after_the_configured_time_not_the_default(tmp_path: Path, slack: SlackServer) -> None:
    # Slack fails every post. With `give_up_after: 0s` the first failed attempt marks the alert
    # failed at once; by the built-in defaults (6 h) it would stay pending for a retry.
    config = make_config(
        tmp_path / "config",
        service={"allow": ["127.0.0.2/32:*"], "deliver_every_seconds": 3600},
        alerts={"give_up_after": "0s", "retry_backoff": "1h", "http_retries": 0},
    )
    slack.fail_next("chat.postMessage", [500] * 50)
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.base_url, "SLACK_CHANNEL": "#risk-test"}
    with FixtureSite("127.0.0.2") as site:
        svc = ServiceProcess(config, tmp_path / "n.db", tmp_path / "svc.log", env=env, args=["--no-scheduler"])
        try:
            svc.wait_ready()
            row = svc.ingest_and_wait(f"{site.base}/{SEED}")
            assert row["state"] == "done", row
            statuses = {a["key"]: a["status"] for a in row["result"]["alerts"]}
            assert statuses and set(statuses.values()) == {"failed"}, (statuses, svc.log())
            listed = svc.client.get("/alerts", params={"status": "failed"}).json()["alerts"]
            assert {a["key"] for a in listed} == set(statuses)
            assert all("500" in (a["last_error"] or "") for a in listed), listed
        finally:
            svc.stop()
