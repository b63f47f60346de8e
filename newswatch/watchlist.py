"""Watchlists: the entities a risk team cares about, and resolving names in articles to them.

Names are normalized once (:func:`normalize_name`: NFKC, case fold, transliteration and legal
forms removed via ``fingerprints``) and looked up in an alias index.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

import fingerprints
from pydantic import BaseModel, ConfigDict

from .config import Strict, read_yaml, validate
from .errors import ConfigError
from .nlp.annotate import WatchName
from .watchlists.model import WatchEntity


def normalize_name(name: str) -> str:
    """Normalized form used for all name comparison ("XIAOMI CORP." -> "xiaomi")."""
    text = unicodedata.normalize("NFKC", name)
    stripped = fingerprints.remove_types(text) or text
    return fingerprints.generate(stripped, keep_order=True) or ""


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
    """All watched entities, with a normalized-alias index."""

    def __init__(self, entities: Iterable[WatchEntity]) -> None:
        self.entities: dict[str, WatchEntity] = {}
        self._index: dict[tuple[str, str], str] = {}
        for e in entities:
            self.entities[e.id] = e
            for alias in [e.name, *e.aliases]:
                key = normalize_name(alias)
                if key:
                    self._index.setdefault((key, e.label), e.id)

    def get(self, entity_id: str | None) -> WatchEntity | None:
        return self.entities.get(entity_id) if entity_id else None

    def resolve(self, text: str, label: str) -> WatchEntity | None:
        """The watched entity ``text`` names, if its normalized form and type agree."""
        eid = self._index.get((normalize_name(text), label))
        return self.entities.get(eid) if eid else None

    def watch_names(self) -> list[WatchName]:
        """Names (with aliases) for the NER ruler."""
        out = []
        for e in self.entities.values():
            for alias in [e.name, *e.aliases]:
                out.append(WatchName(alias, e.label, e.id))
        return out

    def __len__(self) -> int:
        return len(self.entities)


def load_watchlist_yaml(path: Path, list_name: str | None = None) -> list[WatchEntity]:
    """Read a plain YAML watchlist (see ``config/watchlist.yaml``); ``list_name`` overrides its name."""
    data = validate(WatchlistFile, read_yaml(path), path)
    for i, e in enumerate(data.entities):
        if e.type not in ("company", "person"):
            raise ConfigError(str(path), f"entities.{i}.type", f"'{e.type}' is not company or person",
                              "use type: company or type: person")
    return [WatchEntity(id=e.id, name=e.name, type=e.type, list_name=list_name or data.name,
                        aliases=list(e.aliases), reason=e.reason, country=e.country,
                        leads=e.role.of if e.role else None, monitored=data.monitored)
            for e in data.entities]
