"""Triage: what the Acknowledge / False positive / Mute entity buttons do.

The service's Slack endpoint (:mod:`newswatch.service.slack`) verifies the signature and calls
:func:`apply_action`: a click is recorded in ``alert_actions`` (who, what, when); "False
positive" also stores ``feedback`` (lowers later alerts on the same entity + evidence pattern)
and "Mute entity" adds a silence. :func:`refresh` then rewrites the message with ``chat.update``
(in a background task, so Slack gets its answer well within its 3 seconds).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..config import Settings
from ..models import utcnow
from ..store import open_db, write_transaction
from .feedback import record_false_positive
from .outbox import refresh_message
from .silences import add_silence
from .sinks import sink_from_settings

log = logging.getLogger(__name__)

ACTIONS = ("ack", "false_positive", "mute_entity")


def apply_action(
    db_path: Path, settings: Settings, *, key: str, action: str, user_id: str, user_name: str
) -> dict[str, Any] | None:
    """Record one triage click; returns what was done, or None if the alert is unknown."""
    db = open_db(db_path)
    try:
        rows = list(db.table("alerts").rows_where("key = ?", [key], limit=1))
        if not rows:
            return None
        alert = rows[0]
        payload = json.loads(alert["payload"] or "{}")
        done: dict[str, Any] = {"key": key, "action": action}
        with write_transaction(db):  # the click, its feedback or silence: all or nothing
            detail: dict[str, Any] = {}
            if action == "false_positive":
                detail["feedback_id"] = record_false_positive(db, alert, payload, user_id)
            elif action == "mute_entity":
                detail["silence_id"] = add_silence(
                    db,
                    entity=alert["entity"],
                    duration=settings.alerts.mute_for,
                    why=f"muted from Slack by {user_name or user_id} (alert {key})",
                    created_by=f"slack:{user_id}",
                )["id"]
            db.table("alert_actions").insert(
                {
                    "alert_key": key,
                    "action": action,
                    "user_id": user_id,
                    "user_name": user_name,
                    "at": utcnow(),
                    "detail": json.dumps(detail),
                }
            )
        done.update(detail)
        return done
    finally:
        db.conn.close()


def refresh(db_path: Path, settings: Settings, key: str) -> None:
    """Rewrite an alert's Slack message after a click (``chat.update``): who did what, and when."""
    db = open_db(db_path)
    try:
        refresh_message(db, sink_from_settings(settings.slack, settings.alerts), key)
    finally:
        db.conn.close()
