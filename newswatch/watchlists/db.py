"""Watchlists in the SQLite file: tables ``watchlists`` and ``watch_entities`` (see ``store.SCHEMA``),
plus this room's own ``watch_names`` (every name of every entity analysed once at import: its
normalized key and parts) with ``watch_postings`` (its posting keys; :mod:`.stored` reads both, so
a process starts without reading the lists) and ``watch_list_changes`` (what each re-import
added, removed or changed), created here if missing.

A (re-)import replaces the whole list in ONE transaction: readers see the old list or the new
one, never a mix, and a failure half-way leaves the old list as it was. A file that yields no
usable entity never replaces a list (:class:`~newswatch.errors.InputError`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from ..errors import InputError
from ..models import utcnow
from ..store import write_transaction
from .matcher import analyse_entity, posting_keys
from .model import WatchEntity
from .names import Part
from .stored import ENTITY_COLUMNS, KEY_SEP, entity_from_row

OWN_TABLES = (
    "create table if not exists watch_names (entity_id text not null, list text not null, alias text not null, "
    "weak integer not null default 0, key text not null, parts text not null)",
    "create index if not exists watch_names_list on watch_names (list)",
    "create index if not exists watch_names_entity on watch_names (entity_id)",
    "create index if not exists watch_names_key on watch_names (key)",
    # one row per posting key and list: how many names it has (``n``) and, in name id order, the
    # first ``STORED_POSTINGS`` of them with their keys, so a query reads a posting in one lookup
    # and ranks its names without a lookup per name; clustered by posting key (no other index)
    "create table if not exists watch_postings (pkey text not null, list text not null, n integer not null, "
    "ids text not null, keys text not null, primary key (pkey, list)) without rowid",
    "create table if not exists watch_list_changes (id integer primary key, list text not null, "
    "imported_at text not null, change text not null, entity_id text not null, name text, detail text)",
    "create index if not exists watch_list_changes_list on watch_list_changes (list, imported_at)",
)


STORED_POSTINGS = 1024  # names kept per posting key and list (the matcher reads max_postings + 1; a
# max_postings above this reads at most this many names of a longer posting)
LOAD_TABLE = "create temp table if not exists watch_postings_load (pkey text, list text, name_id integer, key text)"


def ensure_tables(db: sqlite_utils.Database) -> None:
    """Create this room's own tables (idempotent); postings written by an older version (a row
    per name) are written again from ``watch_names``, once."""
    cols = [r[1] for r in db.execute("pragma table_info(watch_postings)")]
    if cols and "ids" not in cols:
        with write_transaction(db):
            db.execute("drop table watch_postings")
            for sql in OWN_TABLES:
                db.execute(sql)
            db.execute(LOAD_TABLE)
            rows = db.execute("select rowid, list, key, parts from watch_names where weak = 0").fetchall()
            for rid, lst, key, parts in rows:
                _load_postings(db, rid, lst, key, tuple(Part(*p) for p in json.loads(parts)))
            _flush_postings(db)
    for sql in OWN_TABLES:
        db.execute(sql)


def _load_postings(db: sqlite_utils.Database, name_id: int, list_name: str, key: str, parts: tuple[Part, ...]) -> None:
    """One name's posting keys, into the load table (:func:`_flush_postings` packs them)."""
    db.conn.executemany(
        "insert into temp.watch_postings_load (pkey, list, name_id, key) values (?, ?, ?, ?)",
        [(pk, list_name, name_id, key) for pk in posting_keys(parts)],
    )


def _flush_postings(db: sqlite_utils.Database) -> None:
    """Pack the loaded postings into ``watch_postings``: one row per posting key and list, names
    in id order, the first ``STORED_POSTINGS`` kept with their count."""
    db.execute(
        "insert into watch_postings (pkey, list, n, ids, keys) "
        "select pkey, list, count(*), group_concat(case when rn <= ? then name_id end), "
        "group_concat(case when rn <= ? then key end, ?) from ("
        "select pkey, list, name_id, key, row_number() over (partition by pkey, list order by name_id) rn "
        "from temp.watch_postings_load order by pkey, list, name_id) group by pkey, list",
        [STORED_POSTINGS, STORED_POSTINGS, KEY_SEP],
    )
    db.execute("delete from temp.watch_postings_load")


@dataclass
class ListChange:
    """One entry a re-import added, removed or changed (``before`` is the old entry when removed/changed)."""

    change: str  # added | removed | changed
    entity: WatchEntity
    before: WatchEntity | None = None
    fields: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {"change": self.change, "entity_id": self.entity.id, "name": self.entity.name, "fields": self.fields}


