"""``newswatch ui`` over HTTP and ``newswatch export``: real processes on a real store (the
migrated ``fixtures/db/v0.db``, or a page ingested into Slack's test server)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from newswatch.commands import cli
from newswatch.store import open_db
from newswatch.ui.export import entity_timeline
from tests.support.alerts import config_dir, ingest
from tests.support.paths import ROOT, SEED_URL
from tests.support.slack_server import SlackServer
from tests.support.ui import ui_server

V0 = ROOT / "fixtures" / "db" / "v0.db"
TOKEN = "ui-test-token-0123456789"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store.db"
    shutil.copy(V0, path)
    return path


def test_export_writes_an_entitys_timeline_as_json_and_csv(store: Path, runner: CliRunner) -> None:
    r = runner.invoke(cli, ["--db", str(store), "export", "--entity", "xiaomi corporation", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    rows = out["findings"]
    founding = {(f["entity"], f["tie"], f["role"]) for f in rows if f["article_url"] == SEED_URL}
    assert founding == {
        ("Xiaomi Corporation", "blacklist", "itself"),
        ("Xiaomi Corporation", "award", "itself"),
        ("Lei Jun", "award", "through Lei Jun"),
    }
    assert all(f["evidence"] for f in rows)
    assert [f["reported"] for f in rows] == sorted(f["reported"] for f in rows), "oldest first"
    target = store.parent / "xiaomi.csv"
    r = runner.invoke(cli, ["--db", str(store), "export", "--entity", "xiaomi", "--format", "csv", "-o", str(target)])
    assert r.exit_code == 0, r.output  # the watchlist id works as well as the name
    table = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [row["finding_id"] for row in table] == [str(f["finding_id"]) for f in rows]


def test_export_of_an_unknown_entity_says_so_and_names_the_near_ones(store: Path, runner: CliRunner) -> None:
    r = runner.invoke(cli, ["--db", str(store), "export", "--entity", "Xiaom"])
    assert r.exit_code != 0
    assert "no findings about 'Xiaom'" in r.output and "Xiaomi Corporation" in r.output


def test_the_ui_serves_views_search_and_canned_queries_read_only(store: Path) -> None:
    with ui_server(store) as url:
        hits = httpx.get(f"{url}/alert_overview.json", params={"_search": "Inspur", "_shape": "objects"}).json()
        assert [r["entity"] for r in hits["rows"]] == ["Inspur Group"]
        page = httpx.get(f"{url}/alert_overview", params={"_search": "Inspur"}).text
        assert re.search(r'<a class="nw-alert" href="/store/alerts/\d+">', page), "the key opens the alert's row"
        fp = httpx.get(f"{url}/false_positives_by_rule.json", params={"_shape": "objects"}).json()["rows"]
        assert fp and fp[0]["entities"] == "Inspur Group" and fp[0]["false_positives"] == 1
        about = httpx.get(f"{url}/everything_about_an_entity.json", params={"entity": "lumen", "_shape": "objects"})
        assert {(r["what"], r["subject"]) for r in about.json()["rows"]} == {
            ("finding", "Lumen Optics Holdings Ltd"),
            ("finding", "Wuhan Lumen Optics Co., Ltd."),
        }
        about = httpx.get(f"{url}/everything_about_an_entity.json", params={"entity": "northwind", "_shape": "objects"})
        assert [(r["what"], r["role"]) for r in about.json()["rows"]] == [("listed", "on list portfolio")]
        quiet = httpx.get(f"{url}/sources_gone_quiet.json", params={"days": "0", "_shape": "objects"}).json()["rows"]
        assert {r["source"] for r in quiet} == {
            "technews-feed",
            "technews-sitemap",
            "technews-tech",
            "sec-edgar",
            "fedreg-entity-list",
        }
        assert httpx.get(f"{url}/triage_log.json", params={"_shape": "objects"}).json()["rows"][0]["who"] == "ana"
        # the compliance file from the UI: the timeline's CSV is the rows `newswatch export` writes
        sheet = httpx.get(f"{url}/entity_timeline.csv", params={"subject": "Xiaomi Corporation", "_size": "max"})
        from_ui = sorted(r["finding_id"] for r in csv.DictReader(io.StringIO(sheet.text)))
        with open_db(store) as db:
            exported = sorted(str(r["finding_id"]) for r in entity_timeline(db, "Xiaomi Corporation"))
        assert from_ui == exported and len(exported) >= 3
        for view in (
            "alerts",
            "entity_timeline",
            "open_alerts",
            "source_overview",
            "source_health",
            "findings",
            "articles",
        ):
            assert httpx.get(f"{url}/{view}").status_code == 200, view
        # read-only: no writable query, and SQL that writes is refused
        assert httpx.get(f"{url}/note_on_an_alert").status_code == 404
        refused = httpx.get(url + ".json", params={"sql": "delete from alerts"})
        assert refused.status_code == 400
    assert _count(store, "alerts") == 13


def test_with_write_a_note_on_an_alert_is_kept(store: Path) -> None:
    with ui_server(store, "--write") as url, httpx.Client() as client:
        form = client.get(f"{url}/note_on_an_alert")
        token = re.search(r'name="csrftoken" value="([^"]+)"', form.text)
        assert form.status_code == 200 and token
        r = client.post(
            f"{url}/note_on_an_alert", data={"alert_id": "1", "note": "checked with legal", "csrftoken": token[1]}
        )
        assert r.status_code in (200, 302), r.text
    import sqlite3

    row = (
        sqlite3.connect(store).execute("select action, detail, alert_id from alert_actions order by id desc").fetchone()
    )
    assert row == ("note", "checked with legal", 1)


def test_beyond_loopback_the_ui_wants_the_service_token(store: Path, runner: CliRunner) -> None:
    r = runner.invoke(
        cli, ["--db", str(store), "ui", "--host", "0.0.0.0", "--port", "0"], env={"NEWSWATCH_API_TOKEN": ""}
    )
    assert r.exit_code != 0 and "NEWSWATCH_API_TOKEN" in r.output
    with ui_server(store, "--host", "0.0.0.0", env={"NEWSWATCH_API_TOKEN": TOKEN}) as url:
        url = url.replace("0.0.0.0", "127.0.0.1")
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
        assert httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert httpx.get(url, auth=("analyst", TOKEN)).status_code == 200  # a browser's basic-auth prompt


def test_a_slack_alert_links_to_its_record_and_the_record_to_the_timeline(
    tmp_path: Path, runner: CliRunner, slack_env: SlackServer
) -> None:
    cdir = config_dir(tmp_path)
    settings = yaml.safe_load((cdir / "settings.yaml").read_text())
    with ui_server(tmp_path / "newswatch.db") as url:  # the UI on the (new) store the alerts go to
        base = url.rsplit("/", 1)[0]
        settings["ui"] = {"base_url": base}
        (cdir / "settings.yaml").write_text(yaml.safe_dump(settings))
        out = ingest(runner, tmp_path / "newswatch.db", config=cdir)
        assert {a["status"] for a in out["alerts"]} == {"sent"}
        blacklist = next(a for a in out["alerts"] if "government list" in a["text"])
        msg = slack_env.posts_for_key(blacklist["key"])[0]
        blocks = msg["blocks"] if isinstance(msg["blocks"], list) else json.loads(msg["blocks"])
        buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
        view = next(e for e in buttons if e["text"]["text"] == "View record")
        assert re.fullmatch(re.escape(base) + r"/newswatch/alerts/\d+", view["url"])
        record = httpx.get(view["url"])
        assert record.status_code == 200 and blacklist["key"] in record.text
        timeline = re.search(r'<a class="nw-entity" href="([^"]+)">Xiaomi Corporation</a>', record.text)
        assert timeline, "the alert's entity links to its timeline"
        rows = httpx.get(base + timeline[1].replace("?", ".json?", 1), params={"_shape": "objects"}).json()["rows"]
        assert {(r["entity"], r["tie"]) for r in rows} >= {("Xiaomi Corporation", "blacklist"), ("Lei Jun", "award")}


def test_without_a_base_url_the_message_has_no_record_link(tmp_path: Path, runner: CliRunner, slack_env) -> None:
    out = ingest(runner, tmp_path / "newswatch.db")
    msg = slack_env.posts_for_key(out["alerts"][0]["key"])[0]
    assert "View record" not in json.dumps(msg["blocks"])


def test_a_bad_base_url_is_refused_with_the_place_and_the_fix(tmp_path: Path, runner: CliRunner) -> None:
    cdir = config_dir(tmp_path)
    settings = yaml.safe_load((cdir / "settings.yaml").read_text())
    settings["ui"] = {"base_url": "javascript:alert(1)"}
    (cdir / "settings.yaml").write_text(yaml.safe_dump(settings))
    r = runner.invoke(cli, ["--config", str(cdir), "--db", str(tmp_path / "n.db"), "ui", "--port", "0"])
    assert r.exit_code != 0 and "ui.base_url" in r.output and "http(s)" in r.output


def _count(db: Path, table: str) -> int:
    import sqlite3

    return sqlite3.connect(db).execute(f"select count(*) from {table}").fetchone()[0]
