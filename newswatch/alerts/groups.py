"""Grouping: one alert per (entity, tie, reason) group; later articles become sources of it.

Called by the pipeline inside its write transaction, so the alert (or the new source) lands
together with the finding. A group whose last report is older than ``alerts.repeat_after``
alerts afresh (a new alert row, key ``<group>-<n>``); a group under a silence is stored with
status ``silenced`` and never posted.
"""

from __future__ import annotations

import time
from typing import Any

import sqlite_utils

from ..config import AlertSettings
from ..models import Decision, Finding, utcnow
from ..store import dumps
from .duration import from_iso, parse_duration
from .silences import matching_silence


def latest_in_group(db: sqlite_utils.Database, group: str) -> dict[str, Any] | None:
    rows = list(
        db.query("select * from alerts where group_key = ? or key = ? order by id desc limit 1", [group, group])
    )
    return rows[0] if rows else None


def record_alert(
    db: sqlite_utils.Database,
    *,
    group: str,
    finding: Finding,
    finding_id: int,
    decision: Decision,
    article_id: int,
    article: dict[str, Any],
    text: str,
    settings: AlertSettings,
    now: float | None = None,
) -> tuple[str, str]:
    """Add this finding to its group's alert. Returns (alert key, what happened): ``new``,
    ``new-silenced``, ``source-added``, ``source-silenced`` (no reply: a silence covers it), ``known``
    (this article already counted)."""
    t = time.time() if now is None else now
    stamp = utcnow()
    silence = matching_silence(
        db, entity=finding.entity, entity_id=finding.entity_id, tie=finding.tie, reason=finding.reason, now=t
    )
    latest = latest_in_group(db, group)
    if latest is not None:
        seen = from_iso(latest.get("last_seen_at") or latest.get("created_at")) or t
        stale = t - seen >= parse_duration(settings.repeat_after)
        lifted = latest["status"] == "silenced" and silence is None
        if not stale and not lifted:
            if list(
                db.table("alert_sources").rows_where("alert_key = ? and article_id = ?", [latest["key"], article_id])
            ):
                return latest["key"], "known"
            silenced = latest["status"] == "silenced" or silence is not None
            _add_source(
                db,
                latest["key"],
                finding,
                finding_id,
                article_id,
                article,
                stamp,
                "silenced" if silenced else "pending",
            )
            db.execute(
                "update alerts set sources = coalesce(sources, 1) + 1, last_seen_at = ?, updated_at = ? where id = ?",
                [stamp, stamp, latest["id"]],
            )
            return latest["key"], "source-silenced" if silenced else "source-added"
        n = db.execute("select count(*) from alerts where group_key = ? or key = ?", [group, group]).fetchone()[0]
        key = f"{group}-{n + 1}"
    else:
        key = group
    payload = {
        "entity": finding.entity,
        "tie": finding.tie,
        "reason": finding.reason,
        "evidence": finding.evidence,
        "via": finding.via,
        "confidence": finding.confidence,
        "severity": decision.severity,
        "mention": decision.mention,
        "url": article.get("url"),
        "title": article.get("title"),
        "published": article.get("published"),
        "as_written": finding.explain.get("as_written"),
        "language": article.get("language"),
        "rule": decision.rule,
        "why": decision.why,
        "entity_id": finding.entity_id,
        "entity_key": finding.entity_key,
        "trigger": finding.explain.get("trigger"),
    }
    db.table("alerts").insert(
        {
            "key": key,
            "group_key": group,
            "status": "silenced" if silence else "pending",
            "silence_id": silence["id"] if silence else None,
            "attempts": 0,
            "channel": decision.channel,
            "severity": decision.severity,
            "entity": finding.entity,
            "tie": finding.tie,
            "reason": finding.reason,
            "article_id": article_id,
            "finding_id": finding_id,
            "text": text,
            "payload": dumps(payload),
            "sources": 1,
            "last_seen_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    _add_source(db, key, finding, finding_id, article_id, article, stamp, "first")
    return key, "new-silenced" if silence else "new"


def _add_source(
    db: sqlite_utils.Database,
    key: str,
    finding: Finding,
    finding_id: int,
    article_id: int,
    article: dict[str, Any],
    stamp: str,
    status: str,
) -> None:
    db.table("alert_sources").insert(
        {
            "alert_key": key,
            "article_id": article_id,
            "finding_id": finding_id,
            "url": article.get("url"),
            "title": article.get("title"),
            "source": article.get("source"),
            "published": article.get("published"),
            "evidence": finding.evidence,
            "added_at": stamp,
            "reply_status": status,
            "attempts": 0,
        }
    )