def _signature(e: WatchEntity) -> dict[str, Any]:
    return {
        "name": e.name,
        "type": e.type,
        "reason": e.reason,
        "country": e.country,
        "aliases": sorted(e.aliases),
        "weak_aliases": sorted(e.weak_aliases),
        "leads": e.leads,
    }


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
    """Replace list ``name`` by ``entities`` atomically; returns the ``watchlists`` row written plus
    ``added``/``removed``/``changed`` counts and ``changes`` (a list of :class:`ListChange`; empty on
    the first import of a name). Raises :class:`InputError` (and keeps the old list) when there is
    no entity to import."""
    ensure_tables(db)
    sql = f"insert into watch_entities ({', '.join(ENTITY_COLUMNS)}) values ({', '.join('?' for _ in ENTITY_COLUMNS)})"
    with write_transaction(db):
        existed = db.execute("select count(*) from watchlists where name = ?", [name]).fetchone()[0] > 0
        before = {e.id: e for e in load_entities(db, lists=[name], analysed=False)} if existed else {}
        db.execute("delete from watch_entities where list = ?", [name])
        db.execute("delete from watch_postings where list = ?", [name])
        db.execute("delete from watch_names where list = ?", [name])
        db.execute(LOAD_TABLE)
        count = 0
        stamp = utcnow()
        changes: list[ListChange] = []
        seen: set[str] = set()
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
            _insert_names(db, e, name)
            count += 1
            seen.add(e.id)
            if existed:
                old = before.get(e.id)
                if old is None:
                    changes.append(ListChange("added", e))
                else:
                    a, b = _signature(old), _signature(e)
                    diff = [k for k in a if a[k] != b[k]]
                    if diff:
                        changes.append(ListChange("changed", e, old, diff))
        _flush_postings(db)
        if count == 0:
            kept = f"; the earlier import of {name!r} is kept" if existed else ""
            raise InputError(f"{source_file}: no usable entity in the file, list {name!r} not replaced{kept}")
        changes += [ListChange("removed", old, old) for oid, old in before.items() if oid not in seen]
        for c in changes:
            db.execute(
                "insert into watch_list_changes (list, imported_at, change, entity_id, name, detail) "
                "values (?, ?, ?, ?, ?, ?)",
                [name, stamp, c.change, c.entity.id, c.entity.name, json.dumps({"fields": c.fields})],
            )
        row = {
            "name": name,
            "format": fmt,
            "source_file": source_file,
            "imported_at": stamp,
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
    kinds = [c.change for c in changes]
    return {
        **row,
        "added": kinds.count("added"),
        "removed": kinds.count("removed"),
        "changed": kinds.count("changed"),
        "changes": changes,
    }


NAMES_SQL = "insert into watch_names (entity_id, list, alias, weak, key, parts) values (?, ?, ?, ?, ?, ?)"


def _insert_names(db: sqlite_utils.Database, e: WatchEntity, list_name: str) -> None:
    """Every name of ``e`` analysed, into ``watch_names``, and its posting keys into the load table
    (packed into ``watch_postings`` by :func:`_flush_postings`; a weak alias is found by its exact
    key only: no postings)."""
    seen: set[tuple[str, bool]] = set()
    for alias, weak, key, parts in analyse_entity(e):
        if not key or (key, weak) in seen:
            continue
        seen.add((key, weak))
        cur = db.execute(NAMES_SQL, [e.id, list_name, alias, int(weak), key, json.dumps(parts)])
        if not weak and cur.lastrowid is not None:
            _load_postings(db, cur.lastrowid, list_name, key, parts)


def backfill_names(db: sqlite_utils.Database) -> int:
    """Analyse the names of lists imported before ``watch_names`` existed (once); returns how many
    entities were analysed."""
    ensure_tables(db)
    lists = [
        r[0]
        for r in db.execute(
            "select name from watchlists w where not exists (select 1 from watch_names n where n.list = w.name)"
        )
    ]
    if not lists:
        return 0
    n = 0
    with write_transaction(db):
        db.execute(f"delete from watch_postings where list in ({', '.join('?' for _ in lists)})", lists)
        db.execute(LOAD_TABLE)
        for e in load_entities(db, lists=lists, analysed=False):
            _insert_names(db, e, e.list_name)
            n += 1
        _flush_postings(db)
    return n


def list_changes(db: sqlite_utils.Database, name: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Recorded list changes, newest first (``name``: one list only)."""
    ensure_tables(db)
    where, args = ("where list = ?", [name]) if name else ("", [])
    return [
        {**dict(r), "detail": json.loads(r["detail"] or "{}")}
        for r in db.query(
            f"select list, imported_at, change, entity_id, name, detail from watch_list_changes {where} "
            "order by id desc limit ?",
            [*args, limit],
        )
    ]


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


def load_entities(
    db: sqlite_utils.Database, *, lists: list[str] | None = None, analysed: bool = True
) -> list[WatchEntity]:
    """All imported entities (every list, or ``lists``), with their weak aliases and, when
    ``analysed``, the names as analysed at import (the index then does not analyse them again)."""
    ensure_tables(db)
    where = f"where list in ({', '.join('?' for _ in lists)})" if lists else ""
    args = list(lists or [])
    names: dict[str, list[tuple[str, bool, str, tuple[Part, ...]]]] = {}
    for eid, alias, weak, key, parts in db.execute(
        f"select entity_id, alias, weak, key, parts from watch_names {where} order by rowid", args
    ):
        names.setdefault(eid, []).append((alias, bool(weak), key, tuple(Part(*p) for p in json.loads(parts))))
    out = []
    for r in db.execute(f"select {', '.join(ENTITY_COLUMNS)} from watch_entities {where} order by list, rowid", args):
        stored = names.get(r[0])
        out.append(
            entity_from_row(
                r,
                weak_aliases=[a for a, weak, _, _ in stored or [] if weak],
                analysed=stored if analysed and stored else None,
            )
        )
    return out
