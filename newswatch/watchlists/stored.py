"""The name index of the imported lists, kept in the database: built once at import, read per query.

``watchlist import`` analyses every name once (:func:`.matcher.analyse_entity`) and stores it in
``watch_names`` (alias, weak, normalized key, parts) with its posting keys in ``watch_postings``
(:func:`.matcher.posting_keys`: tokens, phonetic keys, joined pairs, initials). A process then
opens the lists without reading them: :class:`StoredNames` answers the matcher's three questions
with indexed lookups, so start-up does not grow with the lists and a query's cost grows only with
the B-tree depth:

* the names whose key equals a query's (:meth:`StoredNames.by_key`);
* the names under each of a query's posting keys, at most ``limit`` each, with the posting's
  length (:meth:`StoredNames.postings`);
* which of a text's token n-grams are listed keys (:meth:`StoredNames.present_keys`, the
  gazetteer over the stored lists: one batched lookup per text instead of an automaton over a
  million keys in memory).

Names and entities read are cached in the process (``watch_names`` rows by id, entities by id).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from .model import WatchEntity
from .names import Part

BATCH = 500
MAX_UNION = 100  # posting keys read in one statement (SQLite allows 500 compound selects)
KEY_CACHE = 200_000  # name id -> key pairs kept in memory between queries
ENTITY_COLUMNS = ("id", "list", "name", "type", "reason", "country", "aliases", "monitored", "leads")


class StoredNames:
    """Read side of ``watch_names``/``watch_postings`` (see the module docstring)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.file = db_file(db)
        self._entities: dict[str, WatchEntity | None] = {}
        self._keys: dict[int, str] = {}
        self.max_key_tokens = int(
            db.execute(
                "select coalesce(max(length(key) - length(replace(key, ' ', '')) + 1), 0) from watch_names"
            ).fetchone()[0]
            or 0
        )

    def attach(self, db: sqlite_utils.Database) -> bool:
        """Use ``db`` from now on if it is a connection to the same file (True); False otherwise
        (the caller opens the other file's lists instead)."""
        if db is not self.db and db_file(db) != self.file:
            return False
        self.db = db
        return True

    def count(self) -> int:
        return int(self.db.execute("select count(*) from watch_names").fetchone()[0])

    def by_key(self, key: str, limit: int) -> list[tuple[int, str, str, bool, str, tuple[Part, ...]]]:
        """(name id, entity id, alias, weak, key, parts) of the stored names whose key is ``key``."""
        return self._rows("where key = ? order by rowid limit ?", [key, limit])

    def postings(self, pkeys: Sequence[str], limit: int) -> dict[str, list[int]]:
        """Name ids under each posting key (at most ``limit`` + 1, so a long posting shows as such),
        read in one statement."""
        out: dict[str, list[int]] = {}
        for pk, name_id in self._per_key("name_id", pkeys, limit):
            out.setdefault(pk, []).append(name_id)
        return out

    def posting_counts(self, pkeys: Sequence[str], limit: int) -> dict[str, int]:
        """How many names each posting key has (counted up to ``limit`` + 1), in one statement and
        without reading the ids: the matcher reads only the postings worth it."""
        return dict(self._per_key("count(*)", pkeys, limit))

    def _per_key(self, what: str, pkeys: Sequence[str], limit: int) -> list[tuple[str, Any]]:
        """(posting key, ``what``) over each key's first ``limit`` + 1 postings, ``MAX_UNION`` keys
        to one statement."""
        keys = list(dict.fromkeys(pkeys))
        rows: list[tuple[str, Any]] = []
        for i in range(0, len(keys), MAX_UNION):
            chunk = keys[i : i + MAX_UNION]
            sql = " union all ".join(
                f"select {j}, {what} from (select name_id from watch_postings where pkey = ? limit ?)"
                for j in range(len(chunk))
            )
            args: list[Any] = [a for pk in chunk for a in (pk, limit + 1)]
            rows += [(chunk[j], v) for j, v in self.db.execute(sql, args)]
        return rows

    def names(self, ids: Iterable[int]) -> list[tuple[int, str, str, bool, str, tuple[Part, ...]]]:
        """The stored names with these ids."""
        out = []
        ids = list(ids)
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            out += self._rows(f"where rowid in ({', '.join('?' for _ in chunk)})", chunk)
        return out

    def keys(self, ids: Sequence[int]) -> list[tuple[int, str]]:
        """(name id, key) of these stored names, in the order given (keys seen before from memory)."""
        known = self._keys
        todo = [i for i in dict.fromkeys(ids) if i not in known]
        for i in range(0, len(todo), BATCH):
            chunk = todo[i : i + BATCH]
            sql = f"select rowid, key from watch_names where rowid in ({', '.join('?' for _ in chunk)})"
            rows = self.db.execute(sql, chunk).fetchall()
            if len(known) + len(rows) > KEY_CACHE:
                known.clear()  # a bound on memory for huge lists; refilled from the next queries
            known.update(rows)
        return [(i, known[i]) for i in ids if i in known]

    def present_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are the key of a stored name."""
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        for i in range(0, len(keys), BATCH):
            chunk = keys[i : i + BATCH]
            found.update(
                r[0]
                for r in self.db.execute(
                    f"select distinct key from watch_names where key in ({', '.join('?' for _ in chunk)})", chunk
                )
            )
        return found

    def entity(self, entity_id: str) -> WatchEntity | None:
        """An imported entity by id (cached)."""
        if entity_id not in self._entities:
            row = self.db.execute(
                f"select {', '.join(ENTITY_COLUMNS)} from watch_entities where id = ?", [entity_id]
            ).fetchone()
            self._entities[entity_id] = entity_from_row(row) if row else None
        return self._entities[entity_id]

    def _rows(self, where: str, args: list[Any]) -> list[tuple[int, str, str, bool, str, tuple[Part, ...]]]:
        return [
            (rid, eid, alias, bool(weak), key, tuple(Part(*p) for p in json.loads(parts)))
            for rid, eid, alias, weak, key, parts in self.db.execute(
                f"select rowid, entity_id, alias, weak, key, parts from watch_names {where}", args
            )
        ]


def db_file(db: sqlite_utils.Database) -> str:
    """The file behind a connection ("" for an in-memory database)."""
    row = db.execute("pragma database_list").fetchone()
    return str(row[2] or "") if row else ""


def entity_from_row(row: Sequence[Any], **extra: Any) -> WatchEntity:
    """A :class:`WatchEntity` from a ``watch_entities`` row read in the order of ``ENTITY_COLUMNS``
    (``extra``: fields the row does not hold, such as the stored analysis)."""
    rid, lst, name, typ, reason, country, aliases, monitored, leads = row
    return WatchEntity(
        id=rid,
        name=name,
        type=typ,
        list_name=lst,
        aliases=json.loads(aliases or "[]"),
        reason=reason,
        country=country,
        leads=leads,
        monitored=bool(monitored),
        **extra,
    )
