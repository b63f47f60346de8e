"""Where alerts go: Slack (bot token + channel, through the real ``slack_sdk`` client), a Slack
incoming webhook, a JSON-lines file, or the terminal.

Every sink has the same small surface (:class:`Sink`): ``check`` (can it deliver at all? the
token, before a batch), ``post`` (optionally into a thread), ``find_posted`` (was a message with
this key already delivered? used after a crash) and ``update`` (rewrite an earlier message).
Failures are raised as :class:`DeliveryError`, classified: *permanent* (a bad token, a channel that
does not exist or the bot is not in, a message Slack refuses: retrying cannot help) or
*unreachable* (the host refused, did not resolve or did not answer: the rest of the batch would
only wait for the same timeout). The outbox keeps the alert with the error; nothing is dropped
silently.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import urllib.error
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import click
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from ..config import AlertSettings, SlackSettings
from ..errors import ConfigError
from ..models import utcnow

log = logging.getLogger(__name__)

METADATA_TYPE = "newswatch_alert"
MAX_HISTORY_PAGES = 50  # 200 messages a page
MAX_CHANNEL_PAGES = 20  # conversations.list: 1,000 channels a page

# Slack errors no retry can cure, by what they doom: every call with this token, every post to
# this channel, or this one message.
TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
MESSAGE_ERRORS = frozenset({"invalid_blocks", "msg_too_long", "invalid_blocks_format", "no_text"})
FIX = {
    "token": "check the bot token (SLACK_BOT_TOKEN: OAuth & Permissions, Bot User OAuth Token)",
    "channel": "check the channel name or ID and invite the bot to it (/invite @newswatch)",
    "message": "the message was refused as built; see the error and `newswatch alerts retry KEY` after a fix",
}
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{5,}")  # Slack conversation IDs; names are lowercase


def permanent_kind(code: str | None) -> str | None:
    """``token``, ``channel`` or ``message`` for a Slack error code no retry can cure, else None."""
    if code in TOKEN_ERRORS:
        return "token"
    if code in CHANNEL_ERRORS:
        return "channel"
    if code in MESSAGE_ERRORS:
        return "message"
    return None


class DeliveryError(Exception):
    """A sink could not deliver; the alert stays in the outbox with this message.

    ``uncertain``: the message may have arrived all the same (a 5xx, a timeout or a connection lost
    after the request went out), so it must not simply be posted again: the outbox looks for it
    first (or, for a sink that cannot look, says so and stops).
    ``permanent``: ``token`` / ``channel`` / ``message`` when retrying cannot help (the alert fails
    at once with the reason); ``unreachable``: the host refused, did not resolve or did not answer
    in time, so the batch stops instead of paying that again per alert."""

    def __init__(
        self, message: str, *, uncertain: bool = False, permanent: str | None = None, unreachable: bool = False
    ) -> None:
        super().__init__(message)
        self.uncertain = uncertain
        self.permanent = permanent
        self.unreachable = unreachable


@dataclass
class Posted:
    channel: str
    ts: str


class Sink(Protocol):
    name: str
    marks_sent: bool  # False: printed only, the alert stays pending for a real sink
    can_verify: bool  # True: find_posted can tell whether an interrupted post happened
    threads: bool  # True: replies can go into the alert's thread

    def check(self) -> str | None:
        """Can this sink deliver at all (Slack: ``auth.test``)? What it checked, or None if there
        is nothing to check; raises :class:`DeliveryError` (permanent or unreachable) if not."""
        ...

    def post(
        self, *, channel: str | None, text: str, blocks: list[dict[str, Any]], key: str, thread_ts: str | None = None
    ) -> Posted | None: ...

    def find_posted(
        self, *, channel: str | None, key: str, since: float, thread_ts: str | None = None
    ) -> Posted | None: ...

    def update(self, *, channel: str | None, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...


class ServerError5xxRetryHandler(ServerErrorRetryHandler):
    """slack-sdk's server-error handler retries 500 and 503 only; Slack's edge also answers 502/504."""

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        return response is not None and 500 <= response.status_code <= 599


def never_sent(error: BaseException | None) -> bool:
    """Does this error prove the request never reached the server (refused, or no address)? Only
    then may a post be sent again blindly."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ConnectionRefusedError | socket.gaierror):
            return True
        reason = getattr(error, "reason", None)
        error = reason if isinstance(reason, BaseException) else (error.__cause__ or error.__context__)
    return False


