"""Pinyin of a Chinese name as a matching feature (pypinyin, surnames read as surnames)."""

from __future__ import annotations

from newswatch.watchlists import Watchlist
from newswatch.watchlists.model import WatchEntity
from newswatch.watchlists.pinyin import pinyin_key


def _list() -> Watchlist:
    return Watchlist(
        [
            WatchEntity("zeng", "Zeng Yuqun", "person", "people"),
            WatchEntity("changhong", "Sichuan Changhong Electric", "company", "firms", aliases=["Changhong"]),
            WatchEntity("lei", "Lei Jun", "person", "people"),
        ]
    )


def test_a_surname_is_read_as_a_surname() -> None:
    assert pinyin_key("曾毓群", person=True) == "zengyuqun"
    assert pinyin_key("曾经", person=False) == "cengjing"


def test_a_chinese_name_matches_its_pinyin_alias_with_the_feature_named() -> None:
    wl = _list()
    (m,) = wl.match("曾毓群", "PERSON")
    assert m.entity.id == "zeng" and m.features["pinyin"] == "zengyuqun" and m.score >= 0.9
    (c,) = wl.match("长虹", "ORG")  # read as a word: chang hong, not character by character zhang hong
    assert c.entity.id == "changhong" and c.features["pinyin"] == "changhong"


def test_pinyin_does_not_cross_types_or_invent_names() -> None:
    wl = _list()
    assert wl.match("曾毓群", "ORG") == []
    assert wl.match("雷霆", "PERSON") == []
    (m,) = wl.match("雷军", "PERSON")
    assert m.entity.id == "lei" and m.features["exact"]


def test_a_chinese_name_matches_its_pinyin_alias_on_an_imported_list(tmp_path) -> None:  # noqa: ANN001
    from newswatch.config import MatchSettings
    from newswatch.store import open_db
    from newswatch.watchlists.db import save_list

    db = open_db(tmp_path / "p.db")
    save_list(db, "people", list(_list().entities.values()), fmt="yaml", source_file="-")
    wl = Watchlist.from_db(db, MatchSettings())
    (m,) = wl.match("曾毓群", "PERSON")
    assert m.entity.id == "zeng" and m.features["pinyin"] == "zengyuqun"
    assert wl.match("曾毓群", "ORG") == []
