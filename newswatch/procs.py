"""Which process holds something, and whether it still runs: one answer for the whole package.

The crawl runs (``crawl_runs.pid``), the service's database locks (``service_locks``), the
outbox's ``sending`` claims (``claimed_by``) and the ingest requests a worker runs all name a
holder. :class:`Owner` is that holder: host, pid and the process's start time, so a pid the kernel
gave to a new process is not taken for the old one, and (for work done by one thread of a
process with several, as ``newswatch run``) the thread. Only a holder on this host can be checked;
one elsewhere is trusted (its lease decides).
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, replace

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
    """A holder: ``host``, ``pid``, the process's start time (None when not recorded) and, for work
    held by one thread, that thread's ident."""

    host: str
    pid: int
    started: float | None = None
    thread: int | None = None

    @classmethod
    def current(cls) -> Owner:
        """This process."""
        return cls(socket.gethostname(), os.getpid(), process_start(os.getpid()))

    @classmethod
    def current_thread(cls) -> Owner:
        """This thread of this process."""
        return replace(cls.current(), thread=threading.get_ident())

    @classmethod
    def parse(cls, text: str | None) -> Owner | None:
        """An owner written by :meth:`__str__` (``host:pid:start[:thread]``), or None if unreadable."""
        if not text:
            return None
        parts = text.split(":")
        try:
            if len(parts) == 3:
                return cls(parts[0], int(parts[1]), float(parts[2]))
            if len(parts) == 4:
                return cls(parts[0], int(parts[1]), float(parts[2]), int(parts[3]))
        except ValueError:
            return None
        return None

    def __str__(self) -> str:
        base = f"{self.host}:{self.pid}:{self.started or 0:.0f}"
        return base if self.thread is None else f"{base}:{self.thread}"

    @property
    def on_this_host(self) -> bool:
        return self.host == socket.gethostname()

    @property
    def is_current(self) -> bool:
        """Is this owner this very process?"""
        return self.on_this_host and self.pid == os.getpid()

    def thread_alive(self) -> bool:
        """For an owner in this process: is its thread another thread that still runs? (The calling
        thread itself works sequentially: a claim it left behind was abandoned.)"""
        if self.thread is None or self.thread == threading.get_ident():
            return False
        return any(t.ident == self.thread and t.is_alive() for t in threading.enumerate())

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
