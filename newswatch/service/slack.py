"""Slack's endpoints: the slash command ``/newswatch ingest <url>`` and the triage buttons
(``POST /slack/interactivity``), and the answer to a slash command once its page is done.

Both routes are signed by Slack, not by the bearer token: :func:`verified_body` checks the
signature (``slack_sdk.signature.SignatureVerifier``, 5-minute timestamp window) with the secret
named by the one setting ``slack.signing_secret_env``, read at each request. Anything unsigned,
forged or stale gets 401 and changes nothing. What a click does is triage logic:
:func:`newswatch.alerts.interactive.apply_action`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..alerts.interactive import ACTIONS, apply_action, refresh
from ..alerts.message import VIEW_RECORD, escape_mrkdwn
from ..config import Settings
from .app import ServiceState, error
from .routes import service_of, submit_url

log = logging.getLogger(__name__)


def signing_secret(settings: Settings) -> str | None:
    """The Slack signing secret from the environment variable ``slack.signing_secret_env`` names."""
    return os.environ.get(settings.slack.signing_secret_env) or None


async def verified_body(request: Request, settings: Settings) -> tuple[bytes | None, Response | None]:
    """The request body if Slack signed it, else the refusal to send back (and no body)."""
    secret = signing_secret(settings)
    if not secret:
        log.error("Slack request refused: %s is not set", settings.slack.signing_secret_env)
        return None, error(
            503 if request.url.path == "/slack/commands" else 401, f"{settings.slack.signing_secret_env} is not set"
        )
    body = await request.body()  # bounded by the app's BodyLimit before it gets here
    try:
        valid = SignatureVerifier(secret).is_valid_request(body, dict(request.headers))
    except (ValueError, TypeError, UnicodeError):  # a timestamp that is no number, say
        valid = False
    if not valid:
        log.warning("Slack request: bad signature or stale timestamp from %s", request.client)
        return None, error(401, "invalid Slack signature")
    return body, None


async def slack_command(request: Request) -> Response:
    """Slack slash command ``/newswatch ingest <url>`` (Slack-signed; no bearer token).
    ---
    summary: Slack slash command
    security: []
    responses:
      200: {description: Slack message JSON (ephemeral acknowledgement or usage help)}
      401: {description: Bad or missing Slack signature}
    """
    state = service_of(request)
    raw, refused = await verified_body(request, state.settings)
    if raw is None:
        return refused or error(401, "invalid Slack signature")
    ingest = state.ingest
    if ingest is None:
        return error(503, "on-demand ingestion is not running in this service")
    form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    text = (form.get("text") or "").strip()
    m = re.fullmatch(r"ingest\s+<?([^\s|>]+)(?:\|[^>]*)?>?", text)
    if not m:
        return JSONResponse({"response_type": "ephemeral", "text": "Usage: `/newswatch ingest <url>`"})
    channel = form.get("channel_id") or ""
    status, out = await run_in_threadpool(submit_url, ingest, m.group(1), f"slack:{channel}")
    if status >= 400:
        return JSONResponse({"response_type": "ephemeral", "text": f"Not queued: {out['error']}"})
    if out["duplicate"]:
        done = ingest.get(out["id"])
        if done and done["state"] == "done" and channel:
            ingest.notify({**done, "origin": f"slack:{channel}"})
    return JSONResponse(
        {
            "response_type": "ephemeral",
            "text": f"Queued {m.group(1)} as request {out['id']}; the result will be posted here.",
        }
    )


async def interactivity(request: Request) -> Response:
    """Slack triage buttons: Acknowledge, False positive, Mute entity (Slack-signed; no bearer token).
    ---
    summary: Slack interactivity
    security: []
    responses:
      200: {description: "{ok, key, action, ...} or an ephemeral message"}
      401: {description: Bad or missing Slack signature}
    """
    state = service_of(request)
    body, refused = await verified_body(request, state.settings)
    if body is None:
        return refused or error(401, "invalid Slack signature")
    try:
        payload = json.loads(parse_qs(body.decode("utf-8"))["payload"][0])
        act = payload["actions"][0]
        action, key = act["action_id"], act["value"]
        action_ts = str(act.get("action_ts") or hashlib.sha256(body).hexdigest())  # a replay: the same
        user = payload.get("user") or {}
        if not isinstance(action, str) or not isinstance(key, str) or not isinstance(user, dict):
            raise TypeError("action_id, value and user have the wrong types")
        user_id = str(user.get("id") or "")
        user_name = str(user.get("username") or user.get("name") or user_id)
    except (KeyError, IndexError, ValueError, TypeError, UnicodeDecodeError, RecursionError, AttributeError):
        return PlainTextResponse("not a block_actions payload", status_code=400)
    if action == VIEW_RECORD:  # a link button: Slack opened the record; nothing to record
        return JSONResponse({"ok": True, "key": key, "action": action})
    if action not in ACTIONS:
        return PlainTextResponse(f"unknown action {action!r}", status_code=400)
    done = await run_in_threadpool(
        apply_action,
        state.db_path,
        state.settings,
        key=key,
        action=action,
        user_id=user_id,
        user_name=user_name,
        action_ts=action_ts,
    )
    if done is None:
        return JSONResponse({"response_type": "ephemeral", "text": "This alert is not in the database."})
    if done.get("duplicate"):
        text = f"Already recorded: {action.replace('_', ' ')} on this alert ({done['first_at']}); nothing changed."
        return JSONResponse({"ok": True, "response_type": "ephemeral", "text": text, **done})
    return JSONResponse({"ok": True, **done}, background=BackgroundTask(refresh, state.db_path, state.settings, key))


class SlackNotifier:
    """Posts the outcome of an ingest request asked for by the slash command into its channel."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state

    def __call__(self, row: dict[str, Any]) -> None:
        channel = row["origin"].split(":", 1)[1]
        factory = self.state.slack_client_factory
        client = factory() if factory else None
        if client is None or not channel:
            log.warning("ingest request %s done but no Slack client to report to channel %r", row["id"], channel)
            return
        client.chat_postMessage(channel=channel, text=slack_summary(row), unfurl_links=False, unfurl_media=False)


def slack_summary(row: dict[str, Any]) -> str:
    """One mrkdwn message about a finished ingest request (scraped text escaped)."""
    url = escape_mrkdwn(row["url"])
    if row["state"] != "done":
        return f"newswatch could not ingest {url}: {escape_mrkdwn(row.get('error') or row['state'])}"
    result = row.get("result") or {}
    title = escape_mrkdwn((result.get("article") or {}).get("title") or row["url"])
    findings = result.get("findings") or []
    lines = [f"newswatch ingested *{title}* ({url}): {len(findings)} finding(s)"]
    for f in findings[:10]:
        lines.append(f"• {escape_mrkdwn(f['entity'])} — {escape_mrkdwn(f['tie'])}: {escape_mrkdwn(f['reason'])}")
    return "\n".join(lines)


ROUTES: list[BaseRoute] = [
    Route("/slack/commands", slack_command, methods=["POST"]),
    Route("/slack/interactivity", interactivity, methods=["POST"]),
]
