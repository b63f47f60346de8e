"""The name index stored at import: a posting is one row per key and list with its count and its
names' ids and keys (ranking reads no name), postings of an older file are written again on open,
and the stored lists match as in memory."""

from __future__ import annotations

from pathlib import Path

from newswatch.config import MatchSettings
from newswatch.store import open_db
from newswatch.watchlists import Watchlist
from newswatch.watchlists.db import save_list
from newswatch.watchlists.normalize import normalize_name
from tests.support.look_alikes import QUERIES, look_alike_entities

entities = look_alike_entities


def found(wl: Watchlist) -> list[list[tuple[str, float]]]:
    return [[(m.entity.id, round(m.score, 6)) for m in wl.match(q, label)] for q, label in QUERIES]


def test_a_stored_list_matches_as_the_same_list_in_memory(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    save_list(db, "t", entities(), fmt="yaml", source_file="test")
    stored = Watchlist.from_db(db, MatchSettings())
    assert found(stored) == found(Watchlist(entities()))
    assert any(found(stored))


def stored_postings(db) -> dict[str, list[tuple[int, str]]]:  # noqa: ANN001
    """Every posting key's (name id, key) pairs, unpacked from the stored rows."""
    out: dict[str, list[tuple[int, str]]] = {}
    for pk, n, ids, keys in db.execute("select pkey, n, ids, keys from watch_postings"):
        pairs = list(zip(map(int, ids.split(",")), keys.split("\x1f"), strict=True))
        assert n == len(pairs)
        out.setdefault(pk, []).extend(pairs)
    return {pk: sorted(v) for pk, v in out.items()}


def test_a_posting_is_one_row_with_its_names_ids_and_keys(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    save_list(db, "t", entities(), fmt="yaml", source_file="test")
    save_list(db, "u", entities("u")[:4], fmt="yaml", source_file="test")
    keys = dict(db.execute("select rowid, key from watch_names").fetchall())
    post = stored_postings(db)
    assert all(keys[i] == k for pairs in post.values() for i, k in pairs)
    assert len(post["kalomir"]) == 10 + 4  # five persons and five companies of list t, four of list u
    assert db.execute("select count(*) from watch_postings where pkey = 'kalomir'").fetchone()[0] == 2
    stored = Watchlist.from_db(db, MatchSettings())
    assert stored.store is not None
    assert stored.store.posting_counts(["kalomir", "ostrava", "nothing"], 256) == {"kalomir": 14, "ostrava": 12}
    assert stored.store.posting_counts(["kalomir"], 5) == {"kalomir": 6}  # counted up to limit + 1
    assert stored.store.postings(["kalomir"], 5)["kalomir"] == [i for i, _ in post["kalomir"][:6]]
    save_list(db, "u", entities("u")[:2], fmt="yaml", source_file="test")  # a re-import replaces its rows
    assert len(stored_postings(db)["kalomir"]) == 10 + 2


def test_postings_of_an_older_file_are_written_again_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_db(path)
    save_list(db, "t", entities(), fmt="yaml", source_file="test")
    before = stored_postings(db)
    # the postings as the version before wrote them: a row per posting key and name
    db.execute("drop table watch_postings")
    db.execute(
        "create table watch_postings (pkey text not null, name_id integer not null, "
        "primary key (pkey, name_id)) without rowid"
    )
    db.conn.executemany(
        "insert into watch_postings values (?, ?)", [(pk, i) for pk, pairs in before.items() for i, _ in pairs]
    )
    db.conn.commit()
    db.close()

    db = open_db(path)
    wl = Watchlist.from_db(db, MatchSettings())
    cols = [r[1] for r in db.execute("pragma table_info(watch_postings)")]
    assert cols == ["pkey", "list", "n", "ids", "keys"]
    assert stored_postings(db) == before
    assert [m.entity.id for m in wl.match("Kalomyr Ostrava", "PERSON")] == ["p0"]
    assert normalize_name("Kalomyr Ostrava") not in {r[0] for r in db.execute("select key from watch_names")}
