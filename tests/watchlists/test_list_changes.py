"""Import safety: an empty file never replaces a list; a re-import records what changed; a monitored
entity newly put on (or taken off) a sanctions list is an alert through the rules and the outbox."""

from __future__ import annotations

import json
from pathlib import Path

from newswatch.commands import cli
from newswatch.store import open_db
from tests.support.paths import CONFIG, FIXTURES
from tests.support.slack_server import SlackServer

WL = FIXTURES / "watchlists"
EMPTY_ROW = '{n},-0- ,-0- ,"IRAN",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
VESSEL_ROW = '{n},"SEA SPRAY","vessel","IRAN",-0- ,"9HA0001","Tanker",-0- ,"1000","Malta",-0- ,-0- '


def sdn_rows(*nums: int) -> str:
    """Rows of our SDN sample with the ent_nums given."""
    by_num = {int(line.split(",", 1)[0]): line for line in (WL / "screening.sdn.csv").read_text().splitlines()}
    return "\n".join(by_num[n] for n in nums) + "\n"


def invoke(runner, db_file: Path, *args: str):  # noqa: ANN001, ANN201
    return runner.invoke(cli, ["--db", str(db_file), "--config", str(CONFIG), "watchlist", *args])


def import_sdn(runner, db_file: Path, path: Path, name: str = "ofac"):  # noqa: ANN001, ANN201
    return invoke(runner, db_file, "import", str(path), "--format", "ofac-sdn", "--name", name, "--json")


def test_a_file_with_no_usable_rows_never_replaces_the_list(runner, db_file: Path, tmp_path: Path) -> None:  # noqa: ANN001
    r = import_sdn(runner, db_file, WL / "screening.sdn.csv")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["count"] == 13
    for content in ("", EMPTY_ROW.format(n=1) + "\n" + VESSEL_ROW.format(n=2) + "\n"):
        empty = tmp_path / "empty.csv"
        empty.write_text(content)
        r = import_sdn(runner, db_file, empty)
        assert r.exit_code != 0, r.output
        assert "no usable entity" in r.output and "not replaced" in r.output and "Traceback" not in r.output
    rows = [json.loads(x) for x in invoke(runner, db_file, "ls", "--json").stdout.splitlines()]  # JSON lines
    assert [(x["name"], x["count"]) for x in rows] == [("ofac", 13)], "the earlier import is kept"
    r = invoke(runner, db_file, "match", "Yevgeniy Volkovsky", "--label", "PERSON", "--json")
    assert json.loads(r.stdout.splitlines()[0])["entity_id"] == "ofac:50001"
    # a name never imported is not created by an empty file either
    r = import_sdn(runner, db_file, empty, name="fresh")
    assert r.exit_code != 0 and "fresh" not in [
        json.loads(x)["name"] for x in invoke(runner, db_file, "ls", "--json").stdout.splitlines()
    ]


def test_a_reimport_records_what_it_added_removed_and_changed(runner, db_file: Path, tmp_path: Path) -> None:  # noqa: ANN001
    v1, v2 = tmp_path / "v1.csv", tmp_path / "v2.csv"
    v1.write_text(sdn_rows(50001, 50002, 50003))
    v2.write_text(
        sdn_rows(50001, 50003, 50004).replace(
            '"PARK, Jong Hyok","individual","DPRK3"', '"PARK, Jong Hyok","individual","DPRK4"'
        )
    )
    first = json.loads(import_sdn(runner, db_file, v1).stdout)
    assert (first["added"], first["removed"], first["changed"]) == (0, 0, 0), "a first import records no change"
    r = import_sdn(runner, db_file, v2)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert (out["added"], out["removed"], out["changed"]) == (1, 1, 1)
    assert {(c["change"], c["entity_id"]) for c in out["changes"]} == {
        ("added", "ofac:50004"),
        ("removed", "ofac:50002"),
        ("changed", "ofac:50003"),
    }
    assert next(c for c in out["changes"] if c["change"] == "changed")["fields"] == ["reason"]
    stored = json.loads(invoke(runner, db_file, "changes", "--json").stdout)
    assert {(c["list"], c["change"], c["entity_id"]) for c in stored} == {
        ("ofac", "added", "ofac:50004"),
        ("ofac", "removed", "ofac:50002"),
        ("ofac", "changed", "ofac:50003"),
    }
    text = invoke(runner, db_file, "changes").stdout
    assert "removed  ofac:50002 BIN HAMDAN, Usama bin Khalid bin Sa'id" in text
    r = invoke(runner, db_file, "import", str(v2), "--format", "ofac-sdn", "--name", "ofac")
    assert "0 added, 0 removed, 0 changed since the last import" in r.stdout


def test_a_monitored_entity_put_on_a_sanctions_list_is_an_alert_and_taken_off_a_delisting(
    runner,  # noqa: ANN001
    db_file: Path,
    tmp_path: Path,
    slack_env: SlackServer,
) -> None:
    portfolio = tmp_path / "portfolio.yaml"
    portfolio.write_text(
        "name: suppliers\nmonitored: true\nentities:\n"
        "  - {id: zvezda, name: Severnaya Zvezda PJSC, type: company, aliases: [North Star Finance]}\n"
        "  - {id: coral, name: Grupo Coralino, type: company}\n"
    )
    r = invoke(runner, db_file, "import", str(portfolio), "--format", "yaml", "--name", "suppliers", "--monitored")
    assert r.exit_code == 0, r.output
    before, listed, delisted = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    before.write_text(sdn_rows(50001, 50008))
    listed.write_text(sdn_rows(50001, 50005, 50008))
    delisted.write_text(sdn_rows(50001, 50005))
    assert json.loads(import_sdn(runner, db_file, before).stdout)["alerts"] == []
    out = json.loads(import_sdn(runner, db_file, listed).stdout)
    assert [(a["entity"], a["tie"], a["status"]) for a in out["alerts"]] == [
        ("Severnaya Zvezda PJSC", "blacklist", "new")
    ]
    out = json.loads(import_sdn(runner, db_file, delisted).stdout)
    assert [(a["entity"], a["tie"], a["status"]) for a in out["alerts"]] == [("Grupo Coralino", "delisting", "new")]

    db = open_db(db_file)
    alerts = {r["tie"]: r for r in db.query("select * from alerts order by id")}
    assert set(alerts) == {"blacklist", "delisting"}
    for a in alerts.values():
        payload = json.loads(a["payload"])
        assert a["status"] == "pending" and a["severity"] == "critical" and a["article_id"] is None
        assert payload["rule"] == "monitored-entity-listed"
    assert (
        "SEVERNAYA ZVEZDA PUBLIC JOINT STOCK COMPANY was added to list ofac"
        in json.loads(alerts["blacklist"]["payload"])["evidence"]
    )
    assert alerts["blacklist"]["reason"] == "OFAC SDN: RUSSIA-EO14024"
    # through the outbox to Slack like any other alert
    r = runner.invoke(cli, ["--db", str(db_file), "--config", str(CONFIG), "alerts", "deliver"])
    assert r.exit_code == 0, r.output
    texts = [m.get("text", "") for m in slack_env.messages]
    assert any("Severnaya Zvezda PJSC" in t for t in texts) and any("Grupo Coralino" in t for t in texts)
    # an entity of no monitored list changing on a list is recorded, not alerted
    assert not [a for a in alerts.values() if "VOLKOVSKY" in a["entity"]]
