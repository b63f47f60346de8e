"""Watchlists in the SQLite file: tables ``watchlists`` and ``watch_entities`` (see ``store.SCHEMA``).

A (re-)import replaces the whole list in ONE transaction: readers see the old list or the new
one, never a mix, and a failure half-way leaves the old list as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from ..models import utcnow
from ..store import write_transaction
from .model import WatchEntity

ENTITY_COLUMNS = ("id", "list", "name", "type", "reason", "country", "aliases", "monitored", "leads")


def save_list(
    db: sqlite_utils.Database,
    name: str,
    entities: Iterable[WatchEntity],
    *,
    fmt: str,
    source_file: str,
    skipped: int = 0,
    monitored: bool = False,
) -> dict[str, Any]:
    """Replace list ``name`` by ``entities`` atomically; returns the ``watchlists`` row written."""
    sql = f"insert into watch_entities ({', '.join(ENTITY_COLUMNS)}) values ({', '.join('?' for _ in ENTITY_COLUMNS)})"
    with write_transaction(db):
        db.execute("delete from watch_entities where list = ?", [name])
        count = 0
        for e in entities:
            db.execute(
                sql,
                [
                    e.id,
                    name,
                    e.name,
                    e.type,
                    e.reason,
                    e.country,
                    json.dumps(e.aliases, ensure_ascii=False),
                    int(e.monitored),
                    e.leads,
                ],
            )
            count += 1
        row = {
            "name": name,
            "format": fmt,
            "source_file": source_file,
            "imported_at": utcnow(),
            "count": count,
            "skipped": skipped,
            "monitored": int(monitored),
        }
        db.execute("delete from watchlists where name = ?", [name])
        db.execute(
            "insert into watchlists (name, format, source_file, imported_at, count, skipped, monitored) "
            "values (:name, :format, :source_file, :imported_at, :count, :skipped, :monitored)",
            row,
        )
    return row


def list_lists(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every imported list with its count and import time, by name."""
    return [
        dict(r)
        for r in db.query(
            "select name, format, source_file, imported_at, count, skipped, monitored from watchlists order by name"
        )
    ]


def lists_version(db: sqlite_utils.Database) -> tuple[Any, ...]:
    """Cheap fingerprint of what is imported: changes whenever a list is (re-)imported or removed."""
    return tuple(
        db.execute(
            "select count(*), max(imported_at), sum(count), group_concat(name || imported_at) from watchlists"
        ).fetchone()
    )


def load_entities(db: sqlite_utils.Database) -> list[WatchEntity]:
    """All imported entities (every list)."""
    out = []
    for r in db.execute(f"select {', '.join(ENTITY_COLUMNS)} from watch_entities order by list, rowid"):
        rid, lst, name, typ, reason, country, aliases, monitored, leads = r
        out.append(
            WatchEntity(
                id=rid,
                name=name,
                type=typ,
                list_name=lst,
                aliases=json.loads(aliases or "[]"),
                reason=reason,
                country=country,
                leads=leads,
                monitored=bool(monitored),
            )
        )
    return out
