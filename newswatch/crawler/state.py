"""Crawl bookkeeping in the database: runs, per-source counts, and every URL seen with its fate.

``crawl_urls`` is what makes a crawl incremental and safe to kill: a URL whose article was stored
is never fetched again; anything not stored (killed mid-way, failed) is fetched on the next run.
"""

from __future__ import annotations

import json
import logging
import queue
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlite_utils

from ..errors import InputError
from ..models import IngestResult, utcnow
from ..procs import pid_alive
from ..store import write_transaction
from ..urls import canonicalize

log = logging.getLogger(__name__)

COUNTS = ("fetched", "new", "updated", "unchanged", "failed", "skipped", "alerts", "found")


@dataclass
class SourceCounts:
    source: str
    kind: str
    status: str = "running"
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    alerts: int = 0
    found: int = 0  # article links the source's index pages gave (stored ones included)
    finish_reason: str | None = None
    last_error: str | None = None

    @property
    def all_failed(self) -> bool:
        """Every request of this source failed: nothing fetched."""
        return self.failed > 0 and self.fetched == 0


@dataclass
class CrawlRun:
    """One crawl: when, how it ended, and what each source fetched."""

    id: int
    started_at: str
    ended_at: str | None
    status: str  # running | finished | stopped | failed | interrupted
    sources: list[SourceCounts] = field(default_factory=list)
    error: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)  # pages, seconds per stage, peak memory
    health: list[tuple[str, str]] = field(default_factory=list)  # (source, broken|recovered) this run

    def totals(self) -> dict[str, int]:
        return {c: sum(getattr(s, c) for s in self.sources) for c in COUNTS}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "status": self.status,
            "error": self.error,
            "sources": [asdict(s) for s in self.sources],
            "totals": self.totals(),
            "stats": self.stats,
            "health": [{"source": s, "change": c} for s, c in self.health],
        }


def mark_interrupted(db: sqlite_utils.Database) -> None:
    """Runs left 'running' by a process that no longer exists were killed: say so."""
    for row in list(db.table("crawl_runs").rows_where("status = 'running'")):
        if not pid_alive(row["pid"]):
            with write_transaction(db):
                db.table("crawl_runs").update(
                    row["id"], {"status": "interrupted", "ended_at": row["ended_at"] or utcnow()}
                )
                db.execute(
                    "update crawl_run_sources set status = 'interrupted' where run_id = ? and status = 'running'",
                    [row["id"]],
                )


def start_run(db: sqlite_utils.Database, sources: list[tuple[str, str]], pid: int, alone: bool = True) -> int:
    """Insert a run row (status running) and one counts row per (source name, kind).

    ``alone`` (the default) refuses (:class:`~newswatch.errors.InputError`) while another crawl of
    the same database is running: two crawls would share the JOBDIR queues next to it. Crawlers
    sharing a Redis frontier (``crawl.frontier: redis``) have no JOBDIR and run side by side.
    """
    mark_interrupted(db)
    with write_transaction(db):
        busy = db.execute("select id, pid from crawl_runs where status = 'running' order by id desc").fetchall()
        busy = busy if alone else []
        for run_id, other_pid in busy:
            if pid_alive(other_pid):
                raise InputError(
                    f"crawl run {run_id} (pid {other_pid}) is still running on this database; "
                    "wait for it or stop it first"
                )
        run_id = (
            db.table("crawl_runs")
            .insert(
                {
                    "started_at": utcnow(),
                    "status": "running",
                    "pid": pid,
                    "sources": json.dumps([n for n, _ in sources]),
                }
            )
            .last_pk
        )
        for name, kind in sources:
            db.table("crawl_run_sources").insert(
                {"run_id": run_id, "source": name, "kind": kind, "status": "running", **{c: 0 for c in COUNTS}}
            )
    return int(run_id or 0)


def bump(db: sqlite_utils.Database, run_id: int, source: str, **deltas: int) -> None:
    """Add to a source's counts (inside the caller's transaction if there is one)."""
    sets = ", ".join(f"{c} = {c} + ?" for c in deltas)
    db.execute(
        f"update crawl_run_sources set {sets} where run_id = ? and source = ?", [*deltas.values(), run_id, source]
    )


def finish_source(db: sqlite_utils.Database, run_id: int, source: str, status: str, reason: str | None) -> None:
    with write_transaction(db):
        db.execute(
            "update crawl_run_sources set status = ?, finish_reason = ? where run_id = ? and source = ?",
            [status, reason, run_id, source],
        )


def finish_run(db: sqlite_utils.Database, run_id: int, status: str, error: str | None = None) -> None:
    with write_transaction(db):
        db.table("crawl_runs").update(run_id, {"status": status, "ended_at": utcnow(), "error": error})
        db.execute("update crawl_run_sources set status = ? where run_id = ? and status = 'running'", [status, run_id])


def record_stats(db: sqlite_utils.Database, run_id: int, stats: dict[str, Any]) -> None:
    """Keep what the crawl measured (pages, seconds per stage, peak memory) on its run row."""
    with write_transaction(db):
        db.table("crawl_runs").update(run_id, {"stats": json.dumps(stats)})


