"""Migrations: a database written by the schema before them (fixtures/db/v0.db, made by
fixtures/db/make_v0.py from the demo) is upgraded in place, keeping every row."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from newswatch.migrations import EPOCH_COLUMNS, LATEST, LINKS, VIEWS
from newswatch.store import open_db, write_transaction
from tests.support.paths import ROOT

V0 = ROOT / "fixtures" / "db" / "v0.db"
ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$"


def _rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the old file, as tuples of its own columns."""
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
    out = {t: con.execute(f"select * from {t} order by rowid").fetchall() for t in tables}
    con.close()
    return out


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "v0.db"
    shutil.copy(V0, path)
    return path


def test_the_fixture_is_a_database_of_the_schema_before_migrations() -> None:
    con = sqlite3.connect(V0)
    assert con.execute("pragma user_version").fetchone()[0] == 0
    assert not con.execute("select name from sqlite_master where type = 'view'").fetchall()
    empty = [t for t, rows in _rows(V0).items() if not rows]
    assert not empty, f"every table of the fixture holds rows: {empty}"


def test_an_old_database_keeps_every_row_and_gains_search_keys_and_views(old_db: Path) -> None:
    before = _rows(old_db)
    db = open_db(old_db)
    assert db.execute("pragma user_version").fetchone()[0] == LATEST
    for table, rows in before.items():
        cols = [c[1] for c in sqlite3.connect(V0).execute(f"pragma table_info({table})")]
        after = db.execute(f"select {', '.join(cols)} from {table} order by rowid").fetchall()
        assert len(after) == len(rows), table
        for old, new in zip(rows, after, strict=True):
            for col, a, b in zip(cols, old, new, strict=True):
                if col in EPOCH_COLUMNS.get(table, []) and isinstance(a, float):
                    assert b.endswith("+00:00") and abs(_epoch(b) - a) < 1e-5, (table, col, a, b)
                else:
                    assert a == b, (table, col, a, b)
    # keys: every link of LINKS is a foreign key now, and none is broken
    for table, links in LINKS.items():
        fks = {(fk[3], fk[2]) for fk in db.execute(f"pragma foreign_key_list({table})")}
        assert {(lk.column, lk.parent) for lk in links} <= fks, table
    assert db.execute("pragma foreign_key_check").fetchall() == []
    # integer alert ids beside the text keys
    unmatched = db.execute(
        "select count(*) from findings f where f.alert_key is not null and f.alert_id is not "
        "(select id from alerts where key = f.alert_key)"
    ).fetchone()[0]
    assert unmatched == 0
    assert db.execute("select count(*) from alert_sources where alert_id is null").fetchone()[0] == 0
    assert db.execute("select alert_id from alert_actions").fetchone()[0] is not None
    # search
    hits = db.execute(
        "select title from articles where rowid in (select rowid from articles_fts where articles_fts match 'Inspur')"
    ).fetchall()
    assert hits and all("Inspur" in t for (t,) in hits)
    found = db.execute("select rowid from findings_fts where findings_fts match 'Xiaomi'").fetchall()
    assert len(found) >= 3
    # views
    assert set(VIEWS) <= set(db.view_names())
    overview = db.execute("select count(*) from alert_overview").fetchone()[0]
    assert overview == len(before["alerts"])
    # timestamps: every epoch column a person reads is ISO 8601 UTC text now
    for table, columns in EPOCH_COLUMNS.items():
        for col in columns:
            kinds = {t for (t,) in db.execute(f"select distinct typeof({col}) from {table} where {col} is not null")}
            assert kinds <= {"text"}, (table, col, kinds)
            values = [v for (v,) in db.execute(f"select {col} from {table} where {col} is not null")]
            assert all(re.match(ISO, v) for v in values), (table, col, values)


def _epoch(text: str) -> float:
    from newswatch.models import epoch

    value = epoch(text)
    assert value is not None
    return value


def test_opening_again_changes_nothing_and_new_writes_stay_linked(old_db: Path) -> None:
    open_db(old_db).conn.close()
    schema = sqlite3.connect(old_db).execute("select type, name, sql from sqlite_master order by name").fetchall()
    db = open_db(old_db)
    assert db.execute("select type, name, sql from sqlite_master order by name").fetchall() == schema
    # a finding written before its alert (as the pipeline does) gets the alert's integer id
    with write_transaction(db):
        fid = (
            db.table("findings")
            .insert(
                {
                    "article_id": 1,
                    "entity": "Quillon Ltd",
                    "tie": "blacklist",
                    "evidence": "Quillon Ltd was added.",
                    "alert_key": "k-new",
                }
            )
            .last_pk
        )
        aid = (
            db.table("alerts").insert({"key": "k-new", "status": "pending", "finding_id": fid, "article_id": 1}).last_pk
        )
        db.table("alert_sources").insert({"alert_key": "k-new", "article_id": 1, "finding_id": fid})
    assert db.execute("select alert_id from findings where id = ?", [fid]).fetchone()[0] == aid
    assert db.execute("select alert_id from alert_sources where alert_key = 'k-new'").fetchone()[0] == aid
    assert db.execute("select rowid from findings_fts where findings_fts match 'Quillon'").fetchone()[0] == fid
    # a re-ingested page replaces its findings: the alert keeps its row, its finding link is cleared
    with write_transaction(db):
        db.execute("delete from findings where id = ?", [fid])
    assert db.execute("select finding_id from alerts where id = ?", [aid]).fetchone()[0] is None
    with write_transaction(db):  # ... and writes them again, naming the alert by its key
        again = (
            db.table("findings")
            .insert(
                {
                    "article_id": 1,
                    "entity": "Quillon Ltd",
                    "tie": "blacklist",
                    "evidence": "Quillon Ltd was added again.",
                    "alert_key": "k-new",
                }
            )
            .last_pk
        )
    overview = db.execute("select finding_id, evidence from alert_overview where alert_id = ?", [aid]).fetchone()
    assert overview == (again, "Quillon Ltd was added again.")
    # a link to nothing is refused at commit
    with pytest.raises(sqlite3.IntegrityError):
        with write_transaction(db):
            db.table("alert_sources").insert({"alert_key": "k-none", "article_id": 999_999})


def test_a_new_database_is_created_at_the_latest_version(tmp_path: Path) -> None:
    db = open_db(tmp_path / "new.db")
    assert db.execute("pragma user_version").fetchone()[0] == LATEST
    assert set(VIEWS) <= set(db.view_names())
    assert db.table("articles").detect_fts() == "articles_fts"


def _open_and_count(path: str) -> int:
    db = open_db(path)
    return db.execute("select count(*) from alert_overview").fetchone()[0]


def test_processes_opening_an_old_file_at_once_migrate_it_once(old_db: Path) -> None:
    import multiprocessing

    alerts = len(_rows(old_db)["alerts"])
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        counts = pool.map(_open_and_count, [str(old_db)] * 3)
    assert counts == [alerts] * 3
    con = sqlite3.connect(old_db)
    assert con.execute("pragma user_version").fetchone()[0] == LATEST
    assert (
        con.execute("select count(*) from sqlite_master where name like '\\_%\\_rebuilt' escape '\\'").fetchone()[0]
        == 0
    )
