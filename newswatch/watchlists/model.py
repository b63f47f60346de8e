"""The watched entity as every importer produces it and every matcher reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EntityKind = Literal["company", "person"]


@dataclass
class WatchEntity:
    """One listed company or person: its list, its reason/program, its aliases and its type.

    ``monitored`` marks the team's own portfolio/suppliers (a monitored-entities list).
    ``leads`` is the id of the company a person leads (Lei Jun -> xiaomi).
    ``weak_aliases`` (FtM ``weakAlias``, the quoted name inside an organisation's name) match only
    exactly and only with corroboration (see :mod:`.matcher`).
    """

    id: str
    name: str
    type: str  # company | person
    list_name: str
    aliases: list[str] = field(default_factory=list)
    reason: str | None = None
    country: str | None = None
    leads: str | None = None
    monitored: bool = False
    weak_aliases: list[str] = field(default_factory=list)
    # (alias, weak, normalized key, parts) per indexed name, as stored at import (see db.py); the
    # index uses them instead of analysing every name again at start-up
    analysed: list[tuple[str, bool, str, tuple[Any, ...]]] | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """The NER label this entity type corresponds to."""
        return "PERSON" if self.type == "person" else "ORG"

    def all_names(self) -> list[str]:
        """Primary name then aliases, duplicates (exact) removed."""
        seen: dict[str, None] = {}
        for n in [self.name, *self.aliases]:
            if n and n.strip():
                seen.setdefault(n.strip(), None)
        return list(seen)

    def row(self) -> dict[str, Any]:
        """Public JSON form (CLI output)."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "list": self.list_name,
            "reason": self.reason,
            "country": self.country,
            "aliases": self.aliases,
            "monitored": self.monitored,
            "leads": self.leads,
            "weak_aliases": self.weak_aliases,
        }
