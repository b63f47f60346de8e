"""A re-imported list is news for the entities a team monitors: list changes as findings.

:func:`list_change_findings` turns the entries a re-import added or removed (``db.save_list``'s
``changes``) into findings about the *monitored* entities they name: an entity of a monitored list
newly on a sanctions list is a ``blacklist`` finding, one taken off it a ``delisting`` finding,
both from source ``watchlist``. The names are matched with the same matcher and threshold as
articles are (every name of the listed entry against the monitored entities). The rules and the
outbox then treat them as any other finding (``config/rules.yaml``: ``monitored-entity-listed``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from ..config import MatchSettings
from ..models import EntityType, Finding, Tie
from .db import ListChange
from .model import WatchEntity
from .watchlist import Watchlist

TIES: dict[str, Tie] = {"added": "blacklist", "removed": "delisting"}


def list_change_findings(
    changes: Iterable[ListChange],
    monitored: Iterable[WatchEntity],
    settings: MatchSettings,
    *,
    list_name: str,
    source_file: str,
) -> list[Finding]:
    """One finding per (monitored entity, change) for every added/removed entry naming it."""
    watch = Watchlist.from_settings([e for e in monitored if e.monitored], settings)
    if not len(watch):
        return []
    out: list[Finding] = []
    done: set[tuple[str, str]] = set()
    for c in changes:
        tie = TIES.get(c.change)
        if tie is None:
            continue
        listed = c.entity
        for name in listed.all_names():
            for m in watch.match(name, listed.label, from_ner=False):
                if m.features.get("type_agree") is False or (m.entity.id, tie) in done:
                    continue
                done.add((m.entity.id, tie))
                verb = "added to" if tie == "blacklist" else "removed from"
                reason = listed.reason or list_name
                out.append(
                    Finding(
                        entity=m.entity.name,
                        entity_type=cast(EntityType, m.entity.label),
                        tie=tie,
                        reason=reason,
                        evidence=f"{listed.name} was {verb} list {list_name} ({source_file}): {reason}",
                        confidence=min(1.0, m.score),
                        entity_id=m.entity.id,
                        source="watchlist",
                        explain={
                            "as_written": name,
                            "list": list_name,
                            "change": c.change,
                            "listed_entity": listed.id,
                            "listed_name": listed.name,
                            "alias": m.alias,
                            "score": round(m.score, 3),
                            "features": m.features,
                            "monitored": True,
                            "monitored_entities": [m.entity.id],
                        },
                    )
                )
    return out
