"""Page workers: the CPU stages of the pipeline in worker processes.

Extraction, NER, tie detection, name matching and the rules (:meth:`Pipeline.prepare`) cost far
more than fetching and storing. The crawl process hands each fetched page to a pool of worker
processes (``crawl.workers``, default one per core) and stores what comes back itself
(:func:`newswatch.pipeline.commit`), so the reactor keeps fetching, both cores stay busy, and
there is still one writer per crawl. Workers only read the database (imported watchlists, the
stored content hash, feedback). A worker that dies (killed, out of memory) takes its in-flight
pages with it: they are booked ``failed`` with that reason, the pool is rebuilt, and the next
crawl fetches them again (nothing was stored for them).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import FetchedPage, Prepared

if TYPE_CHECKING:
    from ..pipeline import Pipeline

log = logging.getLogger(__name__)

# What a worker hands back for a batch: per page (Prepared or None, error text or None), in order,
# and (worker pid, its peak RSS in MiB).
Batch = tuple[list[tuple[Prepared | None, str | None]], tuple[int, float]]

# The worker process's own pipeline and read connection, set once by ``_init`` (the usual
# ProcessPoolExecutor initializer pattern: one per worker process, never in the crawl process).
_WORKER: dict[str, Any] = {}


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB.

    Linux: ``VmHWM`` of ``/proc/self/status``, which starts afresh with the process image. Not
    ``ru_maxrss``: it survives ``execve``, so a spawned child would report the peak of the process
    it was forked from (a test runner holding spaCy, say). Elsewhere ``ru_maxrss`` is all there is."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def die_with_parent(parent_pid: int) -> None:
    """Linux: this process gets SIGKILL when its parent dies (a killed ``newswatch crawl`` stops its
    crawl child, a killed crawl child its page workers)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _init(config_dir: str, db_path: str, parent_pid: int) -> None:
    from ..pipeline import Pipeline
    from ..store import open_db

    die_with_parent(parent_pid)
    _WORKER["pipeline"] = Pipeline.from_config(config_dir)
    _WORKER["db"] = open_db(db_path)


def _prepare(pages: list[FetchedPage]) -> Batch:
    """In the worker: for each page ``(Prepared or None, error text or None)``, in order, and
    ``(worker pid, its peak RSS in MiB)``. A batch that fails is redone page by page, so one bad
    page is booked with its own reason and the others go through."""
    return prepare_isolated(_WORKER["pipeline"], _WORKER["db"], pages), (os.getpid(), peak_rss_mb())


def prepare_isolated(pipeline: Pipeline, db: Any, pages: list[FetchedPage]) -> list[tuple[Prepared | None, str | None]]:
    """``pipeline.prepare_many`` on a batch; a batch that fails is redone page by page, so one bad
    page gets its own reason and the others go through. Per page ``(Prepared or None, error or None)``."""
    try:
        return [(p, None) for p in pipeline.prepare_many(pages, db)]
    except Exception:  # noqa: BLE001 - isolate the page that failed
        results: list[tuple[Prepared | None, str | None]] = []
        for page in pages:
            try:
                results.append((pipeline.prepare(page, db), None))
            except Exception as exc:  # noqa: BLE001 - sent back and booked with its reason
                log.exception("pipeline failed on %s", page.url)
                results.append((None, f"pipeline error: {type(exc).__name__}: {str(exc)[:200]}"))
        return results


class WorkerPool:
    """A process pool of pipeline workers, started on first use and rebuilt if a worker dies."""

    def __init__(self, config_dir: Path, db_path: Path, workers: int, recycle_batches: int | None = None) -> None:
        self.config_dir = config_dir
        self.db_path = db_path
        self.workers = workers
        self.recycle_batches = recycle_batches
        self._pool: ProcessPoolExecutor | None = None
        self._batches = 0  # batches given to the current pool
        self.rebuilt = 0
        self.recycled = 0
        self.peak_rss_mb: dict[int, float] = {}  # worker pid -> its peak RSS

    @staticmethod
    def default_size() -> int:
        """One worker per core (``crawl.workers: null``)."""
        return os.cpu_count() or 1

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init,
                initargs=(str(self.config_dir), str(self.db_path), os.getpid()),
            )
            self._batches = 0
        return self._pool

    def submit(self, pages: list[FetchedPage]) -> Future[Batch]:
        """Queue a batch of pages; the future's result is ``([(Prepared | None, error | None)...],
        (worker pid, its peak RSS))``."""
        if self.recycle_batches and self._pool is not None and self._batches >= self.recycle_batches:
            # fresh workers now and then: spaCy's string store only grows, so memory stays bounded.
            # (Not max_tasks_per_child: on Python 3.11 a pool using it can hang, CPython gh-115634.)
            # The retired pool finishes the batches it holds, then its workers exit.
            self._pool.shutdown(wait=False)
            self._pool = None
            self.recycled += 1
        future = self._executor().submit(_prepare, pages)
        self._batches += 1
        return future

    def note_rss(self, pid: int, mb: float) -> None:
        self.peak_rss_mb[pid] = max(mb, self.peak_rss_mb.get(pid, 0.0))

    def broken(self) -> None:
        """A worker died: drop the broken pool; the next :meth:`submit` starts a fresh one."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            self.rebuilt += 1
            log.warning("a page worker died; pool rebuilt (%d so far)", self.rebuilt)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
