"""The two consumers of the page stream (:mod:`.streams`): page workers and the one committer.

:class:`StreamWorker` (``newswatch worker``, on any machine) takes pages, runs the CPU stages
(``Pipeline.prepare_many``: extraction, NER, ties, matching, rules; it only reads the database) and
hands the results on. :class:`StreamCommitter` (``newswatch run --role committer``, or
``newswatch committer``) stores each result in one transaction (``pipeline.commit``), books it on
its crawl run, and only then acknowledges it. One committer at a time holds a lease in Redis; a
second one stands by and takes over when the lease runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis

from ..config import load_settings
from ..store import open_db
from .state import CrawlBook
from .streams import Handed, PageStream, PreparedEntry, connect
from .workers import prepare_isolated

if TYPE_CHECKING:
    from ..pipeline import Pipeline

log = logging.getLogger(__name__)


def worker_name() -> str:
    """A consumer name no other live worker has: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class StreamWorker:
    """A page worker on the stream. :meth:`run` loops until ``stop`` is set (the batch in hand is
    finished and handed on first); a SIGKILL leaves its pages pending for another worker."""

    def __init__(self, config_dir: Path, db_path: Path, name: str | None = None) -> None:
        self.config_dir = config_dir
        self.db_path = db_path
        self.name = name or worker_name()
        self.settings = load_settings(config_dir)
        self.stream = PageStream(connect(self.settings.scale), self.settings.scale)
        self.pages = 0

    def run(self, stop: threading.Event, max_pages: int | None = None) -> int:
        """Work until ``stop`` (or ``max_pages`` handed on); the number of pages handed on."""
        from ..pipeline import Pipeline

        self.stream.ensure_groups()
        pipeline = Pipeline.from_config(self.config_dir)
        db = open_db(self.db_path)
        log.warning("page worker %s ready (stream %s)", self.name, self.stream.keys.pages)
        batch = self.settings.scale.worker_batch
        while not stop.is_set() and (max_pages is None or self.pages < max_pages):
            try:
                if self.stream.prepared_full():  # the committer lags: wait, hold nothing meanwhile
                    self.stream.heartbeat(self.name)
                    stop.wait(0.2)
                    continue
                entries = self.stream.take(self.name, batch, block_ms=1000)
                if not entries:
                    self.stream.heartbeat(self.name)
                    continue
                t0 = time.perf_counter()
                results = self.prepare(pipeline, db, entries)
                self.stream.hand_on(self.name, results, time.perf_counter() - t0)
                self.pages += len(results)
            except redis.ConnectionError as exc:  # Redis away: what this worker held stays pending there
                log.error("page worker %s: Redis unreachable (%s); retrying in 2 s", self.name, exc)
                stop.wait(2.0)
        db.conn.close()
        return self.pages

    def prepare(self, pipeline: Pipeline, db: Any, entries: list[Any]) -> list[Handed]:
        """Prepare a batch; a page that already took down ``scale.max_deliveries`` workers is not
        tried again but handed on as failed (it would kill this one too)."""
        limit = self.settings.scale.max_deliveries
        poison = [e for e in entries if e.deliveries > limit]
        todo = [e for e in entries if e.deliveries <= limit]
        out = [
            Handed(e, error=f"page worker died on this page {e.deliveries - 1} times; not tried again") for e in poison
        ]
        if todo:
            for e, (prepared, error) in zip(todo, prepare_isolated(pipeline, db, [e.page for e in todo]), strict=True):
                out.append(Handed(e, prepared=prepared, error=error))
        return out


class StreamCommitter:
    """The one committer: :meth:`run` holds the lease (or stands by for it) and stores results."""

    def __init__(self, config_dir: Path, db_path: Path, name: str = "committer") -> None:
        self.config_dir = config_dir
        self.db_path = db_path
        self.name = name  # one name: a restarted committer reads what it left unacknowledged
        self.settings = load_settings(config_dir)
        self.stream = PageStream(connect(self.settings.scale), self.settings.scale)
        self.books: dict[int, CrawlBook] = {}
        self.stored = 0
        self.store_seconds = 0.0  # in pipeline.commit (the one writer's cost per page)

    def run(self, stop: threading.Event, until_drained: bool = False) -> int:
        """Store results until ``stop`` (or, with ``until_drained``, until both streams are empty);
        the number of results stored or booked."""
        self.stream.ensure_groups()
        db = open_db(self.db_path)
        lock = self.stream.committer_lock()
        lease = self.settings.scale.committer_lease_seconds
        standing = False
        try:
            while not stop.is_set():
                if not lock.acquire(blocking=False):
                    if not standing:
                        log.warning("committer %s: another committer holds the lease; standing by", self.name)
                        standing = True
                    stop.wait(min(1.0, lease / 3))
                    continue
                standing = False
                log.warning("committer %s took the lease: storing", self.name)
                renewed = time.monotonic()
                while not stop.is_set():
                    try:
                        if time.monotonic() - renewed > lease / 3:
                            lock.reacquire()  # LockNotOwnedError if it ran out: back to standing by
                            renewed = time.monotonic()
                        entries = self.stream.take_prepared(self.name, 32, block_ms=500)
                        done = [e.id for e in entries if self.store(db, e)]
                        self.stream.committed(done)
                    except redis.ConnectionError as exc:  # what it read stays pending in Redis
                        log.error("committer: Redis unreachable (%s); retrying in 2 s", exc)
                        stop.wait(2.0)
                        continue
                    if len(done) < len(entries):
                        stop.wait(1.0)  # storing failed (database busy or away): retried from pending
                    if until_drained and not entries and self.stream.drained():
                        return self.stored
        except redis.exceptions.LockError as exc:
            log.error("committer %s lost its lease (%s)", self.name, exc)
            if not stop.is_set():
                return self.run(stop, until_drained)
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                pass
            db.conn.close()
        return self.stored

    def store(self, db: Any, entry: PreparedEntry) -> bool:
        """Commit one result and book it on its crawl run; False when it must be tried again."""
        from ..pipeline import commit

        book = self.book(db, entry.run_id)
        try:
            if entry.prepared is None:
                if book:
                    book.failed(entry.source, entry.url, entry.error or "no result", http_status=entry.http_status)
                self.stored += 1
                return True
            t0 = time.perf_counter()
            try:
                result = commit(db, entry.prepared, self.settings.alerts)
                self.store_seconds += time.perf_counter() - t0
            except Exception as exc:  # noqa: BLE001 - booked with its reason, the stream goes on
                log.exception("%s: storing failed on %s", entry.source, entry.url)
                if book:
                    book.failed(
                        entry.source,
                        entry.url,
                        f"store error: {type(exc).__name__}: {str(exc)[:200]}",
                        http_status=entry.http_status,
                    )
                self.stored += 1
                return True
            if book:
                book.stored(entry.source, entry.url, entry.http_status, result)
            self.stored += 1
            return True
        except Exception:  # noqa: BLE001 - the booking itself failed: keep it pending, try again
            log.exception("committer: could not book %s; kept for another try", entry.url)
            return False

    def book(self, db: Any, run_id: int | None) -> CrawlBook | None:
        """The crawl run's bookkeeping (None for a page that came from no crawl run)."""
        if run_id is None:
            return None
        if run_id not in self.books:
            self.books[run_id] = CrawlBook(db, run_id)
        return self.books[run_id]
