"""Slack interactivity over real HTTP: a uvicorn server on 127.0.0.1 with the Starlette routes,
requests signed (or forged) like Slack's, the real slack_sdk client updating messages."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from newswatch.config import load_settings
from newswatch.service.app import ServiceState, build_app
from tests.support.alerts import SECOND_PAGE, SECOND_URL, config_dir, ingest, invoke
from tests.support.paths import CONFIG
from tests.support.slack_server import SlackServer

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def app_url(db_file: Path, slack_env: SlackServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    app = build_app(ServiceState(load_settings(CONFIG), db_file), token="a-token-no-test-sends-1234")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}/slack/interactivity"
    server.should_exit = True
    thread.join(10)


def _payload(key: str, action: str, user: str = "U42", name: str = "alice") -> bytes:
    return urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "block_actions",
                    "user": {"id": user, "username": name},
                    "actions": [{"action_id": action, "value": key, "block_id": f"triage:{key}", "type": "button"}],
                }
            )
        }
    ).encode()


def _sign(body: bytes, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _count(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f"select count(*) from {table}").fetchone()[0]
    finally:
        con.close()


def _key(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("select key from alerts where tie = 'blacklist'").fetchone()[0]
    finally:
        con.close()


def _wait_update(server: SlackServer, n: int) -> dict:
    deadline = time.time() + 20
    while len(server.updates) < n and time.time() < deadline:
        time.sleep(0.05)
    assert len(server.updates) >= n, "chat.update never came"
    return server.updates[n - 1]


def test_forged_requests_are_rejected_and_change_nothing(
    runner: CliRunner, db_file: Path, slack_env: SlackServer, app_url: str
) -> None:
    ingest(runner, db_file)
    key = _key(db_file)
    body = _payload(key, "mute_entity")
    forged = [
        _sign(body, secret="not-the-secret"),  # bad signature
        _sign(body, ts=int(time.time()) - 6 * 60),  # correctly signed, 6 minutes old
        {"Content-Type": "application/x-www-form-urlencoded"},  # no signature at all
    ]
    for headers in forged:
        r = httpx.post(app_url, content=body, headers=headers)
        assert r.status_code == 401, r.text
    r = httpx.post(app_url, content=_payload(key, "mute_entity", user="U666"), headers=_sign(body))  # body swapped
    assert r.status_code == 401
    time.sleep(0.3)
    for table in ("alert_actions", "feedback", "silences"):
        assert _count(db_file, table) == 0, table
    assert slack_env.count("chat.update") == 0
    ok = httpx.post(app_url, content=body, headers=_sign(body))  # the same click, signed: accepted
    assert ok.status_code == 200 and _count(db_file, "silences") == 1


def test_acknowledge_records_who_and_updates_message(
    runner: CliRunner, db_file: Path, slack_env: SlackServer, app_url: str
) -> None:
    ingest(runner, db_file)
    key = _key(db_file)
    body = _payload(key, "ack")
    r = httpx.post(app_url, content=body, headers=_sign(body))
    assert r.status_code == 200 and r.json()["action"] == "ack"
    con = sqlite3.connect(db_file)
    rows = con.execute("select alert_key, action, user_id, user_name from alert_actions").fetchall()
    ts = con.execute("select slack_ts from alerts where key = ?", [key]).fetchone()[0]
    con.close()
    assert rows == [(key, "ack", "U42", "alice")]
    upd = _wait_update(slack_env, 1)
    assert upd["ts"] == ts and "Acknowledged by alice" in json.dumps(upd["blocks"])


def test_false_positive_lowers_future_alerts_explainably(
    runner: CliRunner, db_file: Path, slack_env: SlackServer, app_url: str
) -> None:
    ingest(runner, db_file)
    key = _key(db_file)
    body = _payload(key, "false_positive", name="bob")
    assert httpx.post(app_url, content=body, headers=_sign(body)).status_code == 200
    assert "Marked false positive by bob" in json.dumps(_wait_update(slack_env, 1)["blocks"])
    con = sqlite3.connect(db_file)
    fb = con.execute("select entity_key, tie, pattern, alert_key from feedback").fetchall()
    con.close()
    assert fb == [("xiaomi", "blacklist", "blacklist:trigger:put", key)]
    r = invoke(runner, db_file, "rules", "test", "--html", str(SECOND_PAGE), "--url", SECOND_URL, "--json")
    (dec,) = [d for d in json.loads(r.stdout)["decisions"] if d["finding"]["tie"] == "blacklist"]
    assert "false-positive feedback #1" in dec["why"] and "0.90 -> 0.65" in dec["why"], dec["why"]


def test_false_positive_penalty_can_drop_later_finding(
    runner: CliRunner, db_file: Path, tmp_path: Path, slack_env: SlackServer, app_url: str
) -> None:
    ingest(runner, db_file)
    key = _key(db_file)
    body = _payload(key, "false_positive")
    assert httpx.post(app_url, content=body, headers=_sign(body)).status_code == 200
    cfg = config_dir(tmp_path, false_positive_penalty=0.5, repeat_after="0s")
    out = ingest(runner, db_file, SECOND_PAGE, SECOND_URL, config=cfg)
    assert out["alerts"] == [], "0.90 - 0.50 falls under the low-confidence rule: dropped, explained"
    con = sqlite3.connect(db_file)
    rule, decision = con.execute("select rule, decision from findings where article_id = 2").fetchone()
    con.close()
    assert (rule, decision) == ("low-confidence", "drop")


def test_mute_entity_becomes_a_silence(runner: CliRunner, db_file: Path, slack_env: SlackServer, app_url: str) -> None:
    ingest(runner, db_file)
    key = _key(db_file)
    posted = len(slack_env.messages)
    body = _payload(key, "mute_entity", name="carol")
    assert httpx.post(app_url, content=body, headers=_sign(body)).status_code == 200
    r = invoke(runner, db_file, "silence", "ls", "--json")
    (sil,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert sil["entity"] == "Xiaomi Corporation" and "carol" in sil["why"] and sil["created_by"] == "slack:U42"
    ingest(runner, db_file, SECOND_PAGE, SECOND_URL)  # same group again, now muted: no reply posted
    assert len(slack_env.messages) == posted
    con = sqlite3.connect(db_file)
    assert con.execute("select reply_status from alert_sources where article_id = 2").fetchone()[0] == "silenced"
    con.close()


def test_no_signing_secret_refuses_everything(
    runner: CliRunner, db_file: Path, slack_env: SlackServer, app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(runner, db_file)
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    body = _payload(_key(db_file), "ack")
    r = httpx.post(app_url, content=body, headers=_sign(body))
    assert r.status_code == 401 and _count(db_file, "alert_actions") == 0


def _click(key: str, action: str, action_ts: str, user: str = "U42") -> bytes:
    return urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "block_actions",
                    "user": {"id": user, "username": "alice"},
                    "actions": [{"action_id": action, "value": key, "action_ts": action_ts, "type": "button"}],
                }
            )
        }
    ).encode()


def test_a_replayed_false_positive_counts_once_and_the_reply_says_so(
    runner: CliRunner, db_file: Path, slack_env: SlackServer, app_url: str
) -> None:
    ingest(runner, db_file)
    key = _key(db_file)
    body = _payload(key, "false_positive")
    headers = _sign(body)
    first = httpx.post(app_url, content=body, headers=headers)
    replays = [httpx.post(app_url, content=body, headers=headers) for _ in range(3)]  # within Slack's window
    assert first.status_code == 200 and "duplicate" not in first.json()
    for r in replays:
        assert r.status_code == 200 and r.json()["duplicate"] is True and "nothing changed" in r.json()["text"]
    assert _count(db_file, "feedback") == 1 and _count(db_file, "alert_actions") == 1
    r = invoke(runner, db_file, "rules", "test", "--html", str(SECOND_PAGE), "--url", SECOND_URL, "--json")
    (dec,) = [d for d in json.loads(r.stdout)["decisions"] if d["finding"]["tie"] == "blacklist"]
    assert dec["action"] == "alert" and "0.90 -> 0.65" in dec["why"] and "#2" not in dec["why"], dec["why"]


def test_double_clicks_do_not_stack_penalties_or_silences(
    runner: CliRunner, db_file: Path, slack_env: SlackServer, app_url: str
) -> None:
    ingest(runner, db_file)
    key = _key(db_file)
    for action in ("false_positive", "mute_entity", "ack"):
        for ts in ("1700000000.000100", "1700000001.000200"):  # two clicks: two action_ts
            body = _click(key, action, ts)
            assert httpx.post(app_url, content=body, headers=_sign(body)).status_code == 200
    assert _count(db_file, "feedback") == 1
    assert _count(db_file, "silences") == 1
    assert _count(db_file, "alert_actions") == 3
    other = _click(key, "mute_entity", "1700000002.000300", user="U7")  # another triager mutes too
    assert httpx.post(app_url, content=other, headers=_sign(other)).json()["silence_id"] == 1
    assert _count(db_file, "silences") == 1, "the entity is already muted: the same silence, not a second"


def _raw_post(url: str, head: str, chunks: Iterator[bytes]) -> tuple[int, int]:
    """POST over a raw socket: the status the server answered and how many body bytes went out
    before it answered (or closed)."""
    parsed = httpx.URL(url)
    sent = 0
    with socket.create_connection((parsed.host, parsed.port), timeout=20) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(20)
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            data = b""
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, sent


@pytest.mark.parametrize("path", ["/slack/interactivity", "/slack/commands", "/ingest"])
def test_oversized_bodies_are_refused_before_they_are_buffered(app_url: str, path: str) -> None:
    url = app_url.replace("/slack/interactivity", path)
    host = httpx.URL(url).netloc.decode()
    declared = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100000000\r\n\r\n"
    status, sent = _raw_post(url, declared, iter([]))
    assert status == 413, "a declared size over the limit is refused before reading"
    streamed = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n"

    def drip() -> Iterator[bytes]:  # 100 MB in 64 kB chunks, no Content-Length
        piece = b"a" * 65536
        for _ in range(1600):
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            time.sleep(0.001)

    status, sent = _raw_post(url, streamed, drip())
    assert status in (413, 0) and sent < 20_000_000, (status, sent)  # refused long before 100 MB went out


def test_a_click_on_view_record_is_answered_and_records_nothing(
    runner: CliRunner, db_file: Path, slack_env: SlackServer, app_url: str
) -> None:
    ingest(runner, db_file)
    body = _payload(_key(db_file), "view_record")  # the link button: Slack opened the URL itself
    r = httpx.post(app_url, content=body, headers=_sign(body))
    assert r.status_code == 200 and r.json()["action"] == "view_record"
    assert _count(db_file, "alert_actions") == 0 and slack_env.updates == []