def unreachable(error: BaseException | None) -> bool:
    """Is this the host not taking or not answering requests (refused, no address, a timeout, a
    failure while connecting or sending) rather than one connection lost after the request went
    out? Then the next request would only meet the same wall."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ConnectionRefusedError | socket.gaierror | TimeoutError | urllib.error.URLError):
            return True
        reason = getattr(error, "reason", None)
        error = reason if isinstance(reason, BaseException) else (error.__cause__ or error.__context__)
    return False


class RefusedConnectionRetryHandler(ConnectionErrorRetryHandler):
    """Retries a connection error only when nothing was sent (refused, DNS): safe for a post."""

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        return never_sent(error) and super()._can_retry(state=state, request=request, response=response, error=error)


def retry_handlers(count: int) -> list[RetryHandler]:
    """Retry handlers for reads and edits (idempotent): 429 (sleeps Retry-After), 5xx and connection
    errors, ``count`` each."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=count),
        RateLimitErrorRetryHandler(max_retry_count=count),
        ServerError5xxRetryHandler(max_retry_count=count),
    ]


def post_retry_handlers(count: int) -> list[RetryHandler]:
    """Retry handlers for a post, which is not idempotent: only where the post surely did not
    arrive (429: Slack refused it; a refused connection). A 5xx or a lost answer is not retried
    here; the outbox looks for the message before it posts again."""
    return [
        RefusedConnectionRetryHandler(max_retry_count=count),
        RateLimitErrorRetryHandler(max_retry_count=count),
    ]


