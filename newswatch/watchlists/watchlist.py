"""The watched entities of one process and their name index: bundled YAML lists plus the lists
imported into the database.

Names are normalized once (:func:`.normalize.normalize_name`: NFKC, case fold, transliteration,
legal forms removed) and matched by :class:`.matcher.NameIndex`; the resolve stage
(:mod:`.resolve`) asks this class, never the index directly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import sqlite_utils

from ..config import MatchSettings
from ..models import WatchName
from .db import backfill_names
from .matcher import Match, NameIndex, SpanInfo, TextHit, common_word_zipf
from .model import WatchEntity
from .normalize import normalize_name
from .stored import StoredNames

log = logging.getLogger(__name__)


class Watchlist:
    """All watched entities (bundled YAML lists plus imported lists) and their name index.

    :meth:`resolve` / :meth:`match` score one name, :meth:`find_in_text` runs the gazetteer over a
    whole text (see :mod:`newswatch.watchlists.matcher` for the features and the common-word rule).
    """

    RULER_MAX_NAMES = 5000

    def __init__(
        self,
        entities: Iterable[WatchEntity],
        *,
        threshold: float = 0.85,
        common_word_zipf: float = 3.5,
        max_postings: int = 256,
        store: StoredNames | None = None,
    ) -> None:
        ents = list(entities)
        self.entities: dict[str, WatchEntity] = {}
        for e in ents:
            self.entities.setdefault(e.id, e)
        self.store = store
        self.index = NameIndex(
            self.entities.values(),
            threshold=threshold,
            common_word_zipf=common_word_zipf,
            max_postings=max_postings,
            store=store,
        )

    @classmethod
    def from_settings(
        cls, entities: Iterable[WatchEntity], settings: MatchSettings, store: StoredNames | None = None
    ) -> Watchlist:
        return cls(
            entities,
            threshold=settings.threshold,
            common_word_zipf=settings.common_word_zipf,
            max_postings=settings.max_postings,
            store=store,
        )

    @classmethod
    def from_db(
        cls, db: sqlite_utils.Database, settings: MatchSettings, bundled: Iterable[WatchEntity] = ()
    ) -> Watchlist:
        """The bundled lists in memory plus every list imported into ``db``, read from the index
        stored at import (:mod:`.stored`): nothing of the imported lists is read at start-up."""
        backfill_names(db)
        return cls.from_settings(bundled, settings, store=StoredNames(db))

    def attach(self, db: sqlite_utils.Database) -> bool:
        """Read the stored lists through ``db`` from now on; False when ``db`` is another file than
        the one these lists were opened from (open it with :meth:`from_db` instead)."""
        return self.store is None or self.store.attach(db)

    def get(self, entity_id: str | None) -> WatchEntity | None:
        if not entity_id:
            return None
        e = self.entities.get(entity_id)
        if e is None and self.store is not None:
            e = self.store.entity(entity_id)
        return e

    def match(self, text: str, label: str | None = None, *, from_ner: bool = True, limit: int = 5) -> list[Match]:
        """Entities ``text`` may name, best first, each with score and features (threshold applied)."""
        return self.index.match(text, label, from_ner=from_ner, limit=limit)

    def resolve(self, text: str, label: str) -> WatchEntity | None:
        """The watched entity ``text`` names, if one scores above the threshold with the same type."""
        for m in self.match(text, label):
            if m.features.get("type_agree") is not False:
                return m.entity
        return None

    def find_in_text(self, text: str, spans: Sequence[SpanInfo] = ()) -> list[TextHit]:
        """Gazetteer pass: every listed name in ``text`` (NER ``spans`` corroborate common words)."""
        return self.index.gazetteer(text, spans)

    def is_monitored(self, entity_id: str | None) -> bool:
        e = self.get(entity_id)
        return bool(e and e.monitored)

    def watch_names(self) -> list[WatchName]:
        """Names (with aliases) for the NER ruler: small lists only (large ones use the gazetteer),
        and never a common-word or short single-token alias (the matcher's rule decides those)."""
        out = []
        for e in self.entities.values():
            for alias in e.all_names():
                key = normalize_name(alias)
                if " " not in key and (
                    len(key) < 4 and alias.upper() != alias or common_word_zipf(key) >= self.index.common_zipf
                ):
                    continue
                out.append(WatchName(alias, e.label, e.id))
        if len(out) > self.RULER_MAX_NAMES:
            log.info("%d watchlist names: too many for the NER ruler; the gazetteer finds them", len(out))
            return []
        return out

    def __len__(self) -> int:
        stored = int(self.store.db.execute("select count(*) from watch_entities").fetchone()[0]) if self.store else 0
        return len(self.entities) + stored
