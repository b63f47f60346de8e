"""The name index of the imported lists, kept in the database: built once at import, read per query.

``watchlist import`` analyses every name once (:func:`.matcher.analyse_entity`) and stores it in
``watch_names`` (alias, weak, normalized key, parts) with its posting keys in ``watch_postings``
(:func:`.matcher.posting_keys`: tokens, phonetic keys, joined pairs, initials; one row per key and
list with its count and its names' ids and keys, so reading a posting is one lookup and ranking
its names needs no lookup per name). A process then
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
KEY_SEP = "\x1f"  # between the keys of a posting row (a normalized key holds no control character)
ENTITY_COLUMNS = ("id", "list", "name", "type", "reason", "country", "aliases", "monitored", "leads")


class StoredNames:
    """Read side of ``watch_names``/``watch_postings`` (see the module docstring)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.file = db_file(db)
        self._entities: dict[str, WatchEntity | None] = {}
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
        """Name ids under each posting key, in id order (at most ``limit`` + 1, so a long posting
        shows as such), one row per key and list read in one statement."""
        return {pk: [i for i, _ in pairs] for pk, pairs in self.keyed_postings(pkeys, limit).items()}

    def keyed_postings(self, pkeys: Sequence[str], limit: int) -> dict[str, list[tuple[int, str]]]:
        """(name id, the name's key) under each posting key, as :meth:`postings`."""
        return _unpack(self._rows_per_key("n, ids, keys", pkeys), limit)

    def posting_counts(self, pkeys: Sequence[str], limit: int) -> dict[str, int]:
        """How many names each posting key has (up to ``limit`` + 1), stored at import: one lookup
        per key, in one statement, without reading the ids."""
        return self.read_postings(pkeys, limit, ids=False)[0]

    def read_postings(
        self, pkeys: Sequence[str], limit: int, *, ids: bool = True
    ) -> tuple[dict[str, int], dict[str, list[tuple[int, str]]]]:
        """Both at once, in one statement: the count of each posting key (up to ``limit`` + 1) and
        the (name id, key) pairs of those with at most ``limit`` names (a longer posting's row is
        not read beyond its count; :meth:`keyed_postings` reads its first ``limit`` + 1)."""
        what = f"n, case when n <= {int(limit)} then ids end, case when n <= {int(limit)} then keys end"
        rows = self._rows_per_key(what if ids else "n, null, null", pkeys)
        counts: dict[str, int] = {}
        for pk, n, _, _ in rows:
            counts[pk] = min(limit + 1, counts.get(pk, 0) + n)
        return counts, _unpack([r for r in rows if counts[r[0]] <= limit] if ids else [], limit)

    def _rows_per_key(self, what: str, pkeys: Sequence[str]) -> list[tuple[Any, ...]]:
        """(posting key, ``what`` columns) of each key's rows (one per list), ``BATCH`` keys to a statement."""
        keys = list(dict.fromkeys(pkeys))
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(keys), BATCH):
            chunk = keys[i : i + BATCH]
            sql = f"select pkey, {what} from watch_postings where pkey in ({', '.join('?' for _ in chunk)})"
            rows += self.db.execute(sql, chunk).fetchall()
        return rows

    def names(self, ids: Iterable[int]) -> list[tuple[int, str, str, bool, str, tuple[Part, ...]]]:
        """The stored names with these ids."""
        out = []
        ids = list(ids)
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            out += self._rows(f"where rowid in ({', '.join('?' for _ in chunk)})", chunk)
        return out

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


def _unpack(rows: Sequence[tuple[Any, ...]], limit: int) -> dict[str, list[tuple[int, str]]]:
    """(posting key, n, ids, keys) rows to the (name id, key) pairs under each posting key, in id
    order, at most ``limit`` + 1 (a key in several lists has a row per list)."""
    out: dict[str, list[tuple[int, str]]] = {}
    for pk, _, ids, keys in rows:
        # a row keeps up to STORED_POSTINGS names: split no further than the names wanted
        cut = limit + 1
        pairs = list(zip(map(int, ids.split(",", cut)[:cut]), keys.split(KEY_SEP, cut)[:cut], strict=False))
        if pk in out:
            pairs = sorted(out[pk] + pairs)
        out[pk] = pairs[: limit + 1]
    return out


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
