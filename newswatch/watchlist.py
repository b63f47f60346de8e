"""Watchlists: the entities a risk team cares about, and resolving names in articles to them.

Names are normalized once (:func:`newswatch.watchlists.normalize.normalize_name`: NFKC, case fold,
transliteration, legal forms removed) and matched by :class:`newswatch.watchlists.matcher.NameIndex`.
Importers for real list formats and the DB tables live in :mod:`newswatch.watchlists`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .config import MatchSettings, Strict, read_yaml, validate
from .errors import ConfigError
from .nlp.annotate import WatchName
from .watchlists.matcher import Match, NameIndex, SpanInfo, TextHit, common_word_zipf
from .watchlists.model import WatchEntity
from .watchlists.normalize import normalize_name

__all__ = ["Watchlist", "WatchEntity", "MatchSettings", "normalize_name", "load_watchlist_yaml", "Match"]

log = logging.getLogger(__name__)


class Role(Strict):
    title: str
    of: str


class EntityEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    aliases: list[str] = []
    type: str = "company"
    reason: str | None = None
    country: str | None = None
    role: Role | None = None


class WatchlistFile(Strict):
    name: str
    monitored: bool = False  # a monitored-entities list: the team's own portfolio or suppliers
    entities: list[EntityEntry] = []


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
    ) -> None:
        ents = list(entities)
        self.entities: dict[str, WatchEntity] = {}
        for e in ents:
            self.entities.setdefault(e.id, e)
        self.index = NameIndex(
            self.entities.values(), threshold=threshold, common_word_zipf=common_word_zipf, max_postings=max_postings
        )

    @classmethod
    def from_settings(cls, entities: Iterable[WatchEntity], settings: MatchSettings) -> Watchlist:
        return cls(
            entities,
            threshold=settings.threshold,
            common_word_zipf=settings.common_word_zipf,
            max_postings=settings.max_postings,
        )

    def get(self, entity_id: str | None) -> WatchEntity | None:
        return self.entities.get(entity_id) if entity_id else None

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
        return len(self.entities)


def load_watchlist_yaml(path: Path, list_name: str | None = None) -> list[WatchEntity]:
    """Read a plain YAML watchlist (see ``config/watchlist.yaml``); ``list_name`` overrides its name."""
    data = validate(WatchlistFile, read_yaml(path), path)
    for i, e in enumerate(data.entities):
        if e.type not in ("company", "person"):
            raise ConfigError(
                str(path),
                f"entities.{i}.type",
                f"'{e.type}' is not company or person",
                "use type: company or type: person",
            )
    return [
        WatchEntity(
            id=e.id,
            name=e.name,
            type=e.type,
            list_name=list_name or data.name,
            aliases=list(e.aliases),
            reason=e.reason,
            country=e.country,
            leads=e.role.of if e.role else None,
            monitored=data.monitored,
        )
        for e in data.entities
    ]
