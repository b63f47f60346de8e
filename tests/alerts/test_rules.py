"""Rules (validation, `rules test`), silences, digest and message limits."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from newswatch.alerts.message import HEADER_LIMIT, MAX_BLOCKS, SECTION_LIMIT, build_blocks
from newswatch.alerts.rules import load_rules
from newswatch.errors import ConfigError
from newswatch.models import Finding
from tests.support.alerts import SECOND_PAGE, SECOND_URL, config_dir, ingest, invoke
from tests.support.paths import CONFIG, SEED_PAGE, SEED_URL
from tests.support.slack_server import SlackServer


def _rules_file(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "rules.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "place", "problem"),
    [
        (
            "rules:\n  - name: a\n    when: {tie: [blacklisted]}\n    then: {action: alert}\n",
            "rules[0] ('a').when.tie[0]",
            "expected one of: blacklist, delisting, award",
        ),
        (
            "rules:\n  - name: bad-re\n    when: {reason: 're:(unclosed'}\n    then: {action: alert}\n",
            "rules[0] ('bad-re').when.reason",
            "invalid regular expression",
        ),
        (
            "rules:\n  - name: ok\n    then: {action: alert}\n  - name: typo\n    when: {min_confidnce: 0.5}\n"
            "    then: {action: alert}\n",
            "rules[1] ('typo').when.min_confidnce",
            "unknown key 'min_confidnce'",
        ),
        (
            "rules:\n  - name: c\n    when: {min_confidence: 1.5}\n    then: {action: alert}\n",
            "rules[0] ('c').when.min_confidence",
            "expected a value <= 1",
        ),
        (
            "rules:\n  - name: m\n    then: {action: alert, mention: '<!channel>'}\n",
            "rules[0] ('m').then.mention",
            "mention must be",
        ),
        (
            "rules:\n  - name: ch\n    then: {action: alert, channel: 'Risk Alerts'}\n",
            "rules[0] ('ch').then.channel",
            "channel must be",
        ),
        ("rules:\n  - name: n\n    when: {tie: [award]}\n", "rules[0] ('n').then", "required key 'then' is missing"),
        (
            "rules:\n  - name: d\n    then: {action: drop}\n  - name: d\n    then: {action: alert}\n",
            "rule 'd'",
            "rule name used twice",
        ),
    ],
)
def test_rule_validation_names_file_rule_and_field(tmp_path: Path, text: str, place: str, problem: str) -> None:
    path = _rules_file(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert err.value.file == str(path)
    assert err.value.place == place, err.value
    assert problem in f"{err.value.problem} (fix: {err.value.fix})", err.value


def test_rules_check_cli_one_line_error(runner: CliRunner, tmp_path: Path, db_file: Path) -> None:
    path = _rules_file(tmp_path, "rules:\n  - name: x\n    when: {source_kind: [blog]}\n    then: {action: alert}\n")
    r = invoke(runner, db_file, "rules", "check", str(path), ok=False)
    assert r.exit_code == 2
    assert (
        f"{path}: rules[0] ('x').when.source_kind[0]: got 'blog' (fix: expected one of: news, filing, on-demand)"
        in r.output
        and len(r.output.strip().splitlines()) == 1
    )
    r = invoke(runner, db_file, "rules", "check")
    # the bundled rules file, however many rules it holds, checks clean
    bundled = yaml.safe_load((CONFIG / "rules.yaml").read_text())["rules"]
    assert f"{len(bundled)} rules OK" in r.output


def _finding(**kw) -> Finding:
    base = {
        "entity": "Acme Ltd",
        "entity_type": "ORG",
        "tie": "blacklist",
        "reason": "Entity List",
        "evidence": "Acme Ltd was added to the Entity List.",
        "confidence": 0.8,
    }
    return Finding(**{**base, **kw})


def test_rules_match_entity_watchlist_monitored_source_kind(tmp_path: Path) -> None:
    rules = load_rules(
        _rules_file(
            tmp_path,
            """
