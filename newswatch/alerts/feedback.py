"""False-positive feedback: a triager's "False positive" is stored (table ``feedback``) and
lowers the confidence of later findings about the same entity with the same evidence pattern
(:func:`newswatch.alerts.rules.evidence_pattern`) by ``alerts.false_positive_penalty`` each,
before the rules decide; the decision's ``why`` names the feedback row."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ..models import utcnow
from .rules import Penalty


def record_false_positive(
    db: sqlite_utils.Database, alert: dict[str, Any], payload: dict[str, Any], user_id: str
) -> int:
    """Store feedback for an alert row (with its parsed payload); returns the feedback id."""
    tie = alert["tie"]
    trig = str(payload.get("trigger") or "").casefold().strip()
    pattern = f"{tie}:trigger:{trig}" if trig else f"{tie}:reason:{' '.join(alert['reason'].casefold().split())}"
    entity_key = payload.get("entity_key") or (
        payload.get("entity_id") or f"name:{' '.join(alert['entity'].casefold().split())}"
    )
    return int(
        db.table("feedback")
        .insert(
            {
                "entity_key": entity_key,
                "entity": alert["entity"],
                "tie": tie,
                "pattern": pattern,
                "reason": alert["reason"],
                "alert_key": alert["key"],
                "user_id": user_id,
                "created_at": utcnow(),
            }
        )
        .last_pk
        or 0
    )


def load_penalties(db: sqlite_utils.Database, amount: float) -> list[Penalty]:
    """Every stored false positive as a confidence penalty."""
    if not db.table("feedback").exists() or amount <= 0:
        return []
    return [
        Penalty(feedback_id=r["id"], entity_key=r["entity_key"], tie=r["tie"], pattern=r["pattern"], amount=amount)
        for r in db.table("feedback").rows_where(order_by="id")
    ]
