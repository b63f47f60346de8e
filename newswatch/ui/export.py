"""An entity's record for a compliance file: its timeline (view ``entity_timeline``) as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import sqlite_utils

from ..errors import InputError

COLUMNS = [
    "subject",
    "role",
    "reported",
    "found_at",
    "entity",
    "tie",
    "reason",
    "evidence",
    "via",
    "confidence",
    "finding_source",
    "rule",
    "decision",
    "alert_key",
    "article_title",
    "article_url",
    "source",
    "finding_id",
]


def entity_timeline(db: sqlite_utils.Database, entity: str) -> list[dict[str, Any]]:
    """Every row of the entity's timeline, oldest first: the entity as named in a finding (any case)
    or its watchlist id. An entity with no finding is an error naming the closest names stored."""
    sql = f"select {', '.join(COLUMNS)} from entity_timeline where lower(subject) = lower(?) or subject_id = ?"
    rows = [dict(r) for r in db.query(sql + " order by reported, found_at, finding_id", [entity, entity])]
    if rows:
        return rows
    near = [
        r["entity"]
        for r in db.query(
            "select distinct entity from findings where lower(entity) like ? order by entity limit 5",
            [f"%{entity.casefold()}%"],
        )
    ]
    hint = f"; did you mean: {', '.join(near)}?" if near else ""
    raise InputError(f"no findings about {entity!r} in the store{hint}")


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_json(entity: str, rows: list[dict[str, Any]]) -> str:
    return json.dumps({"entity": entity, "findings": rows}, ensure_ascii=False, indent=2) + "\n"
