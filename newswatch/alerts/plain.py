"""Alerts as plain text for people at a terminal: nothing escaped for Slack, no mrkdwn.

Rendered from the alert's own fields (entity, tie, reason, severity, confidence, the source's
title, URL and published date, the evidence sentence), never from its Slack blocks.
"""

from __future__ import annotations

import textwrap
from typing import Any

from .message import LANGUAGE_NAMES, TIE_TITLES

WIDTH = 100


def plain_alert(alert: dict[str, Any], *, status: str = "pending", sources: int = 1) -> str:
    """Several lines: a headline, the facts, the source and the evidence quoted."""
    tie = alert.get("tie") or ""
    if alert.get("kind") == "source_health":
        return (
            f"[{status}] Source broken: {alert.get('source')} ({alert.get('runs')} runs in a row)\n"
            f"    problem: {alert.get('problem')}"
        )
    lines = [f"[{status}] {alert.get('entity')} {TIE_TITLES.get(tie, tie)}: {alert.get('reason')}"]
    facts = f"severity {alert.get('severity') or 'medium'}, confidence {float(alert.get('confidence') or 0):.2f}"
    if alert.get("via"):
        facts += f", via {alert['via']}"
    lines.append(f"    {facts}")
    written = alert.get("as_written")
    if written and " ".join(str(written).split()).casefold() != " ".join(str(alert.get("entity")).split()).casefold():
        lines.append(f"    as written: {written}")  # 小米集团 for Xiaomi Corporation
    if alert.get("language"):
        lang = str(alert["language"])
        name = LANGUAGE_NAMES.get(lang.split("-")[0].casefold())
        lines.append(f"    language: {f'{name} ({lang})' if name else lang}")
    title = alert.get("title") or "(no title)"
    lines.append(f"    source: {title}")
    if alert.get("url"):
        lines.append(f"            {alert['url']}")
    if alert.get("published"):
        lines.append(f"    published: {alert['published']}")
    if sources > 1:
        lines.append(f"    reported by {sources} sources")
    if alert.get("evidence"):
        quoted = textwrap.wrap(f"“{alert['evidence']}”", WIDTH - 8, break_long_words=False, break_on_hyphens=False) or [
            ""
        ]
        lines.append("    evidence: " + quoted[0])
        lines += ["              " + q for q in quoted[1:]]
    return "\n".join(lines)
