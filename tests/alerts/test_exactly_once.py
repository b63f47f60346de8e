"""Every alert posted exactly once when Slack's answer is lost after it took the post, or when
two deliverers of one process meet: top-level posts are counted per alert key on the Slack test
server, through the real slack_sdk client."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.alerts import config_dir, ingest, invoke
from tests.support.service import FixtureSite, ServiceProcess, make_config
from tests.support.slack_server import SlackServer

SEED = "xiaomi-blacklist-award.html"


def _statuses(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("select key, status from alerts").fetchall())
    finally:
        con.close()


def _top_level_posts(slack: SlackServer) -> Counter[str]:
    return Counter(
        m["metadata"]["event_payload"]["key"] for m in slack.messages if not m.get("thread_ts") and m.get("metadata")
    )


@pytest.mark.parametrize("lost", [500, 502, "drop"])
def test_a_post_slack_took_but_whose_answer_was_lost_is_found_not_posted_again(
    runner: CliRunner, db_file: Path, tmp_path: Path, slack_env: SlackServer, lost: int | str
) -> None:
    cfg = config_dir(tmp_path, http_retries=3, retry_backoff="1s")
    slack_env.accept_then("chat.postMessage", [lost])  # the first post arrives, its answer does not
    out = ingest(runner, db_file, config=cfg)
    assert sorted(a["status"] for a in out["alerts"]) == ["pending", "sent", "sent"], out["alerts"]
    for _ in range(3):
        invoke(runner, db_file, "alerts", "deliver", "--now", config=cfg)
    assert set(_statuses(db_file).values()) == {"sent"}
    posts = _top_level_posts(slack_env)
    assert len(posts) == 3 and set(posts.values()) == {1}, posts


def test_a_webhook_post_whose_answer_was_lost_fails_loudly_instead_of_posting_twice(
    runner: CliRunner, db_file: Path, tmp_path: Path, slack_server: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config_dir(tmp_path, http_retries=3, retry_backoff="1s")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack_server.webhook_url)
    slack_server.accept_then("webhook", [503])
    ingest(runner, db_file, config=cfg)
    invoke(runner, db_file, "alerts", "deliver", "--now", config=cfg)
    texts = Counter(p.get("text") for p in slack_server.state.webhook_posts)
    assert len(slack_server.state.webhook_posts) == 3 and set(texts.values()) == {1}, texts
    con = sqlite3.connect(db_file)
    failed = con.execute("select last_error from alerts where status = 'failed'").fetchall()
    con.close()
    assert len(failed) == 1 and "cannot tell whether the post arrived" in failed[0][0], failed


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server


def test_a_post_sleeping_out_a_429_is_not_taken_over_by_the_outbox_thread_of_the_same_service(
    tmp_path: Path, slack: SlackServer
) -> None:
    # The ingest worker's post gets a 429 and sleeps out Retry-After while the alert is 'sending';
    # the service's outbox thread runs every second meanwhile and must leave that claim alone.
    config = make_config(tmp_path / "config", service={"allow": ["127.0.0.2/32:*"], "deliver_every_seconds": 1})
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.base_url, "SLACK_CHANNEL": "#risk-test"}
    with FixtureSite("127.0.0.2") as site:
        svc = ServiceProcess(config, tmp_path / "n.db", tmp_path / "svc.log", env=env, args=["--no-scheduler"])
        try:
            svc.wait_ready()
            slack.state.retry_after = 4
            slack.fail_next("chat.postMessage", [429])
            row = svc.ingest_and_wait(f"{site.base}/{SEED}", timeout=90)
            assert row["state"] == "done", row
            time.sleep(2.5)  # two more outbox passes
            posts = _top_level_posts(slack)
            assert len(posts) == 3 and set(posts.values()) == {1}, (posts, svc.log())
            assert set(_statuses(tmp_path / "n.db").values()) == {"sent"}
        finally:
            svc.stop()
