"""Where alerts go: Slack through the real ``slack_sdk`` client, or the terminal."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Protocol

import click
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from ..config import SlackSettings

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A sink could not deliver; the alert stays in the outbox with this message."""


@dataclass
class Posted:
    channel: str
    ts: str


class Sink(Protocol):
    name: str
    marks_sent: bool

    def post(self, *, channel: str | None, text: str, blocks: list[dict[str, Any]], key: str) -> Posted | None:
        ...

    def find_posted(self, *, channel: str | None, key: str, since: float) -> Posted | None:
        ...


class SlackSink:
    """Posts with ``chat.postMessage``; retries 429 (Retry-After), 5xx and connection errors.

    Each message carries the alert key in Slack message metadata, so after a crash between
    posting and recording, :meth:`find_posted` can tell whether the post happened.
    """

    name = "slack"
    marks_sent = True

    def __init__(self, client: WebClient, default_channel: str) -> None:
        self.client = client
        self.default_channel = default_channel

    @classmethod
    def from_env(cls, settings: SlackSettings, env: dict[str, str] | None = None) -> SlackSink | None:
        """A Slack sink when the token variable is set, else None."""
        env = dict(os.environ) if env is None else env
        token = env.get(settings.token_env)
        if not token:
            return None
        base_url = env.get(settings.base_url_env) or WebClient.BASE_URL
        if not base_url.endswith("/"):
            base_url += "/"
        client = WebClient(token=token, base_url=base_url, timeout=int(settings.timeout_seconds),
                           retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                           RateLimitErrorRetryHandler(max_retry_count=3),
                                           ServerErrorRetryHandler(max_retry_count=2)])
        return cls(client, env.get(settings.channel_env) or settings.default_channel)

    def post(self, *, channel: str | None, text: str, blocks: list[dict[str, Any]], key: str) -> Posted:
        ch = channel or self.default_channel
        try:
            resp = self.client.chat_postMessage(
                channel=ch, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False,
                metadata={"event_type": "newswatch_alert", "event_payload": {"key": key}})
        except SlackApiError as exc:
            raise DeliveryError(f"Slack API error: {exc.response.get('error') or exc}") from None
        except Exception as exc:  # connection refused, timeout after retries, bad JSON
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}: {exc}") from None
        return Posted(channel=resp.get("channel") or ch, ts=resp["ts"])

    def find_posted(self, *, channel: str | None, key: str, since: float) -> Posted | None:
        """Look in the channel history for a message carrying ``key`` in its metadata."""
        ch = channel or self.default_channel
        try:
            resp = self.client.conversations_history(channel=ch, oldest=str(since), include_all_metadata=True,
                                                     limit=200)
        except Exception as exc:
            raise DeliveryError(f"cannot check Slack history: {exc}") from None
        for msg in resp.get("messages", []):
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == "newswatch_alert" and (meta.get("event_payload") or {}).get("key") == key:
                return Posted(channel=ch, ts=msg["ts"])
        return None


class TerminalSink:
    """Prints alerts; they stay ``pending`` so a later run with a Slack token still sends them."""

    name = "terminal"
    marks_sent = False

    def post(self, *, channel: str | None, text: str, blocks: list[dict[str, Any]], key: str) -> None:
        click.echo(f"[alert pending, no Slack token] {text}", err=True)
        for b in blocks:
            if b["type"] == "section":
                for line in b["text"]["text"].splitlines():
                    click.echo(f"    {line}", err=True)
        return None

    def find_posted(self, *, channel: str | None, key: str, since: float) -> Posted | None:
        return None
