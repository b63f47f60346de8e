"""The digest: one summary of a period's alerts, by severity."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ..models import utcnow
from .message import SECTION_LIMIT, escape_mrkdwn, truncate

SEVERITIES = ("critical", "high", "medium", "low")


def collect_digest(db: sqlite_utils.Database, *, since: str) -> dict[str, Any]:
    """Alerts created at or after ``since`` (ISO), grouped by severity, with status counts."""
    rows = [
        dict(r)
        for r in db.query(
            "select key, entity, tie, reason, severity, status, coalesce(sources, 1) as sources, created_at "
            "from alerts where created_at >= ? order by created_at",
            [since],
        )
    ]
    by: dict[str, list[dict[str, Any]]] = {s: [] for s in SEVERITIES}
    for r in rows:
        by.setdefault(r["severity"] or "medium", []).append(r)
    status: dict[str, int] = {}
    for r in rows:
        status[r["status"]] = status.get(r["status"], 0) + 1
    return {
        "since": since,
        "until": utcnow(),
        "total": len(rows),
        "by_status": status,
        "by_severity": {k: v for k, v in by.items() if v},
    }


def build_digest(data: dict[str, Any], period: str) -> tuple[str, list[dict[str, Any]], str]:
    """(fallback text, Block Kit blocks, plain text) for a digest. Page-derived strings are escaped."""
    head = f"newswatch digest: {data['total']} alerts in the last {period}"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(data["by_status"].items())) or "none"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(head, 150)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape_mrkdwn(f"by status: {counts}")}]},
    ]
    plain = [head, f"by status: {counts}"]
    for sev, rows in data["by_severity"].items():
        lines = [
            f"• {escape_mrkdwn(r['entity'])} — {r['tie']} — {escape_mrkdwn(r['reason'])} ({r['status']}"
            + (f", {r['sources']} sources" if r["sources"] > 1 else "")
            + ")"
            for r in rows
        ]
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(f"*{sev.upper()}* ({len(rows)})\n" + "\n".join(lines), SECTION_LIMIT),
                },
            }
        )
        plain.append(f"{sev.upper()} ({len(rows)})")
        plain += [
            f"  - {r['entity']} | {r['tie']} | {r['reason']} | {r['status']} | sources {r['sources']}" for r in rows
        ]
    if not data["by_severity"]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "No alerts in this period."}})
        plain.append("no alerts in this period")
    return head, blocks[:50], "\n".join(plain)
