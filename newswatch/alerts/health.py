"""Source health: a source that yields nothing, or fails everything, is said out loud.

After each crawl run, every source that ran to its end is judged from its counts in
``crawl_run_sources`` (links found on its index pages, pages fetched, stored, failed, the last
error). A source that is broken for ``crawl.broken_after_runs`` runs in a row raises ONE alert of
its own kind (tie ``source_broken``, with the problem and the last error) through the same outbox
as every other alert; when it yields again, a thread reply on that alert says it recovered (and the
parent message is updated). The state per source lives in ``source_health``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..models import utcnow
from ..store import write_transaction
from .message import FALLBACK_LIMIT, HEADER_LIMIT, SECTION_LIMIT, escape_mrkdwn, plain_safe, truncate

HEALTH_TIE = "source_broken"
HEALTH_KIND = "source_health"  # payload["kind"] of a source-broken alert
HEALTH_SOURCE = "newswatch:source-health"  # alert_sources.source of a recovery reply


@dataclass
class Verdict:
    """One source in one run: healthy, or the problem in words."""

    source: str
    kind: str
    run_id: int
    found: int
    fetched: int
    stored: int
    failed: int
    problem: str | None

    @property
    def healthy(self) -> bool:
        return self.problem is None


def judge(row: dict[str, Any]) -> Verdict:
    """A ``crawl_run_sources`` row as a verdict. Broken: every request failed (nothing fetched),
    or the index pages gave no article link at all (a selector that stopped matching, an empty
    feed). A re-crawl that finds only stored links is healthy: the links were found."""
    found, fetched, failed = (int(row.get(c) or 0) for c in ("found", "fetched", "failed"))
    stored = int(row.get("new") or 0) + int(row.get("updated") or 0)
    last = row.get("last_error")
    problem = None
    if failed and not fetched:
        problem = f"every request failed ({failed} failed, nothing fetched); last error: {last or 'unknown'}"
    elif not found:
        problem = "no article links found on its index pages (a selector that stopped matching, an empty feed?)"
    return Verdict(row["source"], row.get("kind") or "", int(row["run_id"]), found, fetched, stored, failed, problem)


def evaluate_run(db: sqlite_utils.Database, run_id: int, broken_after: int) -> list[tuple[str, str]]:
    """Judge every source that finished in run ``run_id``; returns the changes as
    ``(source, "broken" | "recovered")``. One write transaction."""
    changes: list[tuple[str, str]] = []
    rows = [
        dict(r) for r in db.query("select * from crawl_run_sources where run_id = ? and status = 'finished'", [run_id])
    ]
    with write_transaction(db):
        for row in rows:
            v = judge(row)
            h = _health(db, v.source)
            now = utcnow()
            if not v.healthy:
                h["bad_runs"] = int(h.get("bad_runs") or 0) + 1
                h["last_error"] = v.problem
                if h.get("state") != "broken" and h["bad_runs"] >= broken_after:
                    h["alert_key"] = _raise_alert(db, v, h["bad_runs"], now)
                    h["state"], h["since"] = "broken", now
                    changes.append((v.source, "broken"))
            else:
                if h.get("state") == "broken" and h.get("alert_key"):
                    _add_recovery(db, h["alert_key"], v, now)
                    changes.append((v.source, "recovered"))
                h.update(state="ok", bad_runs=0, since=now if h.get("state") == "broken" else h.get("since"))
            h.update(source=v.source, kind=v.kind, last_run_id=run_id, updated_at=now)
            db.table("source_health").upsert(h, pk="source")
    return changes


def _health(db: sqlite_utils.Database, source: str) -> dict[str, Any]:
    rows = list(db.table("source_health").rows_where("source = ?", [source], limit=1))
    return dict(rows[0]) if rows else {"source": source, "state": "ok", "bad_runs": 0}


def _raise_alert(db: sqlite_utils.Database, v: Verdict, runs: int, now: str) -> str:
    key = f"source-broken-{v.source}-{v.run_id}"
    payload = {
        "kind": HEALTH_KIND,
        "source": v.source,
        "source_kind": v.kind,
        "problem": v.problem,
        "runs": runs,
        "run_id": v.run_id,
        "found": v.found,
        "fetched": v.fetched,
        "failed": v.failed,
        "since": now,
    }
    db.table("alerts").insert(
        {
            "key": key,
            "group_key": f"source-health:{v.source}",
            "status": "pending",
            "attempts": 0,
            "channel": None,
            "severity": "high",
            "entity": v.source,
            "tie": HEALTH_TIE,
            "reason": "source broken",
            "text": fallback_text(payload),
            "payload": json.dumps(payload, ensure_ascii=False),
            "sources": 1,
            "last_seen_at": now,
            "created_at": now,
            "updated_at": now,
        }
    )
    return key


def _add_recovery(db: sqlite_utils.Database, key: str, v: Verdict, now: str) -> None:
    db.table("alert_sources").insert(
        {
            "alert_key": key,
            "source": HEALTH_SOURCE,
            "title": f"{v.source} recovered",
            "evidence": f"run {v.run_id}: {v.found} links found, {v.fetched} fetched, {v.stored} stored, "
            f"{v.failed} failed",
            "published": now,
            "added_at": now,
            "reply_status": "pending",
            "attempts": 0,
        }
    )


def fallback_text(payload: dict[str, Any]) -> str:
    return truncate(
        plain_safe(f"Source broken: {payload['source']} ({payload['runs']} runs in a row): {payload['problem']}"),
        FALLBACK_LIMIT,
    )


def build_blocks(payload: dict[str, Any], recovered: bool) -> tuple[str, list[dict[str, Any]]]:
    """(text, blocks) of a source-broken alert; ``recovered`` once the recovery reply went out."""
    name = escape_mrkdwn(payload["source"])
    state = "recovered" if recovered else "broken"
    header = truncate(plain_safe(f"Source {state}: {payload['source']}"), HEADER_LIMIT)
    facts = (
        f"*Source:* {name} ({escape_mrkdwn(payload.get('source_kind') or '')})\n"
        f"*Problem:* {escape_mrkdwn(payload['problem'])}\n"
        f"*Runs in a row:* {payload['runs']} (last: run {payload['run_id']}, {payload['found']} links found, "
        f"{payload['fetched']} fetched, {payload['failed']} failed)"
    )
    context = (
        "Recovered: see the thread."
        if recovered
        else f"Check the source in sources.yaml: `newswatch crawl --source {name}` shows each request's fate."
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(facts, SECTION_LIMIT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
    ]
    return fallback_text(payload), blocks


def build_recovery_reply(src: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(text, blocks) of the thread reply: the source yields again."""
    line = f"Recovered: {escape_mrkdwn(src.get('title') or '')}; {escape_mrkdwn(src.get('evidence') or '')}"
    text = truncate(plain_safe(f"Recovered: {src.get('title') or ''}"), FALLBACK_LIMIT)
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": truncate(line, SECTION_LIMIT)}}]


def recovered(db: sqlite_utils.Database, key: str) -> bool:
    """Has the recovery reply of a source-broken alert been recorded?"""
    return (
        db.execute("select 1 from alert_sources where alert_key = ? and source = ?", [key, HEALTH_SOURCE]).fetchone()
        is not None
    )


def source_health(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every source's health row with the counts of its last judged run (metrics, the API)."""
    if not db.table("source_health").exists():
        return []
    return [
        dict(r)
        for r in db.query(
            "select h.*, coalesce(s.found, 0) as found, coalesce(s.fetched, 0) as fetched, "
            "coalesce(s.new, 0) + coalesce(s.updated, 0) as stored, coalesce(s.failed, 0) as failed "
            "from source_health h left join crawl_run_sources s on s.run_id = h.last_run_id and s.source = h.source "
            "order by h.source"
        )
    ]
