"""Slack interactivity: the Acknowledge / False positive / Mute entity buttons.

:func:`slack_routes` gives the Starlette routes (``POST /slack/interactivity``) that the service
mounts. Every request must carry a valid Slack signature (``slack_sdk.signature.SignatureVerifier``
with the signing secret from the environment, 5-minute timestamp window); anything else gets 401
and changes nothing. A valid click is recorded in ``alert_actions`` (who, what, when);
"False positive" also stores ``feedback`` (lowers later alerts on the same entity + evidence
pattern) and "Mute entity" adds a silence. The message is then rewritten with ``chat.update``
in a background task, so Slack gets its answer well within its 3 seconds.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..config import Settings, find_config_dir, load_settings
from ..models import utcnow
from ..store import open_db, write_transaction
from .feedback import record_false_positive
from .outbox import refresh_message
from .silences import add_silence
from .sinks import sink_from_settings

log = logging.getLogger(__name__)

ACTIONS = ("ack", "false_positive", "mute_entity")
MAX_BODY = 1_000_000


def apply_action(
    db_path: Path, settings: Settings, *, key: str, action: str, user_id: str, user_name: str
) -> dict[str, Any] | None:
    """Record one triage click; returns what was done, or None if the alert is unknown."""
    db = open_db(db_path)
    try:
        rows = list(db["alerts"].rows_where("key = ?", [key], limit=1))
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
            db["alert_actions"].insert(
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


def _refresh(db_path: Path, settings: Settings, key: str) -> None:
    db = open_db(db_path)
    try:
        refresh_message(db, sink_from_settings(settings.slack, settings.alerts), key)
    finally:
        db.conn.close()


def slack_routes(config_dir: str | os.PathLike[str] | None, db_path: str | os.PathLike[str]) -> list[Route]:
    """Starlette routes for Slack interactivity (``POST /slack/interactivity``)."""
    settings = load_settings(find_config_dir(config_dir))
    path = Path(db_path)

    async def interactivity(request: Request) -> Response:
        secret = os.environ.get(settings.alerts.signing_secret_env)
        if not secret:
            log.error("Slack interactivity refused: %s is not set", settings.alerts.signing_secret_env)
            return PlainTextResponse("signing secret not configured", status_code=401)
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("request too large", status_code=413)
        if not SignatureVerifier(secret).is_valid_request(body, dict(request.headers)):
            log.warning("Slack interactivity: bad signature or stale timestamp from %s", request.client)
            return PlainTextResponse("invalid signature", status_code=401)
        try:
            payload = json.loads(parse_qs(body.decode("utf-8"))["payload"][0])
            act = payload["actions"][0]
            action, key = act["action_id"], act["value"]
            user = payload.get("user") or {}
            user_id = str(user.get("id") or "")
            user_name = str(user.get("username") or user.get("name") or user_id)
        except (KeyError, IndexError, ValueError, TypeError, UnicodeDecodeError):
            return PlainTextResponse("not a block_actions payload", status_code=400)
        if action not in ACTIONS:
            return PlainTextResponse(f"unknown action {action!r}", status_code=400)
        done = await run_in_threadpool(
            apply_action, path, settings, key=key, action=action, user_id=user_id, user_name=user_name
        )
        if done is None:
            return JSONResponse({"response_type": "ephemeral", "text": "This alert is not in the database."})
        return JSONResponse({"ok": True, **done}, background=BackgroundTask(_refresh, path, settings, key))

    return [Route("/slack/interactivity", interactivity, methods=["POST"])]
