"""Storage: one SQLite file through sqlite-utils. Knows tables, not stages.

Schema creation is idempotent (:func:`ensure_schema` runs on every open); WAL mode and a busy
timeout let a crawl, an on-demand ingest and the outbox share the file. Writers use
:func:`write_transaction` (``BEGIN IMMEDIATE``) so a transaction never fails half-way on a lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from .migrations import migrate
from .models import utcnow

DEFAULT_DB = "newswatch.db"
BUSY_TIMEOUT_MS = 60_000

SCHEMA: dict[str, dict[str, Any]] = {
    "articles": {
        "columns": {
            "id": int,
            "url": str,
            "canonical_url": str,
            "source": str,
            "source_kind": str,
            "fetched_at": str,
            "http_status": int,
            "content_type": str,
            "content_hash": str,
            "title": str,
            "published": str,
            "author": str,
            "language": str,
            "text": str,
            "error": str,
            "processed_at": str,
            "nlp": str,  # JSON: what the full NLP pipeline read and why (parsed all | windows | none)
        },
        "pk": "id",
        "not_null": {"url", "canonical_url", "fetched_at"},
        "indexes": [(["canonical_url"], True), (["content_hash"], False)],
    },
    "mentions": {
        "columns": {
            "id": int,
            "article_id": int,
            "text": str,
            "label": str,
            "start": int,
            "end": int,
            "entity_id": str,
            "sentence": str,
        },
        "pk": "id",
        "foreign_keys": [("article_id", "articles", "id")],
        "indexes": [(["article_id"], False), (["entity_id"], False)],
    },
    "findings": {
        "columns": {
            "id": int,
            "article_id": int,
            "entity": str,
            "entity_id": str,
            "entity_type": str,
            "tie": str,
            "reason": str,
            "evidence": str,
            "via": str,
            "confidence": float,
            "source": str,
            "explain": str,
            "alert_key": str,
            "rule": str,
            "decision": str,
            "created_at": str,
            "alert_id": int,  # follows alert_key (triggers of newswatch.migrations)
        },
        "pk": "id",
        "foreign_keys": [("article_id", "articles", "id")],
        "indexes": [(["article_id"], False), (["alert_key"], False), (["entity_id"], False)],
    },
    "alerts": {
        "columns": {
            "id": int,
            "key": str,
            "status": str,
            "attempts": int,
            "last_error": str,
            "channel": str,
            "slack_ts": str,
            "severity": str,
            "entity": str,
            "tie": str,
            "reason": str,
            "article_id": int,
            "finding_id": int,
            "text": str,
            "payload": str,
            "created_at": str,
            "updated_at": str,
            "sent_at": str,
            "next_attempt_at": str,
            "claimed_at": str,
            # alerts: grouping, silences, retry deadline
            "group_key": str,
            "sources": int,
            "last_seen_at": str,
            "silence_id": int,
            "first_attempt_at": str,
            "claimed_by": str,
            "verify_first": int,  # an earlier post may have arrived: look for it before posting
        },
        "pk": "id",
        "foreign_keys": [("article_id", "articles", "id")],
        "indexes": [(["key"], True), (["status"], False), (["group_key"], False)],
    },
    # --- alerts: one row per article that reported an alert's group ----------------------
    "alert_sources": {
        "columns": {
            "id": int,
            "alert_key": str,
            "article_id": int,
            "finding_id": int,
            "url": str,
            "title": str,
            "source": str,
            "published": str,
            "evidence": str,
            "added_at": str,
            "reply_status": str,
            "reply_ts": str,
            "attempts": int,
            "last_error": str,
            "claimed_at": str,
            "first_attempt_at": str,
            "next_attempt_at": str,
            "claimed_by": str,
            "verify_first": int,
            "alert_id": int,
        },
        "pk": "id",
        "indexes": [(["alert_key", "article_id"], True), (["reply_status"], False)],
    },
    "silences": {
        "columns": {
            "id": int,
            "entity": str,
            "tie": str,
            "reason": str,
            "why": str,
            "created_by": str,
            "created_at": str,
            "expires_at": str,
            "removed_at": str,
        },
        "pk": "id",
    },
    "alert_actions": {
        "columns": {
            "id": int,
            "alert_key": str,
            "action": str,
            "user_id": str,
            "user_name": str,
            "at": str,
            "detail": str,
            "idem_key": str,  # one click as Slack sent it (alerts.interactive.idempotency_key)
            "alert_id": int,
        },
        "pk": "id",
        "indexes": [(["alert_key"], False), (["idem_key"], True)],
    },
    "feedback": {
        "columns": {
            "id": int,
            "entity_key": str,
            "entity": str,
            "tie": str,
            "pattern": str,
            "reason": str,
            "alert_key": str,
            "user_id": str,
            "created_at": str,
            "alert_id": int,
        },
        "pk": "id",
        "indexes": [(["entity_key"], False)],
    },
    # -- service: ingest requests, locks -----------------------------------------------------------
    "service_locks": {  # newswatch.service.lock: one row per held lock, lease renewed by heartbeat
        "columns": {
            "name": str,
            "holder": str,
            "pid": int,
            "host": str,
            "started": str,
            "acquired_at": str,
            "heartbeat_at": str,
            "expires_at": str,
        },
        "pk": "name",
    },
    "ingest_requests": {  # newswatch.service: URLs queued through POST /ingest or the Slack command
        "columns": {
            "id": int,
            "url": str,
            "state": str,
            "origin": str,
            "created_at": str,
            "created_ts": str,  # ISO 8601 UTC with microseconds (compared in SQL)
            "started_at": str,
            "finished_at": str,
            "article_id": int,
            "error": str,
            "result": str,
            "owner": str,  # the worker (host:pid:start:thread) running it, newswatch.procs.Owner
            "lease_until": str,  # ISO 8601 UTC: a running request past this is taken back
            "attempts": int,
        },
        "pk": "id",
        "indexes": [(["url", "created_ts"], False), (["state"], False), (["origin", "state"], False)],
    },
    # -- crawler: runs, per-source counts, URL fates -----------------------------------------------
    "crawl_runs": {
        "columns": {
            "id": int,
            "started_at": str,
            "ended_at": str,
            "status": str,
            "sources": str,
            "pid": int,
            "error": str,
            "stats": str,
        },
        "pk": "id",
        "indexes": [(["status"], False)],
    },
    "crawl_run_sources": {
        "columns": {
            "id": int,
            "run_id": int,
            "source": str,
            "kind": str,
            "status": str,
            "fetched": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "failed": int,
            "skipped": int,
            "alerts": int,
            "finish_reason": str,
            # source health: article links its index pages gave, the last error booked
            "found": int,
            "last_error": str,
        },
        "pk": "id",
        "foreign_keys": [("run_id", "crawl_runs", "id")],
        "indexes": [(["run_id", "source"], True)],
    },
    # per source: broken or ok, bad runs in a row, the alert raised (newswatch/alerts/health.py)
    "source_health": {
        "columns": {
            "source": str,
            "kind": str,
            "state": str,
            "bad_runs": int,
            "last_error": str,
            "alert_key": str,
            "since": str,
            "last_run_id": int,
            "updated_at": str,
        },
        "pk": "source",
    },
    "crawl_urls": {
        "columns": {
            "id": int,
            "canonical_url": str,
            "url": str,
            "source": str,
            "status": str,
            "reason": str,
            "http_status": int,
            "attempts": int,
            "article_id": int,
            "run_id": int,
            "first_seen": str,
            "last_seen": str,
        },
        "pk": "id",
        "not_null": {"canonical_url"},
        "indexes": [(["canonical_url"], True), (["status"], False)],
    },
    # Watchlists: imported lists and their entities; see newswatch/watchlists/db.py.
    "watchlists": {
        "columns": {
            "name": str,
            "format": str,
            "source_file": str,
            "imported_at": str,
            "count": int,
            "skipped": int,
            "monitored": int,
        },
        "pk": "name",
    },
    "watch_entities": {
        "columns": {
            "id": str,
            "list": str,
            "name": str,
            "type": str,
            "reason": str,
            "country": str,
            "aliases": str,
            "monitored": int,
            "leads": str,
        },
        "pk": "id",
        "not_null": {"list", "name", "type"},
        "indexes": [(["list"], False)],
    },
}


def db_path(explicit: str | os.PathLike[str] | None = None, default: str = DEFAULT_DB) -> Path:
    """The database file: ``--db``, else ``NEWSWATCH_DB``, else ``default``."""
    return Path(explicit or os.environ.get("NEWSWATCH_DB") or default)


def open_db(path: str | os.PathLike[str]) -> sqlite_utils.Database:
    """Open (creating if needed) the database, switch on WAL and create the schema."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    _enable_wal(db)
    ensure_schema(db)
    return db


