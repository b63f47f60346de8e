"""A tie reported in Chinese and in English is one alert group with two sources, and the Slack
message a reader of English gets from the Chinese report names the entity as the watchlist has it,
the reason in English and the language, quoting the Chinese evidence verbatim (real CLI, real
SQLite file, real slack_sdk client against the local Slack-compatible server)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from tests.support.alerts import ingest
from tests.support.paths import DEMO_PAGES
from tests.support.slack_server import SlackServer

ZH_PAGE = DEMO_PAGES / "zh-xiaomi-military-list.html"
ZH_URL = "https://huawen-tech.example/2021/05/14/xiaomi-military-list.html"
DOD = "DoD Chinese Military Companies List"
BUILDERS = "Outstanding Builder of Socialism with Chinese Characteristics"


def test_a_tie_reported_in_chinese_and_english_is_one_group_with_two_sources(
    runner: CliRunner, db_file: Path, slack_env: SlackServer
) -> None:
    english = ingest(runner, db_file)  # the founding case page
    chinese = ingest(runner, db_file, ZH_PAGE, ZH_URL)
    assert chinese["article"]["language"] == "zh"
    found = {(f["entity"], f["tie"], f["reason"], f["via"]) for f in chinese["findings"]}
    assert {
        ("Xiaomi Corporation", "blacklist", DOD, None),
        ("Lei Jun", "award", BUILDERS, None),
        ("Xiaomi Corporation", "award", BUILDERS, "Lei Jun"),
    } <= found
    by_key = {a["key"]: a for a in english["alerts"]}
    assert {a["key"] for a in chinese["alerts"]} <= set(by_key), "the Chinese report opens no new group"

    con = sqlite3.connect(db_file)
    con.row_factory = sqlite3.Row
    groups = con.execute(
        "select a.key, a.entity, a.tie, a.reason, count(s.id) n from alerts a"
        " join alert_sources s on s.alert_key = a.key group by a.key"
    ).fetchall()
    blacklist = next(g for g in groups if g["entity"] == "Xiaomi Corporation" and g["tie"] == "blacklist")
    assert blacklist["reason"] == DOD and blacklist["n"] == 2
    assert (
        con.execute("select count(*) from alerts where entity = 'Xiaomi Corporation' and tie = 'blacklist'").fetchone()[
            0
        ]
        == 1
    )
    urls = {r[0] for r in con.execute("select url from alert_sources where alert_key = ?", [blacklist["key"]])}
    assert ZH_URL in urls and len(urls) == 2

    # Slack: the English report posted the alert; the Chinese one is a thread reply quoting the Chinese text
    parents = [m for m in slack_env.messages if not m.get("thread_ts")]
    replies = [m for m in slack_env.messages if m.get("thread_ts")]
    parent = next(m for m in parents if "put on a government list" in m["text"] and "Xiaomi" in m["text"])
    reply = next(m for m in replies if m["thread_ts"] == parent["ts"])
    assert "将小米集团列入中国军事企业清单" in json.dumps(reply["blocks"], ensure_ascii=False)
    assert ", in Chinese (zh)" in reply["blocks"][0]["text"]["text"]  # the reply names its language
    assert any("Reported by 2 sources" in json.dumps(u, ensure_ascii=False) for u in slack_env.updates)


def test_the_chinese_report_alone_gives_an_english_reader_what_to_act_on(
    runner: CliRunner, db_file: Path, slack_env: SlackServer
) -> None:
    ingest(runner, db_file, ZH_PAGE, ZH_URL)
    msg = next(m for m in slack_env.messages if "Xiaomi Corporation put on a government list" in m["text"])
    blocks = json.dumps(msg["blocks"], ensure_ascii=False)
    assert "*Entity:* Xiaomi Corporation" in blocks
    assert f"*Reason:* {DOD}" in blocks
    assert "*As written:* 小米集团" in blocks
    assert "*Language:* Chinese (zh)" in blocks
    assert "> 美国国防部将小米集团列入中国军事企业清单" in blocks  # the headline, verbatim
