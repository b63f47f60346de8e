"""On-demand ingestion: a queue of URLs (``POST /ingest``, the Slack command) and the worker thread
that runs each through the SSRF-guarded fetch and :meth:`Pipeline.process`.

Requests are rows in ``ingest_requests`` (state queued -> running -> done | failed), so nothing is
lost when the service stops. A worker claims a request with a conditional UPDATE under a lease
(``service.ingest_lease_seconds``, owner host:pid:start:thread), so two services on one database
never run the same request; a request whose lease ran out (its worker died, or storage failed
before its outcome was written) is taken back and retried, up to ``service.ingest_attempts``, then
failed with the reason. The same URL handed in again within ``service.dedupe_seconds`` gets the
first request's id (unless that failed or was abandoned).
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from ..config import Settings
from ..errors import NewswatchError
from ..models import epoch, iso_us, utcnow
from ..procs import Owner
from ..store import open_db, write_transaction
from .ssrf import UrlGuard, safe_fetch

if TYPE_CHECKING:
    from ..alerts.sinks import Sink
    from ..pipeline import Pipeline

log = logging.getLogger(__name__)

Notify = Callable[[dict[str, Any]], None]
RECLAIM_EVERY = 5.0  # seconds between looks for requests whose worker's lease ran out


@dataclass
class Submitted:
    id: int
    duplicate: bool
    state: str


class IngestQueue:
    """Owns the ``ingest_requests`` rows, the in-memory queue of ids and the worker thread."""

    def __init__(
        self,
        db_path: Path,
        settings: Settings,
        pipeline: Pipeline,
        sink_factory: Callable[[], Sink],
        guard: UrlGuard,
        notifiers: dict[str, Notify] | None = None,
    ) -> None:
        self.db_path = db_path
        self.settings = settings
        self.pipeline = pipeline
        self.sink_factory = sink_factory
        self.guard = guard
        self.db = open_db(db_path)
        self.db_lock = threading.Lock()
        self._queue: queue.Queue[int] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.notifiers: dict[str, Notify] = dict(notifiers or {})  # origin kind ("slack") -> who to tell
        self._queued: set[int] = set()  # ids on self._queue
        self._last_error: dict[int, str] = {}  # why a request could not be recorded (for its retry)
        self.busy = False
        self.counts = {"done": 0, "failed": 0}

    # -- requests ----------------------------------------------------------------------------

    def submit(self, url: str, origin: str = "api") -> Submitted:
        """Queue ``url`` (already checked by the caller) or return the recent request for it.

        A request counts as recent while it is queued, done, or running under a live lease; one
        whose worker vanished (lease run out) does not hold its URL. The queue is bounded in all
        (``service.max_queue``) and per caller (``service.max_queue_per_caller``: one API token, one
        Slack channel), so one caller cannot starve the others."""
        svc = self.settings.service
        now = time.time()
        with self.db_lock, write_transaction(self.db):
            rows = list(
                self.db.query(
                    "select id, state from ingest_requests where url = ? and created_ts >= ? and "
                    "(state in ('queued', 'done') or (state = 'running' and coalesce(lease_until, 0) >= ?)) "
                    "order by id limit 1",
                    [url, iso_us(now - svc.dedupe_seconds), iso_us(now)],
                )
            )
            if rows:
                return Submitted(rows[0]["id"], True, rows[0]["state"])
            waiting = self.db.execute("select count(*) from ingest_requests where state = 'queued'").fetchone()[0]
            if waiting >= svc.max_queue:
                raise QueueFull(f"ingest queue is full ({svc.max_queue} waiting); try again later")
            mine = self.db.execute(
                "select count(*) from ingest_requests where origin = ? and state in ('queued', 'running')", [origin]
            ).fetchone()[0]
            if mine >= svc.max_queue_per_caller:
                raise QueueFull(
                    f"{svc.max_queue_per_caller} requests from this caller are already waiting; "
                    "try again when they are done"
                )
            rid = int(
                self.db.table("ingest_requests")
                .insert(
                    {
                        "url": url,
                        "state": "queued",
                        "origin": origin,
                        "created_at": utcnow(),
                        "created_ts": iso_us(now),
                        "attempts": 0,
                    }
                )
                .last_pk
                or 0
            )
        self._enqueue(rid)
        return Submitted(rid, False, "queued")

    def get(self, rid: int) -> dict[str, Any] | None:
        with self.db_lock:
            rows = list(self.db.table("ingest_requests").rows_where("id = ?", [rid]))
        if not rows:
            return None
        row = rows[0]
        out = {
            "id": row["id"],
            "url": row["url"],
            "state": row["state"],
            "created_at": row["created_at"],
            "finished_at": row["finished_at"],
            "article_id": row["article_id"],
            "error": row["error"],
            "attempts": row["attempts"] or 0,
        }
        if row["state"] == "done" and row["result"]:
            out["result"] = json.loads(row["result"])
        return out

    def depth(self) -> int:
        """Requests waiting (plus the one being processed)."""
        return self._queue.qsize() + (1 if self.busy else 0)

    def _enqueue(self, rid: int) -> None:
        if rid not in self._queued:
            self._queued.add(rid)
            self._queue.put(rid)

    # -- worker ------------------------------------------------------------------------------

    def start(self) -> None:
        """Take back what a dead worker left running, queue what waits, then start the worker.
        Requests another live service is running are left to it (their lease holds)."""
        taken = self.reclaim(self.db)
        if taken:
            log.warning("took back %d ingest request(s) an earlier or dead worker left running", taken)
        self._thread = threading.Thread(target=self._work, name="ingest-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def reclaim(self, db: sqlite_utils.Database) -> int:
        """Requests left ``running`` past their lease (or by a worker of this host that is gone) go
        back to ``queued``, or to ``failed`` with the reason once ``service.ingest_attempts`` were
        used; every ``queued`` request is put on this worker's queue. Returns how many were taken
        back. Safe with several services on one database: claiming is conditional."""
        svc = self.settings.service
        now = time.time()
        taken = 0
        with write_transaction(db):
            for row in list(db.query("select * from ingest_requests where state = 'running'")):
                owner = Owner.parse(row["owner"])
                expired = (epoch(row["lease_until"]) or 0) < now
                dead = owner is not None and owner.on_this_host and not owner.is_current and not owner.alive()
                if not (expired or dead):
                    continue
                why = self._last_error.pop(row["id"], None) or "its worker did not finish (stopped, or storage failed)"
                if (row["attempts"] or 0) >= svc.ingest_attempts:
                    fields = {
                        "state": "failed",
                        "finished_at": utcnow(),
                        "owner": None,
                        "error": f"gave up after {row['attempts']} attempt(s): {why}",
                    }
                else:
                    fields = {"state": "queued", "owner": None, "lease_until": None, "error": f"retrying: {why}"}
                db.table("ingest_requests").update(row["id"], fields)
                taken += 1
            queued = [r["id"] for r in db.query("select id from ingest_requests where state = 'queued' order by id")]
        for rid in queued:
            self._enqueue(rid)
        return taken

    def _claim(self, db: sqlite_utils.Database, rid: int) -> bool:
        """Take request ``rid`` for this worker under a lease; False if another worker has it."""
        now = time.time()
        with write_transaction(db):
            cur = db.execute(
                "update ingest_requests set state = 'running', owner = ?, lease_until = ?, started_at = ?, "
                "attempts = coalesce(attempts, 0) + 1 where id = ? and (state = 'queued' or "
                "(state = 'running' and coalesce(lease_until, 0) < ?))",
                [
                    str(Owner.current_thread()),
                    iso_us(now + self.settings.service.ingest_lease_seconds),
                    utcnow(),
                    rid,
                    iso_us(now),
                ],
            )
        return cur.rowcount == 1

    def _work(self) -> None:
        db = open_db(self.db_path)  # the worker's own connection: API reads never wait on it
        next_reclaim = time.monotonic() + RECLAIM_EVERY
        while not self._stop.is_set():
            if time.monotonic() >= next_reclaim:
                next_reclaim = time.monotonic() + RECLAIM_EVERY
                try:
                    self.reclaim(db)
                except Exception:  # noqa: BLE001 - storage trouble: try again next round
                    log.exception("ingest: could not look for abandoned requests")
            try:
                rid = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self._queued.discard(rid)
            self.busy = True
            try:
                self.run_one(db, rid)
            finally:
                self.busy = False

    def run_one(self, db: sqlite_utils.Database, rid: int) -> None:
        """:meth:`process` one request; whatever goes wrong is logged and kept as the reason its
        retry (or its failure, once the lease ran out) will carry. The worker never dies of it."""
        try:
            self.process(db, rid, self.pipeline)
        except Exception as exc:  # noqa: BLE001 - the lease brings the request back
            self._last_error[rid] = f"{type(exc).__name__}: {exc}"
            log.exception("ingest request %s: could not be processed or recorded; retried after its lease", rid)

    def _update(self, db: sqlite_utils.Database, rid: int, **fields: Any) -> None:
        with write_transaction(db):
            db.table("ingest_requests").update(rid, {**fields, "owner": None, "lease_until": None})

    def process(self, db: sqlite_utils.Database, rid: int, pipeline: Pipeline) -> None:
        """Claim, fetch, run the pipeline, deliver alerts and record the outcome of one request.

        A request another worker holds is skipped. A failure to record the outcome (disk full, a
        lock held past the busy timeout) leaves the request ``running`` under its lease; the worker
        that finds the lease run out retries it or, after ``service.ingest_attempts``, fails it."""
        if not self._claim(db, rid):
            return
        row = db.table("ingest_requests").get(rid)
        fetch = self.settings.fetch.model_copy(
            update={"max_bytes": min(self.settings.fetch.max_bytes, self.settings.service.max_bytes)}
        )
        try:
            page = safe_fetch(row["url"], fetch, self.guard, self.settings.service.fetch_total_seconds)
            result, _ = pipeline.ingest(page, db, self.sink_factory())
            self._update(
                db,
                rid,
                state="done",
                finished_at=utcnow(),
                error=None,
                article_id=result.article_id,
                result=json.dumps(result.to_json(), ensure_ascii=False),
            )
            self.counts["done"] += 1
        except NewswatchError as exc:
            self._update(db, rid, state="failed", finished_at=utcnow(), error=str(exc))
            self.counts["failed"] += 1
        except sqlite3.OperationalError:
            raise  # storage trouble: the lease brings the request back (see _work)
        except Exception as exc:  # noqa: BLE001 - recorded on the request, never silent
            log.exception("ingest request %s failed", rid)
            self._update(
                db, rid, state="failed", finished_at=utcnow(), error=f"internal error: {type(exc).__name__}: {exc}"
            )
            self.counts["failed"] += 1
        self.notify({**(self.get(rid) or {}), "origin": row["origin"] or "api"})

    def notify(self, row: dict[str, Any]) -> None:
        """Tell whoever asked for an ingest request (the Slack channel of a slash command) how it went."""
        origin = row.get("origin") or "api"
        notify = self.notifiers.get(origin.split(":", 1)[0])
        if notify:
            try:
                notify(row)
            except Exception:  # noqa: BLE001 - the request's outcome is stored; only the answer is lost
                log.exception("ingest request %s: could not report back to %s", row.get("id"), origin)


class QueueFull(NewswatchError):
    """Too many requests waiting."""