def _post_error(what: str, exc: Exception) -> DeliveryError:
    """A failed post as a :class:`DeliveryError`, uncertain unless it surely never arrived,
    classified permanent or unreachable where it is."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = exc.response.get("error")
        kind = permanent_kind(code) if status < 500 else None
        msg = f"{what} error: HTTP {status} {code or exc}"
        if kind:
            msg += f" (permanent: {FIX[kind]})"
        return DeliveryError(msg, uncertain=status >= 500, permanent=kind)
    return DeliveryError(
        f"{what} unreachable: {type(exc).__name__}: {exc}", uncertain=not never_sent(exc), unreachable=unreachable(exc)
    )


def _meta(key: str) -> dict[str, Any]:
    return {"event_type": METADATA_TYPE, "event_payload": {"key": key}}


def _key_of(msg: dict[str, Any]) -> str | None:
    meta = msg.get("metadata") or {}
    if meta.get("event_type") != METADATA_TYPE:
        return None
    return (meta.get("event_payload") or {}).get("key")


class SlackSink:
    """Posts with ``chat.postMessage``, retried in the call only where it surely did not arrive
    (429 after Retry-After, a refused connection); reads history and edits messages with retries
    for 429, 5xx and connection errors too (those calls are idempotent).

    Each message carries the alert key in Slack message metadata, so after a crash between
    posting and recording, or an answer lost after Slack took the post, :meth:`find_posted` can
    tell whether the post happened.
    """

    name = "slack"
    marks_sent = True
    can_verify = True
    threads = True

    def __init__(self, client: WebClient, default_channel: str, reader: WebClient | None = None) -> None:
        self.client = client  # posts
        self.reader = reader or client  # history and updates
        self.default_channel = default_channel
        self._ids: dict[str, str] = {}  # channel name (without '#') -> conversation ID
        self._listed = False  # conversations.list read (once per sink)

    def check(self) -> str:
        """``auth.test`` with the token, once, no retry for a connection error: a wrong token or an
        unreachable Slack is said before any alert is tried."""
        probe = WebClient(
            token=self.client.token,
            base_url=self.client.base_url,
            timeout=self.client.timeout,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
        )
        try:
            resp = probe.auth_test()
        except SlackApiError as exc:
            code = exc.response.get("error") or str(exc)
            kind = permanent_kind(code) or ("token" if exc.response.status_code in (401, 403) else None)
            raise DeliveryError(
                f"Slack auth.test: {code}" + (f" (permanent: {FIX[kind]})" if kind else ""), permanent=kind
            ) from None
        except Exception as exc:
            raise DeliveryError(
                f"Slack unreachable (auth.test): {type(exc).__name__}: {exc}", unreachable=unreachable(exc)
            ) from None
        return f"Slack token ok (team {resp.get('team') or resp.get('team_id')}, bot {resp.get('user_id')})"

    def channel_id(self, channel: str | None) -> str:
        """The conversation ID for a channel given by name (``#risk-alerts``) or ID: names are looked
        up once with ``conversations.list`` (history, replies and updates take IDs only). A name no
        channel visible to the bot has is a permanent ``channel_not_found``."""
        ch = channel or self.default_channel
        if CHANNEL_ID.fullmatch(ch):
            return ch
        name = ch.lstrip("#")
        if name in self._ids:
            return self._ids[name]
        if not self._listed:
            self._list_channels()
        if name in self._ids:
            return self._ids[name]
        raise DeliveryError(
            f"Slack API error: channel_not_found (no channel named #{name} visible to the bot) "
            f"(permanent: {FIX['channel']})",
            permanent="channel",
        )

    def _list_channels(self) -> None:
        cursor: str | None = None
        for _ in range(MAX_CHANNEL_PAGES):
            try:
                resp = self.reader.conversations_list(
                    types="public_channel,private_channel", exclude_archived=True, limit=1000, cursor=cursor
                )
            except SlackApiError as exc:
                code = exc.response.get("error")
                kind = permanent_kind(code)
                if kind == "token":
                    raise _post_error("Slack API", exc) from None
                # e.g. missing_scope (channels:read): names stay unresolved until a post tells us the ID
                log.warning("Slack conversations.list: %s; channel names resolve from post answers only", code)
                self._listed = True
                return
            except Exception as exc:
                raise _post_error("Slack", exc) from None
            for conv in resp.get("channels") or []:
                if conv.get("name") and conv.get("id"):
                    self._ids.setdefault(conv["name"], conv["id"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        self._listed = True

    def _resolve_or_name(self, channel: str | None) -> str:
        """For a post: the ID if the name resolves; the name itself if it could not be listed
        (chat.postMessage takes names, and its answer gives the ID)."""
        ch = channel or self.default_channel
        try:
            return self.channel_id(ch)
        except DeliveryError:
            if self._listed and not self._ids:  # listing was not allowed: let Slack judge the name
                return ch
            raise

    @classmethod
    def from_env(cls, settings: SlackSettings, env: dict[str, str] | None = None, retries: int = 3) -> SlackSink | None:
        """A Slack sink when the token variable is set, else None."""
        env = dict(os.environ) if env is None else env
        token = env.get(settings.token_env)
        if not token:
            return None
        base_url = env.get(settings.base_url_env) or WebClient.BASE_URL
        if not base_url.endswith("/"):
            base_url += "/"

        def client(handlers: list[RetryHandler]) -> WebClient:
            return WebClient(
                token=token, base_url=base_url, timeout=int(settings.timeout_seconds), retry_handlers=handlers
            )

        return cls(
            client(post_retry_handlers(retries)),
            env.get(settings.channel_env) or settings.default_channel,
            reader=client(retry_handlers(retries)),
        )

    def post(
        self, *, channel: str | None, text: str, blocks: list[dict[str, Any]], key: str, thread_ts: str | None = None
    ) -> Posted:
        ch = self._resolve_or_name(channel)
        try:
            resp = self.client.chat_postMessage(
                channel=ch,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
                thread_ts=thread_ts,
                metadata=_meta(key),
            )
        except Exception as exc:  # an API error, refused, timed out, answer lost, bad JSON
            raise _post_error("Slack API" if isinstance(exc, SlackApiError) else "Slack", exc) from None
        posted = Posted(channel=resp.get("channel") or ch, ts=resp["ts"])
        if not CHANNEL_ID.fullmatch(ch) and CHANNEL_ID.fullmatch(posted.channel):
            self._ids[ch.lstrip("#")] = posted.channel
        return posted

    def find_posted(
        self, *, channel: str | None, key: str, since: float, thread_ts: str | None = None
    ) -> Posted | None:
        """Look in the channel history (or the thread) for a message carrying ``key`` in its metadata."""
        ch = self.channel_id(channel)
        cursor: str | None = None
        for _ in range(MAX_HISTORY_PAGES):
            try:
                if thread_ts:
                    resp = self.reader.conversations_replies(
                        channel=ch, ts=thread_ts, include_all_metadata=True, limit=200, cursor=cursor
                    )
                else:
                    resp = self.reader.conversations_history(
                        channel=ch, oldest=str(since), include_all_metadata=True, limit=200, cursor=cursor
                    )
            except Exception as exc:
                raise DeliveryError(f"cannot check Slack history: {exc}") from None
            msg: dict[str, Any]
            for msg in resp.get("messages", []):
                if _key_of(msg) == key:
                    return Posted(channel=ch, ts=msg["ts"])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not resp.get("has_more") or not cursor:
                return None
        raise DeliveryError(
            f"cannot check Slack history: more than {MAX_HISTORY_PAGES * 200} messages since the "
            "interrupted post; left for the next run"
        )

    def update(self, *, channel: str | None, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        ch = self.channel_id(channel)
        try:
            self.reader.chat_update(channel=ch, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            raise DeliveryError(f"Slack API error on update: {exc.response.get('error') or exc}") from None
        except Exception as exc:
            raise DeliveryError(f"Slack unreachable on update: {type(exc).__name__}: {exc}") from None


class WebhookSink:
    """A Slack incoming webhook (``slack_sdk.webhook.WebhookClient``): posts only.

    A webhook cannot read history, so a post that may have arrived (interrupted, a 5xx, an answer
    lost) cannot be verified: the outbox marks it ``failed`` ("unknown whether delivered") instead
    of risking a double post, and retries in the call only where the post surely did not arrive
    (429, a refused connection). Replies go out as new messages ("also reported by ...") since a
    webhook has no thread ts.
    """

    name = "webhook"
    marks_sent = True
    can_verify = False
    threads = False

    def __init__(self, url: str, retries: int = 3, timeout: int = 10) -> None:
        self.client = WebhookClient(url, timeout=timeout, retry_handlers=post_retry_handlers(retries))

    def check(self) -> None:
        return None  # a webhook has no call that checks it without posting

    def post(
        self, *, channel: str | None, text: str, blocks: list[dict[str, Any]], key: str, thread_ts: str | None = None
    ) -> Posted:
        try:
            resp = self.client.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
        except Exception as exc:
            raise _post_error("webhook", exc) from None
        if resp.status_code != 200:
            # 4xx other than 429 (retried in the call): invalid_token, no_service, channel_not_found,
            # channel_is_archived, invalid_payload... none gets better by trying again
            code = (resp.body or "").strip()[:200]
            kind = None
            if 400 <= resp.status_code < 500 and resp.status_code != 429:
                kind = "token" if code in ("invalid_token", "no_service", "no_team", "team_disabled") else "message"
                if code in ("channel_not_found", "channel_is_archived", "action_prohibited"):
                    kind = "channel"
            raise DeliveryError(
                f"webhook error: HTTP {resp.status_code} {code}" + (f" (permanent: {FIX[kind]})" if kind else ""),
                uncertain=resp.status_code >= 500,
                permanent=kind,
            )
        return Posted(channel="webhook", ts="")

    def find_posted(
        self, *, channel: str | None, key: str, since: float, thread_ts: str | None = None
    ) -> Posted | None:
        return None

    def update(self, *, channel: str | None, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        return None  # a webhook message cannot be edited


class JsonlSink:
    """Appends one JSON object per alert to a file (flushed and fsynced). ``find_posted`` reads
    the file back, so a crash between writing and recording never writes twice."""

    name = "jsonl"
    marks_sent = True
    can_verify = True
    threads = True

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def check(self) -> str:
        parent = self.path.parent
        if not (parent.is_dir() or not parent.exists()) or (parent.is_dir() and not os.access(parent, os.W_OK)):
            raise DeliveryError(f"{self.path}: cannot write here (permanent)", permanent="token")
        return f"writing to {self.path}"

    def _write(self, obj: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise DeliveryError(f"{self.path}: cannot write: {exc}") from None

    def post(
        self, *, channel: str | None, text: str, blocks: list[dict[str, Any]], key: str, thread_ts: str | None = None
    ) -> Posted:
        ts = key
        self._write(
            {
                "type": "alert" if not thread_ts else "reply",
                "key": key,
                "ts": ts,
                "thread_ts": thread_ts,
                "channel": channel,
                "text": text,
                "blocks": blocks,
                "at": utcnow(),
            }
        )
        return Posted(channel=channel or "jsonl", ts=ts)

    def find_posted(
        self, *, channel: str | None, key: str, since: float, thread_ts: str | None = None
    ) -> Posted | None:
        if not self.path.exists():
            return None
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue  # a torn last line from a crash
                if obj.get("key") == key and obj.get("type") in ("alert", "reply"):
                    return Posted(channel=obj.get("channel") or "jsonl", ts=obj["ts"])
        return None

    def update(self, *, channel: str | None, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._write({"type": "update", "ts": ts, "channel": channel, "text": text, "blocks": blocks, "at": utcnow()})


class TerminalSink:
    """Prints alerts as plain text (source title, URL, published date, evidence; no mrkdwn); they
    stay ``pending`` so a later run with a Slack token still sends them."""

    name = "terminal"
    marks_sent = False
    can_verify = False
    threads = False

    def check(self) -> None:
        return None

    def post(
        self, *, channel: str | None, text: str, blocks: list[dict[str, Any]], key: str, thread_ts: str | None = None
    ) -> None:
        # an alert comes as plain text (alerts/plain.py, no blocks): nothing escaped for Slack
        click.echo(text.replace("[pending]", "[alert pending, no Slack token]", 1), err=True)
        for b in blocks:  # anything else (the digest): its sections' text
            if b["type"] == "section":
                for line in b["text"]["text"].splitlines():
                    click.echo(f"    {line}", err=True)
        return None

    def find_posted(
        self, *, channel: str | None, key: str, since: float, thread_ts: str | None = None
    ) -> Posted | None:
        return None

    def update(self, *, channel: str | None, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        return None


def sink_from_settings(slack: SlackSettings, alerts: AlertSettings, env: dict[str, str] | None = None) -> Sink:
    """The sink the settings and environment ask for.

    ``auto``: Slack bot token -> Slack; else webhook URL -> webhook; else JSON-lines path ->
    file; else terminal. An explicit choice whose credentials are missing is a config error.
    """
    env = dict(os.environ) if env is None else env
    kind = alerts.sink
    jsonl = env.get("NEWSWATCH_ALERTS_JSONL") or alerts.jsonl_path
    if kind in ("auto", "slack"):
        sink = SlackSink.from_env(slack, env, retries=alerts.http_retries)
        if sink:
            return sink
        if kind == "slack":
            raise ConfigError(
                "settings.yaml",
                "alerts.sink",
                f"'slack' needs the {slack.token_env} variable",
                f"export {slack.token_env}=xoxb-...",
            )
    if kind in ("auto", "webhook"):
        url = env.get(alerts.webhook_env)
        if url:
            return WebhookSink(url, retries=alerts.http_retries, timeout=int(slack.timeout_seconds))
        if kind == "webhook":
            raise ConfigError(
                "settings.yaml",
                "alerts.sink",
                f"'webhook' needs the {alerts.webhook_env} variable",
                f"export {alerts.webhook_env}=https://hooks.slack.com/services/...",
            )
    if kind in ("auto", "jsonl"):
        if jsonl:
            return JsonlSink(jsonl)
        if kind == "jsonl":
            raise ConfigError(
                "settings.yaml",
                "alerts.jsonl_path",
                "'jsonl' sink needs a file",
                "set alerts.jsonl_path or NEWSWATCH_ALERTS_JSONL",
            )
    return TerminalSink()