def load_run(db: sqlite_utils.Database, run_id: int) -> CrawlRun:
    row = db.table("crawl_runs").get(run_id)
    stats = json.loads(row.get("stats") or "{}")
    srcs = [
        SourceCounts(
            source=r["source"],
            kind=r["kind"],
            status=r["status"],
            finish_reason=r["finish_reason"],
            last_error=r.get("last_error"),
            **{c: int(r.get(c) or 0) for c in COUNTS},
        )
        for r in db.table("crawl_run_sources").rows_where("run_id = ?", [run_id], order_by="id")
    ]
    return CrawlRun(
        id=row["id"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        status=row["status"],
        sources=srcs,
        error=row["error"],
        stats=stats,
        health=[(str(a), str(b)) for a, b in stats.get("health") or []],
    )


def is_stored(db: sqlite_utils.Database, canonical_url: str) -> bool:
    """True when the URL's article is already in the database (crawled or ingested)."""
    row = db.execute(
        "select 1 from crawl_urls where canonical_url = ? and status = 'stored'", [canonical_url]
    ).fetchone()
    if row:
        return True
    row = db.execute("select 1 from articles where canonical_url = ? and error is null", [canonical_url]).fetchone()
    return row is not None


def record_url(
    db: sqlite_utils.Database,
    canonical_url: str,
    url: str,
    source: str,
    status: str,
    run_id: int,
    *,
    reason: str | None = None,
    http_status: int | None = None,
    article_id: int | None = None,
) -> None:
    """Upsert the fate of one URL: stored | failed | blocked."""
    now = utcnow()
    existing = db.execute("select id, attempts from crawl_urls where canonical_url = ?", [canonical_url]).fetchone()
    row = {
        "canonical_url": canonical_url,
        "url": url,
        "source": source,
        "status": status,
        "reason": reason,
        "http_status": http_status,
        "article_id": article_id,
        "run_id": run_id,
        "last_seen": now,
    }
    if existing:
        row["attempts"] = (existing[1] or 0) + 1
        db.table("crawl_urls").update(existing[0], row)
    else:
        db.table("crawl_urls").insert({**row, "attempts": 1, "first_seen": now})


def state_dir_for(db_path: Path) -> Path:
    """Scrapy JOBDIR states live next to the database: ``<db stem>.crawl-state/<source>``."""
    db_path = Path(db_path).resolve()
    return db_path.parent / f"{db_path.stem}.crawl-state"


class EventSink(Protocol):
    """Where progress events go (a ``multiprocessing.Queue`` to the parent process)."""

    def put_nowait(self, obj: Any) -> None: ...


class CrawlBook:
    """The crawl's bookkeeping inside the crawl process: which URLs this run already asked for,
    which are stored, the per-source counts, every URL's fate, stage times and progress events.

    The only writer of crawl rows (``crawl_urls``, ``crawl_run_sources``) during a crawl; each
    booking is its own short write transaction, so a kill at any moment leaves true counts."""

    def __init__(self, db: sqlite_utils.Database, run_id: int, events: EventSink | None = None) -> None:
        self.db = db
        self.run_id = run_id
        self.events = events
        self.claimed: set[str] = set()
        self.stage_seconds: dict[str, float] = {}
        self.processed = 0

    def claim(self, canonical_url: str) -> bool:
        """True the first time a URL is requested in this run (by any source), False after."""
        if canonical_url in self.claimed:
            return False
        self.claimed.add(canonical_url)
        return True

    def emit(self, **event: Any) -> None:
        """A progress event for the parent process (dropped, never blocking, if it cannot go)."""
        if self.events is not None:
            try:
                self.events.put_nowait(event)
            except (queue.Full, ValueError, OSError):
                pass

    def is_stored(self, canonical_url: str) -> bool:
        return is_stored(self.db, canonical_url)

    def bump(self, source: str, **deltas: int) -> None:
        with write_transaction(self.db):
            bump(self.db, self.run_id, source, **deltas)

    def failed(
        self, source: str, url: str, reason: str, http_status: int | None = None, status: str = "failed"
    ) -> None:
        """Book a URL that could not be fetched or processed (``failed``, or ``blocked`` by robots.txt)."""
        log.log(logging.WARNING if status == "failed" else logging.INFO, "%s: %s %s: %s", source, status, url, reason)
        with write_transaction(self.db):
            record_url(
                self.db, canonicalize(url), url, source, status, self.run_id, reason=reason, http_status=http_status
            )
            bump(self.db, self.run_id, source, **({"failed": 1} if status == "failed" else {"skipped": 1}))
            if status == "failed":
                self.db.execute(
                    "update crawl_run_sources set last_error = ? where run_id = ? and source = ?",
                    [f"{url}: {reason}"[:500], self.run_id, source],
                )
        self.emit(type="page", source=source, url=url, status=status, reason=reason)

    def stored(self, source: str, url: str, http_status: int, result: IngestResult) -> None:
        """Book a page the pipeline stored: URL fate, counts, stage times, progress event."""
        for stage, seconds in result.timings.items():
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds
        self.processed += 1
        art = result.article
        status = "stored" if not art.error else "failed"
        deltas = {result.status: 1} if result.status in ("new", "updated", "unchanged") else {}
        if art.error:
            deltas = {"failed": 1}
        deltas["alerts"] = len(result.new_alert_keys)
        with write_transaction(self.db):
            for canon in {art.canonical_url, canonicalize(url)}:
                record_url(
                    self.db,
                    canon,
                    url,
                    source,
                    status,
                    self.run_id,
                    reason=art.error,
                    http_status=http_status,
                    article_id=result.article_id,
                )
            bump(self.db, self.run_id, source, **deltas)
        self.emit(
            type="page",
            source=source,
            url=url,
            status=result.status if not art.error else "failed",
            title=art.title,
            reason=art.error,
            alerts=len(result.new_alert_keys),
        )

    def stats(self) -> dict[str, Any]:
        """Pages processed and seconds per stage (summed over the processes that ran them)."""
        return {
            "pages": self.processed,
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
        }