def _enable_wal(db: sqlite_utils.Database) -> None:
    """Switch a new file to WAL, waiting up to the busy timeout for other processes opening it.

    The switch needs the file to itself and SQLite answers "database is locked" at once rather than
    calling the busy handler; a file already in WAL mode (every open but the first) is only read.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.enable_wal()  # reads the journal mode first: done if another process switched it
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables, columns and indexes, then apply the migrations the file lacks
    (:mod:`newswatch.migrations`: keys, search, timestamps, views); never drops a row.

    A complete schema is only read. Otherwise what is missing is looked up again and created inside
    one ``BEGIN IMMEDIATE`` transaction: processes opening a new file at once (a crawl, the outbox,
    an ingest) wait their turn instead of failing with "database is locked" (a lone ``CREATE`` reads
    the schema, then needs the write lock, and in WAL mode that upgrade fails at once if another
    process wrote in between: the busy timeout does not cover it).
    """
    if not _schema_missing(db):
        migrate(db)  # only reads the version when the file is up to date
        return
    with write_transaction(db):
        for kind, name, detail in _schema_missing(db):  # again, now that no one else can write
            spec, table = SCHEMA[name], db.table(name)
            if kind == "table":
                table.create(
                    spec["columns"], pk=spec["pk"], not_null=spec.get("not_null"), foreign_keys=spec.get("foreign_keys")
                )
            elif kind == "column":
                table.add_column(detail, spec["columns"][detail])
            else:
                cols, unique = detail
                table.create_index(cols, unique=unique)
    migrate(db)


