"""On-demand ingestion: a queue of URLs (``POST /ingest``, the Slack command) and the worker thread
that runs each through the SSRF-guarded fetch and :meth:`Pipeline.process`.

Requests are rows in ``ingest_requests`` (state queued -> running -> done | failed), so nothing is
lost when the service stops: queued and interrupted rows are queued again on start. The same URL
handed in again within ``service.dedupe_seconds`` gets the first request's id (unless that failed).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from ..config import Settings
from ..errors import NewswatchError
from ..models import utcnow
from ..store import open_db, write_transaction
from .ssrf import UrlGuard, safe_fetch

if TYPE_CHECKING:
    from ..alerts.sinks import Sink
    from ..pipeline import Pipeline

log = logging.getLogger(__name__)

Notify = Callable[[dict[str, Any]], None]


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
        self.busy = False
        self.counts = {"done": 0, "failed": 0}

    # -- requests ----------------------------------------------------------------------------

    def submit(self, url: str, origin: str = "api") -> Submitted:
        """Queue ``url`` (already checked by the caller) or return the recent request for it."""
        window = self.settings.service.dedupe_seconds
        now = time.time()
        with self.db_lock, write_transaction(self.db):
            rows = list(
                self.db.query(
                    "select id, state from ingest_requests where url = ? and created_ts >= ? and state != 'failed' "
                    "order by id limit 1",
                    [url, now - window],
                )
            )
            if rows:
                return Submitted(rows[0]["id"], True, rows[0]["state"])
            if self._queue.qsize() >= self.settings.service.max_queue:
                raise QueueFull(f"ingest queue is full ({self.settings.service.max_queue} waiting); try again later")
            rid = (
                self.db.table("ingest_requests")
                .insert({"url": url, "state": "queued", "origin": origin, "created_at": utcnow(), "created_ts": now})
                .last_pk
            )
        self._queue.put(int(rid or 0))
        return Submitted(int(rid or 0), False, "queued")

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
        }
        if row["state"] == "done" and row["result"]:
            out["result"] = json.loads(row["result"])
        return out

    def depth(self) -> int:
        """Requests waiting (plus the one being processed)."""
        return self._queue.qsize() + (1 if self.busy else 0)

    # -- worker ------------------------------------------------------------------------------

    def start(self) -> None:
        """Requeue what an earlier run left queued or half-done, then start the worker."""
        with self.db_lock:
            pending = [
                r["id"]
                for r in self.db.query(
                    "select id from ingest_requests where state in ('queued', 'running') order by id"
                )
            ]
        for rid in pending:
            self._queue.put(rid)
        if pending:
            log.warning("requeued %d ingest request(s) left from an earlier run", len(pending))
        self._thread = threading.Thread(target=self._work, name="ingest-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def _work(self) -> None:
        db = open_db(self.db_path)  # the worker's own connection: API reads never wait on it
        while not self._stop.is_set():
            try:
                rid = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self.busy = True
            try:
                self.process(db, rid, self.pipeline)
            except Exception:  # noqa: BLE001 - never let the worker die
                log.exception("ingest request %s: unexpected failure", rid)
            finally:
                self.busy = False

    def _update(self, db: sqlite_utils.Database, rid: int, **fields: Any) -> None:
        with write_transaction(db):
            db.table("ingest_requests").update(rid, fields)

    def process(self, db: sqlite_utils.Database, rid: int, pipeline: Pipeline) -> None:
        """Fetch, run the pipeline, deliver alerts and record the outcome of one request."""
        row = db.table("ingest_requests").get(rid)
        if row["state"] not in ("queued", "running"):
            return
        self._update(db, rid, state="running", started_at=utcnow())
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
                article_id=result.article_id,
                result=json.dumps(result.to_json(), ensure_ascii=False),
            )
            self.counts["done"] += 1
        except NewswatchError as exc:
            self._update(db, rid, state="failed", finished_at=utcnow(), error=str(exc))
            self.counts["failed"] += 1
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