rules:
  - name: filings-only
    when: {source_kind: [filing], entity: monitored}
    then: {action: alert, channel: "#filings", severity: critical, mention: "!subteam^S123"}
  - name: default-list
    when: {watchlist: [default], reason: "*entity list*"}
    then: {action: alert, severity: high}
  - name: by-name
    when: {entity: "re:^Acme\\\\b"}
    then: {action: drop}
""",
        )
    )
    d = rules.decide(_finding(), watched=True, source_kind="filing", watchlists=["default"], monitored=True)
    assert (d.rule, d.channel, d.severity, d.mention) == ("filings-only", "#filings", "critical", "!subteam^S123")
    assert "entity monitored" in d.why and "source_kind=filing" in d.why
    # On a watchlist is not the same as monitored (the team's portfolio): the next rule takes it.
    d = rules.decide(_finding(), watched=True, source_kind="filing", watchlists=["default"], monitored=False)
    assert d.rule == "default-list"
    d = rules.decide(_finding(), watched=True, source_kind="news", watchlists=["default"])
    assert d.rule == "default-list" and "watchlist=default" in d.why
    d = rules.decide(_finding(), watched=False, source_kind="news")
    assert (d.rule, d.action) == ("by-name", "drop")
    d = rules.decide(_finding(entity="Other"), watched=False, source_kind="news")
    assert d.action == "none" and d.why == "no rule matched"


def test_rules_test_shows_rule_and_why_and_writes_nothing(
    runner: CliRunner, db_file: Path, slack_env: SlackServer
) -> None:
    r = invoke(runner, db_file, "rules", "test", "--html", str(SEED_PAGE), "--url", SEED_URL)
    out = r.output
    assert "Xiaomi Corporation blacklist DoD Chinese Military Companies List" in out
    assert "-> ALERT by government-list-change" in out
    assert "low-confidence: no: confidence 0.85>=0.6" in out
    assert "government-list-change: MATCH tie=blacklist" in out
    assert "-> ALERT by telling-award" in out and "reason~re:(?i)builders? of socialism" in out
    assert not db_file.exists(), "rules test must not create or write the database"
    assert slack_env.messages == []
    js = json.loads(
        invoke(runner, db_file, "rules", "test", "--html", str(SEED_PAGE), "--url", SEED_URL, "--json").stdout
    )
    assert {d["rule"] for d in js["decisions"]} == {"government-list-change", "telling-award"}
    assert js["nlp"]["parsed"] in ("all", "windows") and "nlp: parsed" in out, "what the cascade parsed, and why"


def test_silences_store_mark_and_never_post(runner: CliRunner, db_file: Path, slack_env: SlackServer) -> None:
    r = invoke(
        runner,
        db_file,
        "silence",
        "add",
        "--entity",
        "Xiaomi Corp",
        "--tie",
        "blacklist",
        "--for",
        "30d",
        "--why",
        "known designation, tracked elsewhere",
        "--json",
    )
    sid = json.loads(r.stdout)["id"]
    out = ingest(runner, db_file)
    statuses = {a["text"].split(":")[0]: a["status"] for a in out["alerts"]}
    assert statuses["Xiaomi Corporation put on a government list"] == "silenced"
    assert list(statuses.values()).count("sent") == 2
    assert len(slack_env.messages) == 2 and not any("government list" in m["text"] for m in slack_env.messages)
    con = sqlite3.connect(db_file)
    assert con.execute("select silence_id from alerts where status = 'silenced'").fetchone()[0] == sid
    assert con.execute("select count(*) from findings where tie = 'blacklist'").fetchone()[0] == 1  # stored
    con.close()
    ls = [json.loads(x) for x in invoke(runner, db_file, "silence", "ls", "--json").stdout.splitlines()]
    assert [s["id"] for s in ls] == [sid] and ls[0]["why"].startswith("known designation")
    invoke(runner, db_file, "alerts", "deliver")
    assert len(slack_env.messages) == 2, "deliver never posts a silenced alert"
    invoke(runner, db_file, "silence", "rm", str(sid))
    assert invoke(runner, db_file, "silence", "ls", "--json").stdout.strip() == ""
    assert "removed" in invoke(runner, db_file, "silence", "ls", "--all").stdout
    out = ingest(runner, db_file, SECOND_PAGE, SECOND_URL)  # silence lifted: the group alerts afresh
    assert [a["status"] for a in out["alerts"]] == ["sent"]
    assert any("government list" in m["text"] for m in slack_env.messages)


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["--entity", "X", "--for", "soon", "--why", "w"], "is not a duration"),
        (["--entity", "X", "--for", "1d", "--why", " "], "--why must say why"),
        (["--entity", "X", "--for", "0d", "--why", "w"], "longer than zero"),
    ],
)
def test_silence_add_bad_input(runner: CliRunner, db_file: Path, args: list[str], msg: str) -> None:
    r = invoke(runner, db_file, "silence", "add", *args, ok=False)
    assert r.exit_code == 2 and msg in r.output
    r = invoke(runner, db_file, "silence", "rm", "99", ok=False)
    assert r.exit_code == 2 and "no such silence" in r.output


def test_digest_prints_and_posts_by_severity(
    runner: CliRunner, db_file: Path, tmp_path: Path, slack_server: SlackServer, monkeypatch
) -> None:
    cfg = config_dir(tmp_path)
    ingest(runner, db_file, config=cfg)
    con = sqlite3.connect(db_file)
    con.execute("update alerts set severity = 'medium' where entity = 'Lei Jun'")
    con.execute(
        "update alerts set created_at = '2000-01-01T00:00:00+00:00' where tie = 'award' and entity like 'Xiaomi%'"
    )  # outside the period
    con.commit()
    con.close()
    r = invoke(runner, db_file, "digest", "--since", "24h", config=cfg)
    assert "digest: 2 alerts in the last 24h" in r.output
    assert "HIGH (1)" in r.output and "MEDIUM (1)" in r.output and "Lei Jun" in r.output
    js = json.loads(invoke(runner, db_file, "digest", "--since", "24h", "--json", config=cfg).stdout)
    assert js["total"] == 2 and set(js["by_severity"]) == {"high", "medium"}
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack_server.base_url)
    r = invoke(runner, db_file, "digest", "--since", "24h", config=cfg)
    assert "digest of 2 alerts posted" in r.output
    (msg,) = [m for m in slack_server.messages if "digest" in m["text"]]
    body = json.dumps(msg["blocks"])
    assert "*HIGH* (1)" in body and "*MEDIUM* (1)" in body
    assert "Builder of Socialism" in body and "DoD Chinese Military" in body


def test_message_limits_truncate_with_ellipsis_and_link() -> None:
    long = "Acme " + "word " * 2000
    alert = {
        "key": "k",
        "entity": "Acme " * 60,
        "tie": "blacklist",
        "reason": "R " * 2000,
        "evidence": long,
        "confidence": 0.9,
        "severity": "high",
        "url": "https://news.example/a?x=1&y=2",
        "title": "T " * 500,
        "published": "2024-01-01",
    }
    text, blocks = build_blocks(alert, sources=3, actions=[{"action": "ack", "user_name": "a", "at": "t"}] * 60)
    assert len(blocks) <= MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT and blocks[0]["text"]["text"].endswith("…")
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= SECTION_LIMIT
        for el in b.get("elements", []):
            if el.get("type") == "mrkdwn":
                assert len(el["text"]) <= SECTION_LIMIT
    quote = blocks[2]["text"]["text"]
    assert "…" in quote and quote.endswith("<https://news.example/a?x=1&amp;y=2|" + quote.split("|")[-1])
    assert "Reported by 3 sources" in json.dumps(blocks)
    assert len(text) <= 4000
