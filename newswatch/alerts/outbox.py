"""The outbox: alerts are written ``pending`` with their findings, then delivered here.

Exactly once across crashes: before posting, an alert is marked ``sending`` (committed); if
the process dies after Slack accepted the message but before ``sent`` was recorded, the next
run finds the alert still ``sending`` and asks Slack (message metadata carries the alert key)
whether it was posted, instead of posting again.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import sqlite_utils

from ..models import utcnow
from ..store import update_alert
from .message import build_blocks
from .sinks import DeliveryError, Sink

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def deliver_pending(db: sqlite_utils.Database, sink: Sink, *, keys: list[str] | None = None,
                    max_attempts: int = MAX_ATTEMPTS) -> DeliveryReport:
    """Deliver every ``pending`` (or interrupted ``sending``) alert through ``sink``."""
    report = DeliveryReport()
    where = "status in ('pending', 'sending')"
    params: list = []
    if keys is not None:
        if not keys:
            return report
        where += f" and key in ({', '.join('?' for _ in keys)})"
        params = list(keys)
    for row in list(db["alerts"].rows_where(where, params, order_by="id")):
        key = row["key"]
        payload = json.loads(row["payload"] or "{}")
        if row["status"] == "sending" and sink.marks_sent:
            try:
                found = sink.find_posted(channel=row["channel"], key=key, since=(row["claimed_at"] or 0) - 60)
            except DeliveryError as exc:
                update_alert(db, row["id"], last_error=str(exc))
                report.errors[key] = str(exc)
                continue
            if found:
                update_alert(db, row["id"], status="sent", slack_ts=found.ts, channel=found.channel,
                             sent_at=utcnow(), last_error=None)
                report.recovered.append(key)
                continue
        text, blocks = build_blocks({**payload, "key": key}, sources=payload.get("sources", 1))
        if not sink.marks_sent:
            sink.post(channel=row["channel"], text=text, blocks=blocks, key=key)
            report.printed.append(key)
            continue
        attempts = (row["attempts"] or 0) + 1
        update_alert(db, row["id"], status="sending", attempts=attempts, claimed_at=time.time())
        try:
            posted = sink.post(channel=row["channel"], text=text, blocks=blocks, key=key)
        except DeliveryError as exc:
            status = "failed" if attempts >= max_attempts else "pending"
            update_alert(db, row["id"], status=status, last_error=str(exc))
            log.warning("alert %s not delivered (attempt %d): %s", key, attempts, exc)
            report.errors[key] = str(exc)
            if status == "failed":
                report.failed.append(key)
            continue
        update_alert(db, row["id"], status="sent", slack_ts=posted.ts, channel=posted.channel,
                     sent_at=utcnow(), last_error=None)
        report.sent.append(key)
    return report