def _schema_missing(db: sqlite_utils.Database) -> list[tuple[str, str, Any]]:
    """What :data:`SCHEMA` has and the file lacks, in creation order: ``("table", name, None)``,
    ``("column", name, column)``, ``("index", name, (columns, unique))``."""
    missing: list[tuple[str, str, Any]] = []
    for name, spec in SCHEMA.items():
        table = db.table(name)
        indexed: set[tuple[str, ...]] = set()
        if not table.exists():
            missing.append(("table", name, None))
        else:
            have = set(table.columns_dict)
            missing += [("column", name, col) for col in spec["columns"] if col not in have]
            indexed = {tuple(ix.columns) for ix in table.indexes}
        missing += [
            ("index", name, (cols, unique)) for cols, unique in spec.get("indexes", []) if tuple(cols) not in indexed
        ]
    return missing


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: takes the write lock up front (waiting up to the busy
    timeout), so either everything inside lands or nothing does."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.execute("COMMIT")


def article_by_canonical(db: sqlite_utils.Database, canonical_url: str) -> dict[str, Any] | None:
    rows = list(db.table("articles").rows_where("canonical_url = ?", [canonical_url], limit=1))
    return rows[0] if rows else None


def alert_by_key(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    rows = list(db.table("alerts").rows_where("key = ?", [key], limit=1))
    return rows[0] if rows else None


def update_alert(db: sqlite_utils.Database, alert_id: int, **fields: Any) -> None:
    """Update an alert row, stamping ``updated_at``."""
    fields["updated_at"] = utcnow()
    db.table("alerts").update(alert_id, fields)


def table_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows per table (``init-db`` prints it)."""
    return {t: db.table(t).count for t in db.table_names()}


def database_file(db: sqlite_utils.Database) -> str:
    """The file a connection is on (as SQLite resolved it)."""
    return str(db.conn.execute("pragma database_list").fetchone()[2])


def metric_counts(db: sqlite_utils.Database) -> dict[str, Any]:
    """Row counts the service's metrics expose: articles (and extraction failures), failed crawl
    URLs, findings, alerts by status, ingest requests by state."""
    crawl_failed = 0
    if db.table("crawl_urls").exists() and "status" in db.table("crawl_urls").columns_dict:
        crawl_failed = db.execute("select count(*) from crawl_urls where status = 'failed'").fetchone()[0]
    return {
        "articles": db.table("articles").count,
        "extract_failed": db.execute("select count(*) from articles where error is not null").fetchone()[0],
        "crawl_failed": crawl_failed,
        "findings": db.table("findings").count,
        "alerts": dict(db.execute("select status, count(*) from alerts group by status").fetchall()),
        "ingest": dict(db.execute("select state, count(*) from ingest_requests group by state").fetchall()),
    }


def operating_metrics(db: sqlite_utils.Database) -> dict[str, Any]:
    """What running the daily job needs (Prometheus conventions in ``service/metrics.py``): pages
    by source and outcome summed over all runs (only grows), the last successful crawl's end and
    duration, the oldest pending alert's creation time, notifications sent (alerts and replies)."""
    pages = [
        dict(r)
        for r in db.query(
            "select source, sum(fetched) fetched, sum(new) new, sum(updated) updated, sum(unchanged) unchanged, "
            "sum(failed) failed, sum(skipped) skipped from crawl_run_sources group by source order by source"
        )
    ]
    last = db.execute(
        "select started_at, ended_at from crawl_runs where status = 'finished' and ended_at is not null "
        "order by id desc limit 1"
    ).fetchone()
    oldest = db.execute("select min(created_at) from alerts where status in ('pending', 'sending')").fetchone()[0]
    sent = db.execute("select count(*) from alerts where status = 'sent'").fetchone()[0]
    replies = db.execute("select count(*) from alert_sources where reply_status = 'sent'").fetchone()[0]
    return {
        "pages": pages,
        "last_crawl": {"started_at": last[0], "ended_at": last[1]} if last else None,
        "oldest_pending_at": oldest,
        "sent": {"alert": sent, "reply": replies},
    }


HEALTH_TIMEOUT = 2.0  # seconds the health check waits on the database before it says "degraded"
MIN_FREE_BYTES = 50_000_000  # less free disk than this beside the database: "degraded"


def health_check(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Can the database be read and written now? On its own short-timeout connection (it never
    queues behind a writer waiting on a lock): ``ok``, ``problems`` (empty when ok), the article
    count and the last crawl run. A write lock held by another process longer than
    :data:`HEALTH_TIMEOUT`, a failing read or a nearly full disk are problems."""
    out: dict[str, Any] = {"ok": True, "problems": [], "articles": None, "last_crawl": None}
    try:
        conn = sqlite3.connect(os.fspath(path), timeout=HEALTH_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        return {**out, "ok": False, "problems": [f"cannot open the database: {exc}"]}
    try:
        conn.row_factory = sqlite3.Row
        out["articles"] = conn.execute("select count(*) from articles").fetchone()[0]
        if conn.execute("select 1 from sqlite_master where name = 'crawl_runs'").fetchone():
            row = conn.execute("select * from crawl_runs order by id desc limit 1").fetchone()
            out["last_crawl"] = dict(row) if row else None
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            out["problems"].append(f"database cannot be written: {exc}")
    except sqlite3.Error as exc:
        out["problems"].append(f"database cannot be read: {exc}")
    finally:
        conn.close()
    try:
        free = shutil.disk_usage(Path(path).resolve().parent).free
        if free < MIN_FREE_BYTES:
            out["problems"].append(f"disk nearly full: {free // 1_000_000} MB free beside the database")
    except OSError as exc:
        out["problems"].append(f"cannot check free disk space: {exc}")
    out["ok"] = not out["problems"]
    return out


def dumps(obj: Any) -> str:
    """JSON for a TEXT column (UTF-8 kept readable)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)
