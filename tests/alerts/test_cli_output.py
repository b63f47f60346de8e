"""Output for people: alerts printed as plain text (source title, URL, published date, evidence;
nothing escaped for Slack), ``alerts ls`` as a table by default with ``--json``, ``--status``,
``--since``, ``--limit``, and ``-h`` beside ``--help``. Through the real CLI and pipeline."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from newswatch.commands import cli
from tests.support.alerts import ingest, invoke

AMP_PAGE = """<html><head><title>Sinno Electronics &amp; Partners added to list</title></head><body><article>
<h1>Sinno Electronics &amp; Partners added to list</h1><p>Published 2025-03-05.</p>
<p>The US Commerce Department added Sinno Electronics &amp; Partners Ltd to the Entity List on Wednesday,
citing risks to national security.</p>
<p>The company, based in Shenzhen, makes power modules for phones and routers. It said it would comply
with the rules in every market where it operates and keep serving its customers.</p></article></body></html>"""


def test_the_terminal_prints_alerts_as_plain_text_with_their_source(runner: CliRunner, db_file: Path, tmp_path) -> None:
    page = tmp_path / "amp.html"
    page.write_text(AMP_PAGE, encoding="utf-8")
    r = runner.invoke(cli, ["--db", str(db_file), "ingest", "--html", str(page), "--url", "https://news.example/x"])
    assert r.exit_code == 0, r.output
    err = r.stderr
    assert "[alert pending, no Slack token] Sinno Electronics & Partners Ltd put on a government list" in err
    assert "source: Sinno Electronics & Partners added to list" in err
    assert "https://news.example/x" in err and "published: 2025-03-05" in err
    assert "evidence: “The US Commerce Department added Sinno Electronics & Partners Ltd" in err
    for slack_only in ("&amp;", "*Entity:*", "> ", "*Sinno"):
        assert slack_only not in err, slack_only


def test_alerts_ls_is_a_table_and_json_lines_with_filters(runner: CliRunner, db_file: Path) -> None:
    ingest(runner, db_file)  # the founding case: three pending alerts
    table = invoke(runner, db_file, "alerts", "ls").stdout.splitlines()
    assert table[0].split() == ["key", "status", "severity", "created", "entity", "tie", "reason"]
    assert len(table) == 4 and all(" pending " in row for row in table[1:])
    assert any("Xiaomi Corporation" in row and "blacklist" in row for row in table[1:])

    rows = [json.loads(x) for x in invoke(runner, db_file, "alerts", "ls", "--json").stdout.splitlines()]
    assert len(rows) == 3 and {r["status"] for r in rows} == {"pending"} and "payload" not in rows[0]
    newest = [
        json.loads(x) for x in invoke(runner, db_file, "alerts", "ls", "--json", "--limit", "1").stdout.splitlines()
    ]
    assert [r["id"] for r in newest] == [max(r["id"] for r in rows)]

    con = sqlite3.connect(db_file)  # one alert from two days ago
    con.execute("update alerts set created_at = '2000-01-01T00:00:00+00:00' where id = ?", [rows[0]["id"]])
    con.commit()
    con.close()
    recent = invoke(runner, db_file, "alerts", "ls", "--json", "--since", "1d").stdout.splitlines()
    assert [json.loads(x)["id"] for x in recent] == [r["id"] for r in rows[1:]]
    assert invoke(runner, db_file, "alerts", "ls", "--status", "sent").stdout.strip() == "no alerts with status sent"
    bad = invoke(runner, db_file, "alerts", "ls", "--since", "two days", ok=False)
    assert bad.exit_code == 2 and "--since" in bad.output and "not a duration" in bad.output


def test_dash_h_is_help_everywhere(runner: CliRunner) -> None:
    for args in ([], ["alerts"], ["alerts", "ls"], ["crawl"]):
        r = runner.invoke(cli, [*args, "-h"])
        assert r.exit_code == 0 and r.stdout.startswith("Usage: "), (args, r.output)
