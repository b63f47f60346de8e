"""Triage: what the Acknowledge / False positive / Mute entity buttons do.

The service's Slack endpoint (:mod:`newswatch.service.slack`) verifies the signature and calls
:func:`apply_action`: a click is recorded in ``alert_actions`` (who, what, when); "False
positive" also stores ``feedback`` (lowers later alerts on the same entity + evidence pattern)
and "Mute entity" adds a silence. :func:`refresh` then rewrites the message with ``chat.update``
(in a background task, so Slack gets its answer well within its 3 seconds).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import sqlite_utils

from ..config import Settings
from ..models import utcnow
from ..store import open_db, write_transaction
from .feedback import record_false_positive
from .outbox import refresh_message
from .silences import active_silence, add_silence, silence_active
from .sinks import sink_from_settings

log = logging.getLogger(__name__)

ACTIONS = ("ack", "false_positive", "mute_entity")


def idempotency_key(action: str, key: str, user_id: str, action_ts: str) -> str:
    """One click as Slack sent it: action, alert, user and the click's ``action_ts`` (a replayed
    request carries the same ``action_ts``; a new click a new one)."""
    return hashlib.sha256(f"{action}|{key}|{user_id}|{action_ts}".encode()).hexdigest()[:32]


def apply_action(
    db_path: Path,
    settings: Settings,
    *,
    key: str,
    action: str,
    user_id: str,
    user_name: str,
    action_ts: str = "",
) -> dict[str, Any] | None:
    """Record one triage click; returns what was done, or None if the alert is unknown.

    Each action takes effect once: a replayed request (same ``action_ts``) and a second click of
    the same action on the same alert by the same user change nothing (``"duplicate": true`` and
    what the first did), so penalties and silences never stack. A mute whose silence has since
    ended or been removed may be clicked again."""
    db = open_db(db_path)
    try:
        rows = list(db.table("alerts").rows_where("key = ?", [key], limit=1))
        if not rows:
            return None
        alert = rows[0]
        payload = json.loads(alert["payload"] or "{}")
        idem = idempotency_key(action, key, user_id, action_ts)
        done: dict[str, Any] = {"key": key, "action": action}
        with write_transaction(db):  # the click, its feedback or silence: all or nothing
            prior = _prior_click(db, idem, key, action, user_id)
            if prior is not None:
                return {**done, **json.loads(prior["detail"] or "{}"), "duplicate": True, "first_at": prior["at"]}
            detail: dict[str, Any] = {}
            if action == "false_positive":
                detail["feedback_id"] = record_false_positive(db, alert, payload, user_id)
            elif action == "mute_entity":
                same = active_silence(db, alert["entity"])
                detail["silence_id"] = (
                    same["id"]
                    if same is not None
                    else add_silence(
                        db,
                        entity=alert["entity"],
                        duration=settings.alerts.mute_for,
                        why=f"muted from Slack by {user_name or user_id} (alert {key})",
                        created_by=f"slack:{user_id}",
                    )["id"]
                )
            db.table("alert_actions").insert(
                {
                    "alert_key": key,
                    "action": action,
                    "user_id": user_id,
                    "user_name": user_name,
                    "at": utcnow(),
                    "detail": json.dumps(detail),
                    "idem_key": idem,
                }
            )
        done.update(detail)
        return done
    finally:
        db.conn.close()


def _prior_click(db: sqlite_utils.Database, idem: str, key: str, action: str, user_id: str) -> dict[str, Any] | None:
    """The earlier click this one repeats (the same request, or the same action by the same user on
    the same alert whose effect is still in force), if any."""
    rows = list(db.table("alert_actions").rows_where("idem_key = ?", [idem], limit=1))
    if rows:
        return rows[0]
    for row in db.table("alert_actions").rows_where(
        "alert_key = ? and action = ? and user_id = ?", [key, action, user_id], order_by="id desc"
    ):
        if action != "mute_entity":
            return row
        silence_id = json.loads(row["detail"] or "{}").get("silence_id")
        if silence_id is not None and silence_active(db, int(silence_id)):
            return row
    return None


def refresh(db_path: Path, settings: Settings, key: str) -> None:
    """Rewrite an alert's Slack message after a click (``chat.update``): who did what, and when."""
    db = open_db(db_path)
    try:
        refresh_message(db, sink_from_settings(settings.slack, settings.alerts), key, settings.ui.base_url)
    finally:
        db.conn.close()
