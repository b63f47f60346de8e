"""Which process holds something, and whether it still runs: one answer for the whole package.

The crawl runs (``crawl_runs.pid``), the service's database locks (``service_locks``) and the
outbox's ``sending`` claims (``claimed_by``) all name a holder process. :class:`Owner` is that
holder: host, pid and the process's start time, so a pid the kernel gave to a new process is not
taken for the old one. Only a holder on this host can be checked; one elsewhere is trusted (its
lease decides).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import psutil


def process_start(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), or None if it is gone or a zombie."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


@dataclass(frozen=True)
class Owner:
    """A holder process: ``host``, ``pid`` and its start time (None when not recorded)."""

    host: str
    pid: int
    started: float | None = None

    @classmethod
    def current(cls) -> Owner:
        """This process."""
        return cls(socket.gethostname(), os.getpid(), process_start(os.getpid()))

    @classmethod
    def parse(cls, text: str | None) -> Owner | None:
        """An owner written by :meth:`__str__` (``host:pid:start``), or None if unreadable."""
        if not text:
            return None
        try:
            host, pid, started = text.rsplit(":", 2)
            return cls(host, int(pid), float(started))
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started or 0:.0f}"

    @property
    def on_this_host(self) -> bool:
        return self.host == socket.gethostname()

    @property
    def is_current(self) -> bool:
        """Is this owner this very process?"""
        return self.on_this_host and self.pid == os.getpid()

    def alive(self) -> bool:
        """Does the holder still run? True for a holder on another host (cannot look: trust the lease);
        on this host, its pid must run and (when recorded) have started when the holder did."""
        if not self.on_this_host:
            return True
        started = process_start(self.pid)
        if started is None:
            return False
        return self.started is None or abs(started - self.started) < 1.0


def pid_alive(pid: int | None) -> bool:
    """Does a process with this pid run on this host (no start time recorded to tell reuse)?"""
    return bool(pid) and Owner(socket.gethostname(), int(pid or 0)).alive()
