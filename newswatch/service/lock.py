"""A named lock in the SQLite database that survives a crash of its holder.

One row per lock name in ``service_locks``: holder id, pid, host, the holder process's start time
(so a recycled pid is not mistaken for the holder) and a lease expiry renewed by a heartbeat.
A lock can be taken when it is free, its lease ran out, or its holder is on this host and its
process is gone. Taking it is one ``BEGIN IMMEDIATE`` transaction, so two processes cannot both win.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..models import epoch, iso_us
from ..procs import Owner, process_start
from ..store import write_transaction

log = logging.getLogger(__name__)


def holder_alive(row: dict[str, Any]) -> bool:
    """Whether the process that holds ``row`` still runs (only knowable on the same host)."""
    return Owner(row["host"], row["pid"], epoch(row["started"])).alive()


def _iso_or_none(ts: float | None) -> str | None:
    return iso_us(ts) if ts is not None else None


@dataclass
class LockInfo:
    name: str
    holder: str
    pid: int
    host: str
    expires_at: float
    taken_over: str | None = None  # the holder whose lock was taken over, if any


class DbLock:
    """``with DbLock(db, "crawl", lease).hold():`` — or :meth:`acquire` / :meth:`release` by hand."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        name: str,
        lease_seconds: float = 60.0,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.name = name
        self.lease = lease_seconds
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._db_lock = threading.Lock()
        self.on_lost = on_lost

    def current(self) -> dict[str, Any] | None:
        rows = list(self.db.table("service_locks").rows_where("name = ?", [self.name]))
        return rows[0] if rows else None

    def acquire(self) -> LockInfo | None:
        """Take the lock (returns its info) or return None when a live holder has it."""
        now = time.time()
        with self._db_lock, write_transaction(self.db):
            row = self.current()
            taken_over = None
            if row and row["holder"] != self.holder:
                expires = epoch(row["expires_at"]) or 0.0
                if expires > now and holder_alive(row):
                    return None
                why = "lease expired" if expires <= now else "holder process is gone"
                taken_over = f"{row['holder']} ({why})"
                log.warning("lock %s: taking over from %s", self.name, taken_over)
            self.db.table("service_locks").upsert(
                {
                    "name": self.name,
                    "holder": self.holder,
                    "pid": self.pid,
                    "host": self.host,
                    "started": _iso_or_none(process_start(self.pid)),
                    "acquired_at": iso_us(now),
                    "heartbeat_at": iso_us(now),
                    "expires_at": iso_us(now + self.lease),
                },
                pk="name",
            )
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name=f"lock-{self.name}", daemon=True)
        self._beat.start()
        return LockInfo(self.name, self.holder, self.pid, self.host, now + self.lease, taken_over)

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            now = time.time()
            try:
                with self._db_lock, write_transaction(self.db):
                    cur = self.db.execute(
                        "update service_locks set heartbeat_at = ?, expires_at = ? where name = ? and holder = ?",
                        [iso_us(now), iso_us(now + self.lease), self.name, self.holder],
                    )
            except Exception:  # noqa: BLE001 - keep beating; the lease covers a missed beat
                log.exception("lock %s: heartbeat failed", self.name)
                continue
            if cur.rowcount == 0:
                log.error("lock %s: lost (another process took it over after our lease ran out)", self.name)
                if self.on_lost:
                    self.on_lost()
                return

    def release(self) -> None:
        """Give the lock up (only if this object still holds it)."""
        self._stop.set()
        if self._beat:
            self._beat.join(timeout=5)
        with self._db_lock, write_transaction(self.db):
            self.db.execute("delete from service_locks where name = ? and holder = ?", [self.name, self.holder])
