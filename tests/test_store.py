"""Storage: idempotent schema, WAL, one transaction per article."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswatch.store import SCHEMA, open_db, write_transaction


def test_schema_is_idempotent_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    db = open_db(path)
    db["articles"].insert({"url": "https://a/", "canonical_url": "https://a/", "fetched_at": "2021-01-01"})
    db.conn.close()
    db = open_db(path)  # second open: nothing recreated, nothing lost
    assert db["articles"].count == 1
    assert set(SCHEMA) <= set(db.table_names())
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    for name, spec in SCHEMA.items():
        assert set(spec["columns"]) <= set(db[name].columns_dict), name


def test_new_columns_are_added_to_an_old_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_db(path)
    db.execute("alter table alerts drop column claimed_at")
    db.conn.close()
    db = open_db(path)
    assert "claimed_at" in db["alerts"].columns_dict


def test_write_transaction_rolls_back_everything(tmp_path: Path) -> None:
    db = open_db(tmp_path / "n.db")
    with pytest.raises(RuntimeError):
        with write_transaction(db):
            db["articles"].insert({"url": "https://a/", "canonical_url": "https://a/", "fetched_at": "x"})
            raise RuntimeError("crash mid-way")
    assert db["articles"].count == 0
