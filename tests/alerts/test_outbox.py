"""Delivery through the real slack_sdk client over real HTTP: threads, retries, give-up, crashes."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from tests.support.alerts import SECOND_PAGE, SECOND_URL, config_dir, ingest, injection_page, invoke
from tests.support.db import rows as query_rows
from tests.support.paths import ROOT
from tests.support.slack_server import SlackServer


def _blacklist_key(db: Path) -> str:
    return query_rows(db, "select key from alerts where tie = 'blacklist' and entity like 'Xiaomi%'")[0][0]


def test_second_source_becomes_thread_reply_and_updates_count(
    runner: CliRunner, db_file: Path, slack_env: SlackServer
) -> None:
    ingest(runner, db_file)
    assert len(slack_env.messages) == 3
    key = _blacklist_key(db_file)
    parent = slack_env.posts_for_key(key)[0]
    out = ingest(runner, db_file, SECOND_PAGE, SECOND_URL)
    assert [a["key"] for a in out["alerts"]] == [key] and out["alerts"][0]["status"] == "sent"
    replies = [m for m in slack_env.messages if m.get("thread_ts")]
    assert len(replies) == 1 and len(slack_env.messages) == 4, "no new top-level message, one reply"
    reply = replies[0]
    assert reply["thread_ts"] == parent["ts"] and reply["channel"] == parent["channel"]
    assert "Also reported by" in reply["text"] and "Pentagon list hits Xiaomi shares" in reply["text"]
    assert SECOND_URL in json.dumps(reply["blocks"])
    updates = [u for u in slack_env.updates if u["ts"] == parent["ts"]]
    assert updates and "Reported by 2 sources" in json.dumps(updates[-1]["blocks"])
    assert query_rows(db_file, "select count(*) from alert_sources where alert_key = ?", key)[0][0] == 2
    assert query_rows(db_file, "select sources from alerts where key = ?", key)[0][0] == 2
    assert query_rows(db_file, "select count(*) from alerts")[0][0] == 3
    ingest(runner, db_file, SECOND_PAGE, SECOND_URL, "--force")  # same article again: nothing new
    assert len(slack_env.messages) == 4


def test_stale_group_alerts_afresh_after_repeat_interval(
    runner: CliRunner, db_file: Path, tmp_path: Path, slack_env: SlackServer
) -> None:
    cfg = config_dir(tmp_path, repeat_after="0s")
    ingest(runner, db_file, config=cfg)
    key = _blacklist_key(db_file)
    out = ingest(runner, db_file, SECOND_PAGE, SECOND_URL, config=cfg)
    assert [a["key"] for a in out["alerts"]] == [f"{key}-2"]
    assert not [m for m in slack_env.messages if m.get("thread_ts")]
    assert len(slack_env.posts_for_key(f"{key}-2")) == 1 and len(slack_env.messages) == 4


def test_rate_limited_then_success_delivers_once(runner: CliRunner, db_file: Path, slack_env: SlackServer) -> None:
    slack_env.fail_next("chat.postMessage", [429])
    t0 = time.monotonic()
    out = ingest(runner, db_file)
    assert time.monotonic() - t0 >= 1.0, "the client waited for Retry-After"
    assert slack_env.count("chat.postMessage", 429) == 1
    assert {a["status"] for a in out["alerts"]} == {"sent"}
    for (key,) in query_rows(db_file, "select key from alerts"):
        assert len(slack_env.posts_for_key(key)) == 1
    assert {r[0] for r in query_rows(db_file, "select attempts from alerts")} == {1}


def test_server_errors_for_a_while_then_success_delivers_once(
    runner: CliRunner, db_file: Path, tmp_path: Path, slack_env: SlackServer
) -> None:
    cfg = config_dir(tmp_path, http_retries=1, retry_backoff="1s", give_up_after="1h")
    slack_env.fail_next("chat.postMessage", [500, 503, 502, 504, 500])
    ingest(runner, db_file, config=cfg)
    rows = query_rows(db_file, "select key, status, last_error from alerts order by id")
    assert rows[0][1] == "pending" and "HTTP 50" in rows[0][2], rows
    for _ in range(5):
        r = invoke(runner, db_file, "alerts", "deliver", "--now", config=cfg, ok=False)
        errors = json.loads(r.stdout.strip().splitlines()[-1])["errors"]
        assert r.exit_code == (5 if errors else 0), r.output  # a run that left alerts undelivered says so
        if {s for (s,) in query_rows(db_file, "select status from alerts")} == {"sent"}:
            break
    assert {s for (s,) in query_rows(db_file, "select status from alerts")} == {"sent"}, r.output
    assert slack_env.count("chat.postMessage", 200) == 3
    for (key,) in query_rows(db_file, "select key from alerts"):
        assert len(slack_env.posts_for_key(key)) == 1
    assert sum(slack_env.count("chat.postMessage", st) for st in (500, 502, 503, 504)) == 5
    assert query_rows(db_file, "select sum(attempts) from alerts")[0][0] >= 4, "some alerts needed a second attempt"


def test_backoff_defers_next_attempt(runner: CliRunner, db_file: Path, tmp_path: Path, slack_env: SlackServer) -> None:
    cfg = config_dir(tmp_path, http_retries=0, retry_backoff="1h")
    slack_env.fail_next("chat.postMessage", [500])
    ingest(runner, db_file, config=cfg)
    r = invoke(runner, db_file, "alerts", "deliver", config=cfg)
    assert json.loads(r.stdout.strip().splitlines()[-1])["deferred"] == 1
    assert (
        query_rows(db_file, "select count(*) from alerts where status = 'pending' and next_attempt_at > ''")[0][0] == 1
    )


def test_gives_up_after_configured_time_with_last_error(
    runner: CliRunner, db_file: Path, tmp_path: Path, slack_env: SlackServer
) -> None:
    cfg = config_dir(tmp_path, http_retries=1, give_up_after="0s")
    # one 503: a post that may have arrived is never retried inside the call (the outbox looks first)
    slack_env.fail_next("chat.postMessage", [503])
    out = ingest(runner, db_file, config=cfg)
    statuses = [a["status"] for a in out["alerts"]]
    assert statuses.count("failed") == 1 and statuses.count("sent") == 2
    (err,) = query_rows(db_file, "select last_error from alerts where status = 'failed'")[0]
    assert "503" in err
    r = invoke(runner, db_file, "alerts", "ls", "--status", "failed", config=cfg)
    assert "503" in r.stdout
    invoke(runner, db_file, "alerts", "deliver", "--now", config=cfg)  # failed stays failed, never silently resent
    assert slack_env.count("chat.postMessage", 200) == 2


def test_connection_refused_is_recorded_not_lost(runner: CliRunner, db_file: Path, tmp_path: Path, monkeypatch) -> None:
    cfg = config_dir(tmp_path, http_retries=1)
    with SlackServer() as gone:
        url = gone.base_url
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", url)
    out = ingest(runner, db_file, config=cfg)
    assert {a["status"] for a in out["alerts"]} == {"pending"}
    errs = [e for (e,) in query_rows(db_file, "select last_error from alerts order by id")]
    assert all(e and "unreachable" in e for e in errs), errs
    # the first alert met the refusal; the batch stopped there, the others say they were not tried
    assert errs[0].startswith("Slack unreachable") and all(
        e.startswith("not tried: Slack unreachable") for e in errs[1:]
    )
    r = invoke(runner, db_file, "alerts", "deliver", config=cfg, ok=False)
    assert r.exit_code == 5 and "nothing delivered: Slack unreachable (auth.test)" in r.output


def test_killed_between_pending_and_sent_delivers_exactly_once(
    runner: CliRunner, db_file: Path, slack_server: SlackServer
) -> None:
    ingest(runner, db_file)  # no token: three pending alerts
    assert query_rows(db_file, "select count(*) from alerts where status = 'pending'")[0][0] == 3
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack_server.base_url,
        "SLACK_CHANNEL": "#risk-test",
        "NEWSWATCH_DB": str(db_file),
    }
    env.pop("NEWSWATCH_CONFIG", None)
    slack_server.hang("chat.postMessage")  # Slack takes the first post, the answer never comes
    proc = subprocess.Popen(
        [sys.executable, "-m", "newswatch", "alerts", "deliver"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert slack_server.state.hung.wait(60), "the deliver process never posted"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    states = query_rows(db_file, "select status from alerts order by id")
    assert [s for (s,) in states] == ["sending", "pending", "pending"]
    assert len(slack_server.messages) == 1
    # restart: the interrupted alert is found in the channel history, the others are posted
    done = subprocess.run(
        [sys.executable, "-m", "newswatch", "alerts", "deliver"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["recovered"] == 1 and summary["sent"] == 3
    assert slack_server.count("conversations.history") >= 1
    for key, status, ts in query_rows(db_file, "select key, status, slack_ts from alerts"):
        assert status == "sent" and ts
        assert len(slack_server.posts_for_key(key)) == 1, key
    assert slack_server.count("chat.postMessage") == 3
    again = subprocess.run(
        [sys.executable, "-m", "newswatch", "alerts", "deliver"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0 and slack_server.count("chat.postMessage") == 3


def test_interrupted_before_slack_got_it_is_posted_once(
    runner: CliRunner, db_file: Path, slack_server: SlackServer, monkeypatch
) -> None:
    out = ingest(runner, db_file)  # no token: pending
    assert {a["status"] for a in out["alerts"]} == {"pending"}
    con = sqlite3.connect(db_file)  # a crash after 'sending' was committed, before the request left
    con.execute("update alerts set status = 'sending', attempts = 1, claimed_at = ?", [time.time()])
    con.commit()
    con.close()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack_server.base_url)
    r = invoke(runner, db_file, "alerts", "deliver")
    assert json.loads(r.stdout.strip().splitlines()[-1])["recovered"] == 0
    assert slack_server.count("conversations.history") == 3, "each interrupted alert was looked up first"
    for key, status in query_rows(db_file, "select key, status from alerts"):
        assert status == "sent" and len(slack_server.posts_for_key(key)) == 1


def _strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def _assert_inert(msg: dict) -> None:
    for s in _strings({"text": msg.get("text"), "blocks": msg.get("blocks")}):
        assert not re.search(r"<[!@#]", s), s
        assert "<https://evil" not in s and "evil|click>" not in s, s
    assert "link_names" not in msg and msg.get("parse") in (None, "none")


def test_injection_title_posts_no_mention_or_link(
    runner: CliRunner, db_file: Path, tmp_path: Path, slack_env: SlackServer
) -> None:
    page = injection_page(tmp_path)
    ingest(runner, db_file, page, SECOND_URL)
    (msg,) = slack_env.messages
    # shown, escaped, and the bare URL defanged so Slack links nothing
    assert "&lt;!channel&gt; &lt;@U123&gt; &lt;hxxps://evil|click&gt;" in json.dumps(msg["blocks"], ensure_ascii=False)
    _assert_inert(msg)
    # the same page as a second source: the thread reply is inert too
    db2 = tmp_path / "second.db"
    ingest(runner, db2)
    ingest(runner, db2, page, SECOND_URL + "?again")
    reply = [m for m in slack_env.messages if m.get("thread_ts")]
    assert len(reply) == 1
    _assert_inert(reply[0])
    for u in slack_env.updates:
        _assert_inert(u)


def test_webhook_sink_posts_through_incoming_webhook(
    runner: CliRunner, db_file: Path, slack_server: SlackServer, monkeypatch
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack_server.webhook_url)
    slack_server.fail_next("webhook", [429])
    out = ingest(runner, db_file)
    assert {a["status"] for a in out["alerts"]} == {"sent"}
    assert len(slack_server.state.webhook_posts) == 3
    assert slack_server.count("webhook", 429) == 1
    assert all(p["blocks"][0]["type"] == "header" for p in slack_server.state.webhook_posts)


def test_jsonl_sink_writes_each_alert_once(runner: CliRunner, db_file: Path, tmp_path: Path, monkeypatch) -> None:
    out_file = tmp_path / "alerts.jsonl"
    monkeypatch.setenv("NEWSWATCH_ALERTS_JSONL", str(out_file))
    ingest(runner, db_file)
    ingest(runner, db_file, SECOND_PAGE, SECOND_URL)
    lines = [json.loads(x) for x in out_file.read_text().splitlines()]
    assert [x["type"] for x in lines].count("alert") == 3
    assert [x["type"] for x in lines].count("reply") == 1
    con = sqlite3.connect(db_file)
    con.execute("update alerts set status = 'sending'")  # as if killed after writing
    con.commit()
    con.close()
    r = invoke(runner, db_file, "alerts", "deliver")
    assert json.loads(r.stdout.strip().splitlines()[-1])["recovered"] == 3
    assert len(out_file.read_text().splitlines()) == len(lines)


def test_killed_while_posting_thread_reply_replies_exactly_once(
    runner: CliRunner, db_file: Path, slack_server: SlackServer, monkeypatch
) -> None:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack_server.base_url,
        "SLACK_CHANNEL": "#risk-test",
        "NEWSWATCH_DB": str(db_file),
    }
    env.pop("NEWSWATCH_CONFIG", None)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack_server.base_url)
    ingest(runner, db_file)  # three alerts sent
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    ingest(runner, db_file, SECOND_PAGE, SECOND_URL)  # no token now: the reply waits in alert_sources
    assert query_rows(db_file, "select count(*) from alert_sources where reply_status = 'pending'")[0][0] == 1
    slack_server.hang("chat.postMessage")
    proc = subprocess.Popen(
        [sys.executable, "-m", "newswatch", "alerts", "deliver"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert slack_server.state.hung.wait(60)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert query_rows(db_file, "select reply_status from alert_sources where reply_status != 'first'") == [("sending",)]
    done = subprocess.run(
        [sys.executable, "-m", "newswatch", "alerts", "deliver"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["recovered"] == 1
    assert slack_server.count("conversations.replies") == 1
    replies = [m for m in slack_server.messages if m.get("thread_ts")]
    assert len(replies) == 1
    assert query_rows(db_file, "select reply_status, reply_ts from alert_sources where reply_status != 'first'") == [
        ("sent", replies[0]["ts"])
    ]


def test_history_lookup_pages_through_busy_channel(slack_server: SlackServer) -> None:
    from newswatch.alerts.sinks import SlackSink
    from newswatch.config import SlackSettings

    sink = SlackSink.from_env(SlackSettings(), {"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_API_URL": slack_server.base_url})
    start = time.time()
    posted = sink.post(channel="#busy", text="t", blocks=[], key="the-key")
    for i in range(450):  # the channel got busy after the interrupted post
        ts = slack_server.state.next_ts()
        slack_server.state.messages.append({"channel": posted.channel, "text": f"noise {i}", "ts": ts})
    found = sink.find_posted(channel="#busy", key="the-key", since=start - 60)
    assert found is not None and found.ts == posted.ts
    assert slack_server.count("conversations.history") == 3, "three pages of 200"
    assert sink.find_posted(channel="#busy", key="never-posted", since=start - 60) is None


def test_alert_claimed_by_a_live_deliverer_is_left_alone(
    runner: CliRunner, db_file: Path, slack_server: SlackServer, monkeypatch
) -> None:
    import socket

    import psutil

    ingest(runner, db_file)  # pending
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        owner = f"{socket.gethostname()}:{other.pid}:{psutil.Process(other.pid).create_time():.0f}"
        con = sqlite3.connect(db_file)
        con.execute(
            "update alerts set status = 'sending', attempts = 1, claimed_at = ?, claimed_by = ?", [time.time(), owner]
        )
        con.commit()
        con.close()
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", slack_server.base_url)
        r = invoke(runner, db_file, "alerts", "deliver")
        assert json.loads(r.stdout.strip().splitlines()[-1])["deferred"] == 3
        assert slack_server.count("chat.postMessage") == 0 and slack_server.count("conversations.history") == 0
    finally:
        other.kill()
        other.wait(10)
    r = invoke(runner, db_file, "alerts", "deliver")  # the claimer is gone: checked, then posted once
    assert json.loads(r.stdout.strip().splitlines()[-1])["sent"] == 3
    assert slack_server.count("conversations.history") == 3 and slack_server.count("chat.postMessage") == 3


def test_two_deliverers_at_once_post_each_alert_once(
    runner: CliRunner, db_file: Path, slack_server: SlackServer
) -> None:
    ingest(runner, db_file)
    slack_server.state.post_delay = 0.5  # slow Slack: the two runs overlap
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack_server.base_url,
        "NEWSWATCH_DB": str(db_file),
    }
    env.pop("NEWSWATCH_CONFIG", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "newswatch", "alerts", "deliver"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    summaries = [json.loads(o.strip().splitlines()[-1]) for o, _ in outs]
    assert sum(s["sent"] for s in summaries) == 3
    for key, status in query_rows(db_file, "select key, status from alerts"):
        assert status == "sent" and len(slack_server.posts_for_key(key)) == 1
    assert slack_server.count("chat.postMessage") == 3


def test_webhook_interrupted_send_is_failed_loudly_not_reposted(
    runner: CliRunner, db_file: Path, slack_server: SlackServer, monkeypatch
) -> None:
    ingest(runner, db_file)  # pending (no sink yet)
    con = sqlite3.connect(db_file)
    con.execute("update alerts set status = 'sending', claimed_at = 1")
    con.commit()
    con.close()
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack_server.webhook_url)
    r = invoke(runner, db_file, "alerts", "deliver", ok=False)
    assert r.exit_code == 5, r.output  # failed alerts: the run says so in its exit code
    assert json.loads(r.stdout.strip().splitlines()[-1])["failed"] == 3
    assert slack_server.state.webhook_posts == []
    errs = {e for (e,) in query_rows(db_file, "select last_error from alerts where status = 'failed'")}
    assert len(errs) == 1 and "cannot tell whether the post arrived" in errs.pop()
    key = query_rows(db_file, "select key from alerts limit 1")[0][0]
    invoke(runner, db_file, "alerts", "retry", key)  # a person checked the channel: send it again
    invoke(runner, db_file, "alerts", "deliver")
    assert len(slack_server.state.webhook_posts) == 1
