"""Delivery failures are loud and classified: a bad token or a missing channel fails at once with the
reason, an unreachable Slack costs one timeout for the whole batch, and ``alerts deliver`` exits
non-zero when anything was not delivered. Real slack_sdk client, real HTTP, the Slack test server
answering as Slack does (IDs in answers, names refused where Slack wants an ID)."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.alerts.outbox import deliver_pending
from newswatch.alerts.sinks import SlackSink
from newswatch.config import AlertSettings, SlackSettings
from newswatch.store import open_db
from tests.support.alerts import config_dir, ingest, invoke
from tests.support.db import rows as query_rows
from tests.support.slack_server import SlackServer


def _pending_alerts(runner: CliRunner, db_file: Path, total: int = 3) -> list[str]:
    """The founding-case page ingested without a token (three pending alerts), then cloned rows up
    to ``total`` pending alerts (distinct keys; what a long outage leaves in the outbox)."""
    ingest(runner, db_file)
    con = sqlite3.connect(db_file)
    cols = [r[1] for r in con.execute("pragma table_info(alerts)") if r[1] not in ("id", "key", "group_key")]
    for i in range(total - 3):
        con.execute(
            f"insert into alerts (key, group_key, {', '.join(cols)}) "
            f"select key || '-c{i}', group_key || '-c{i}', {', '.join(cols)} from alerts where id = 1"
        )
    con.commit()
    keys = [k for (k,) in con.execute("select key from alerts where status = 'pending' order by id")]
    con.close()
    assert len(keys) == total
    return keys


@pytest.fixture
def token_env(slack_server: SlackServer, monkeypatch: pytest.MonkeyPatch) -> SlackServer:
    """The Slack variables, set after the alerts were written (the ingest itself sends nothing)."""

    def arm() -> None:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        monkeypatch.setenv("SLACK_CHANNEL", "#risk-test")
        monkeypatch.setenv("SLACK_API_URL", slack_server.base_url)

    slack_server.arm = arm  # type: ignore[attr-defined]
    return slack_server


def test_a_wrong_token_fails_the_batch_at_once_and_exits_non_zero(
    runner: CliRunner, db_file: Path, token_env: SlackServer
) -> None:
    _pending_alerts(runner, db_file)
    token_env.arm()
    token_env.state.auth_error = "invalid_auth"  # what Slack answers every call with a mistyped token
    started = time.monotonic()
    r = invoke(runner, db_file, "alerts", "deliver", ok=False)
    assert time.monotonic() - started < 5
    assert r.exit_code == 5, r.output
    assert "nothing delivered: Slack auth.test: invalid_auth (permanent: check the bot token" in r.output
    assert token_env.count("auth.test") == 1 and token_env.count("chat.postMessage") == 0  # checked first
    assert {s for (s,) in query_rows(db_file, "select status from alerts")} == {"pending"}  # kept for a good token


def test_a_token_revoked_mid_batch_fails_that_alert_with_the_reason_and_stops(
    runner: CliRunner, db_file: Path, token_env: SlackServer
) -> None:
    keys = _pending_alerts(runner, db_file)
    token_env.arm()
    token_env.error_next("chat.postMessage", ["token_revoked"])  # auth.test passed, then the token went
    r = invoke(runner, db_file, "alerts", "deliver", ok=False)
    assert r.exit_code == 5, r.output
    assert token_env.count("chat.postMessage") == 1, "the batch stopped at the first permanent error"
    rows = query_rows(db_file, "select key, status, attempts, last_error from alerts order by id")
    assert rows[0][:3] == (keys[0], "failed", 1) and "token_revoked" in rows[0][3] and "permanent" in rows[0][3]
    assert [r[1] for r in rows[1:]] == ["pending", "pending"]
    assert all(r[3].startswith("not tried: Slack API error: HTTP 200 token_revoked") for r in rows[1:])
    assert '"halted": "Slack API error: HTTP 200 token_revoked' in r.stdout


def test_a_channel_that_does_not_exist_fails_its_alerts_at_once_without_posting(
    runner: CliRunner, db_file: Path, token_env: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pending_alerts(runner, db_file)
    token_env.arm()
    monkeypatch.setenv("SLACK_CHANNEL", "#risk-alertz")  # a typo: no such channel in the workspace
    r = invoke(runner, db_file, "alerts", "deliver", ok=False)
    assert r.exit_code == 5
    assert token_env.count("chat.postMessage") == 0  # the name was looked up (conversations.list), not guessed
    errs = [e for (s, e) in query_rows(db_file, "select status, last_error from alerts") if s == "failed"]
    assert len(errs) == 3 and all("channel_not_found" in e and "#risk-alertz" in e for e in errs)


def test_a_bot_not_in_the_channel_fails_the_channels_alerts_with_the_fix(
    runner: CliRunner, db_file: Path, token_env: SlackServer
) -> None:
    _pending_alerts(runner, db_file)
    token_env.arm()
    token_env.state.not_member.add(token_env.channel_id("risk-test"))
    r = invoke(runner, db_file, "alerts", "deliver", ok=False)
    assert r.exit_code == 5
    assert token_env.count("chat.postMessage") == 1, "the channel's other alerts are not posted into the wall"
    errs = [e for (e,) in query_rows(db_file, "select last_error from alerts where status = 'failed'")]
    assert len(errs) == 3 and all("not_in_channel" in e and "invite the bot" in e for e in errs)


def test_a_message_slack_refuses_fails_alone_and_the_batch_goes_on(
    runner: CliRunner, db_file: Path, token_env: SlackServer
) -> None:
    _pending_alerts(runner, db_file)
    token_env.arm()
    token_env.error_next("chat.postMessage", ["msg_too_long"])
    r = invoke(runner, db_file, "alerts", "deliver", ok=False)
    assert r.exit_code == 5
    statuses = [s for (s,) in query_rows(db_file, "select status from alerts order by id")]
    assert statuses == ["failed", "sent", "sent"]
    (err,) = query_rows(db_file, "select last_error from alerts where status = 'failed'")[0]
    assert "msg_too_long" in err
    assert invoke(runner, db_file, "alerts", "deliver").exit_code == 0  # nothing left: a clean run is 0


class Blackhole:
    """A TCP listener on 127.0.0.1 that takes connections and never answers (a Slack that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.accepted = 0
        self.conns: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/api/"

    def _loop(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self.conns.append(conn)

    def __enter__(self) -> Blackhole:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    with Blackhole() as b:
        yield b


TIMEOUT = 2  # slack.timeout_seconds in these tests


def test_an_unreachable_slack_with_50_pending_alerts_costs_one_timeout_not_fifty(
    runner: CliRunner, db_file: Path, blackhole: Blackhole
) -> None:
    keys = _pending_alerts(runner, db_file, total=50)
    sink = SlackSink.from_env(
        SlackSettings(timeout_seconds=TIMEOUT), {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_API_URL": blackhole.url}
    )
    assert sink is not None
    db = open_db(db_file)
    started = time.monotonic()
    report = deliver_pending(db, sink, settings=AlertSettings(http_retries=3))  # the service's outbox pass
    took = time.monotonic() - started
    assert took < 2 * TIMEOUT, f"{took:.1f} s for 50 alerts"
    assert blackhole.accepted == 1, "one post met the hang; the batch stopped there"
    assert report.halted and "unreachable" in report.halted and len(report.skipped) == 49
    rows = query_rows(db_file, "select key, status, verify_first, attempts, last_error from alerts order by id")
    # the alert whose post hung may have arrived: it is looked for before it is posted again
    assert rows[0][:4] == (keys[0], "pending", 1, 1)
    assert all(r[1] == "pending" and r[3] in (0, None) and r[4].startswith("not tried:") for r in rows[1:])


def test_alerts_deliver_against_a_hanging_slack_stops_after_one_timeout_and_exits_non_zero(
    runner: CliRunner, db_file: Path, blackhole: Blackhole, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pending_alerts(runner, db_file, total=50)
    cfg = config_dir(tmp_path)
    settings = (cfg / "settings.yaml").read_text()
    (cfg / "settings.yaml").write_text(settings.replace("timeout_seconds: 10", f"timeout_seconds: {TIMEOUT}"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-t")
    monkeypatch.setenv("SLACK_API_URL", blackhole.url)
    started = time.monotonic()
    r = invoke(runner, db_file, "alerts", "deliver", config=cfg, ok=False)
    assert time.monotonic() - started < 2 * TIMEOUT
    assert r.exit_code == 5 and "nothing delivered: Slack unreachable (auth.test)" in r.output
    assert blackhole.accepted == 1
    assert {(s, a) for (s, a) in query_rows(db_file, "select status, coalesce(attempts, 0) from alerts")} == {
        ("pending", 0)
    }


def test_a_channel_name_is_resolved_once_and_history_is_read_by_id(
    runner: CliRunner, db_file: Path, token_env: SlackServer
) -> None:
    _pending_alerts(runner, db_file)
    con = sqlite3.connect(db_file)  # killed after 'sending' was committed: the row has the rule's name
    con.execute(
        "update alerts set status = 'sending', attempts = 1, claimed_at = ?, channel = '#risk-test' where id = 1",
        [time.time()],
    )
    con.commit()
    con.close()
    token_env.arm()
    r = invoke(runner, db_file, "alerts", "deliver")
    risk_test = token_env.channel_id("risk-test")
    # three pages of channels (two a page), once for the batch, not once per alert
    assert token_env.count("conversations.list") == 3
    # the history lookup for the interrupted alert went by ID (the server refuses names there)
    assert token_env.count("conversations.history") == 1 and '"recovered": 0' in r.stdout
    channels = {c for (c,) in query_rows(db_file, "select channel from alerts")}
    assert channels == {risk_test}  # stored as Slack answered: the ID
    assert {m["channel"] for m in token_env.messages} == {risk_test}


def test_the_test_server_refuses_a_channel_name_where_slack_wants_an_id(token_env: SlackServer) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token="xoxb-t", base_url=token_env.base_url)
    posted = client.chat_postMessage(channel="#risk-test", text="hello")
    assert posted["channel"] == token_env.channel_id("risk-test")
    with pytest.raises(SlackApiError) as exc:
        client.conversations_history(channel="#risk-test")
    assert exc.value.response["error"] == "channel_not_found"
    assert client.conversations_history(channel=posted["channel"])["messages"][0]["text"] == "hello"
