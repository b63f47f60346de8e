"""Handing fetched pages on: the Scrapy item pipeline and the page queue behind it.

Every fetched page goes through the one newswatch :class:`~newswatch.pipeline.Pipeline`:
``prepare`` (extraction, NER, ties, matching, rules) in a page worker (:mod:`.workers`), then
``commit`` (one write transaction) here in the crawl process, then booked by :class:`CrawlBook`.
With ``crawl.workers: 0`` the crawl process prepares the page itself.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils
from scrapy import Spider
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer

from ..config import AlertSettings, load_settings
from ..models import FetchedPage, IngestResult, Prepared
from .sources import CrawlSettings
from .state import CrawlBook
from .workers import Batch, WorkerPool, peak_rss_mb

if TYPE_CHECKING:
    from ..pipeline import Pipeline

log = logging.getLogger(__name__)


def running_reactor() -> Any:
    """The running Twisted reactor, imported only when used (Scrapy installs its own first). Typed
    as Any: Twisted's interface stubs change between releases (zope interfaces have no ``self``)."""
    from twisted.internet import reactor

    return reactor


Waiting = tuple[str, FetchedPage, "defer.Deferred[None]"]  # (source, page, fired once booked)


class PageQueue:
    """Pages from every spider of one crawl, on their way to the store.

    :meth:`put` gathers pages into batches of ``crawl.worker_batch`` (or whatever arrived within
    ``crawl.worker_batch_wait`` seconds), hands each batch to the :class:`WorkerPool` (one
    ``nlp.pipe`` per batch in a worker), commits what comes back one page per transaction and
    books it. The Deferred it returns fires once the page is booked: Scrapy holds the response
    meanwhile, which is the crawl's back-pressure (memory stays bounded whatever the page count).
    """

    def __init__(
        self, config_dir: Path, db: sqlite_utils.Database, db_path: Path, crawl: CrawlSettings, book: CrawlBook
    ) -> None:
        self.config_dir = config_dir
        self.db = db
        self.crawl = crawl
        self.book = book
        self.stream = StreamOut(config_dir, book) if crawl.page_queue == "redis" else None
        workers = crawl.workers if crawl.workers is not None else WorkerPool.default_size()
        in_process = workers and self.stream is None
        self.pool = WorkerPool(config_dir, db_path, workers, crawl.worker_recycle_batches) if in_process else None
        self._pipeline: Pipeline | None = None
        self._alert_settings: AlertSettings | None = None
        self._batch: list[Waiting] = []
        self._flush_call: Any = None  # twisted IDelayedCall of the pending flush

    @property
    def pipeline(self) -> Pipeline:
        """The newswatch Pipeline (in-process mode, ``crawl.workers: 0``), loaded (spaCy and all) when
        the first page arrives: a re-crawl that finds nothing new never pays for it."""
        if self._pipeline is None:
            from ..pipeline import Pipeline

            self._pipeline = Pipeline.from_config(self.config_dir)
        return self._pipeline

    @property
    def alert_settings(self) -> AlertSettings:
        if self._alert_settings is None:
            self._alert_settings = load_settings(self.config_dir).alerts
        return self._alert_settings

    def put(self, source: str, page: FetchedPage) -> defer.Deferred[None] | None:
        """Process and store one page; a Deferred that fires once it is booked, or None when it was
        done at once (no page workers)."""
        if self.stream is not None:
            return self.stream.put(source, page)
        if self.pool is None:
            try:
                prepared = self.pipeline.prepare(page, self.db)
            except Exception as exc:  # noqa: BLE001 - booked with its reason, crawl goes on
                log.exception("%s: pipeline failed on %s", source, page.url)
                self.book.failed(
                    source, page.url, f"pipeline error: {type(exc).__name__}: {str(exc)[:200]}", http_status=page.status
                )
                return None
            self._commit(source, page, prepared, None)
            return None
        done: defer.Deferred[None] = defer.Deferred()
        self._batch.append((source, page, done))
        if len(self._batch) >= self.crawl.worker_batch:
            self._flush()
        elif self._flush_call is None:
            self._flush_call = running_reactor().callLater(self.crawl.worker_batch_wait, self._flush)
        return done

    def _flush(self) -> None:
        """Hand the pages gathered so far to the pool as one batch."""
        if self._flush_call is not None and self._flush_call.active():
            self._flush_call.cancel()
        self._flush_call = None
        batch, self._batch = self._batch, []
        if not batch or self.pool is None:
            return
        pool = self.pool
        pages = [page for _, page, _ in batch]
        try:
            future = pool.submit(pages)
        except BrokenProcessPool:  # a worker died while idle: start a fresh pool for this batch
            pool.broken()
            future = pool.submit(pages)
        future.add_done_callback(lambda fut: running_reactor().callFromThread(self._prepared, batch, fut))

    def _prepared(self, batch: list[Waiting], future: Future[Batch]) -> None:
        """Back in the reactor thread: store what a worker prepared (or book why it could not)."""
        assert self.pool is not None
        try:
            try:
                results, (pid, rss) = future.result()
            except BrokenProcessPool as exc:
                self.pool.broken()
                for source, page, _ in batch:
                    self.book.failed(
                        source,
                        page.url,
                        f"page worker died ({exc or 'killed'}); fetched again next run",
                        http_status=page.status,
                    )
                return
            except Exception as exc:  # noqa: BLE001 - e.g. a page that cannot be pickled
                for source, page, _ in batch:
                    self.book.failed(
                        source,
                        page.url,
                        f"page worker error: {type(exc).__name__}: {str(exc)[:200]}",
                        http_status=page.status,
                    )
                return
            self.pool.note_rss(pid, rss)
            for (source, page, _), (prepared, error) in zip(batch, results, strict=True):
                self._commit(source, page, prepared, error)
        finally:
            for _, _, done in batch:
                done.callback(None)

    def _commit(self, source: str, page: FetchedPage, prepared: Prepared | None, error: str | None) -> None:
        from ..pipeline import commit

        if error or prepared is None:
            self.book.failed(source, page.url, error or "page worker returned nothing", http_status=page.status)
            return
        try:
            result: IngestResult = commit(self.db, prepared, self.alert_settings)
        except Exception as exc:  # noqa: BLE001 - booked with its reason, crawl goes on
            log.exception("%s: storing failed on %s", source, page.url)
            self.book.failed(
                source, page.url, f"store error: {type(exc).__name__}: {str(exc)[:200]}", http_status=page.status
            )
            return
        self.book.stored(source, page.url, page.status, result)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    def stats(self) -> dict[str, Any]:
        """Page workers and peak memory per process (the crawl process and each worker)."""
        if self.stream is not None:
            return {"page_queue": "redis", **self.stream.stats(), "peak_rss_mb": {"crawl": round(peak_rss_mb(), 1)}}
        workers = dict(self.pool.peak_rss_mb) if self.pool else {}
        crawl_mb = peak_rss_mb()
        n = self.pool.workers if self.pool else 0
        # at most n workers run at once: the crawl process plus the n largest worker peaks
        return {
            "workers": n,
            "pool_rebuilt": self.pool.rebuilt if self.pool else 0,
            "pool_recycled": self.pool.recycled if self.pool else 0,
            "peak_rss_mb": {
                "crawl": round(crawl_mb, 1),
                **{f"worker-{pid}": round(mb, 1) for pid, mb in workers.items()},
            },
            "peak_rss_mb_total": round(crawl_mb + sum(sorted(workers.values())[-n:] if n else []), 1),
        }


class StreamOut:
    """``crawl.page_queue: redis``: fetched pages go to the page stream (:mod:`.streams`) for
    ``newswatch worker`` processes; the committer stores and books them. While the stream is full
    the page waits here (Scrapy holds its response and fetches nothing new): nothing is dropped.
    Redis unreachable: the page is booked failed with the reason, and fetched again next run."""

    def __init__(self, config_dir: Path, book: CrawlBook) -> None:
        from .streams import PageStream, connect

        scale = load_settings(config_dir).scale
        self.book = book
        self.stream = PageStream(connect(scale), scale)
        self.stream.ensure_groups()
        self.queued = 0
        self.waited_seconds = 0.0

    def put(self, source: str, page: FetchedPage) -> defer.Deferred[None]:
        done: defer.Deferred[None] = defer.Deferred()
        first = time.monotonic()

        def attempt() -> None:
            try:
                if self.stream.full():
                    running_reactor().callLater(0.2, attempt)
                    return
                self.stream.add(page, self.book.run_id)
                self.queued += 1
            except Exception as exc:  # noqa: BLE001 - redis down or refusing: booked, fetched again next run
                log.error("%s: page queue refused %s: %s", source, page.url, exc)
                why = f"page queue error: {type(exc).__name__}: {str(exc)[:200]}"
                self.book.failed(source, page.url, why, http_status=page.status)
            self.waited_seconds += time.monotonic() - first
            done.callback(None)

        attempt()
        return done

    def stats(self) -> dict[str, Any]:
        return {"pages_queued": self.queued, "backpressure_seconds": round(self.waited_seconds, 3)}


@dataclass(frozen=True)
class Crawl:
    """What every spider and component of one crawl process shares."""

    settings: CrawlSettings
    book: CrawlBook
    pages: PageQueue


def crawl_of(spider: Spider | None) -> tuple[str, Crawl]:
    """The spider's name and its :class:`Crawl` (every newswatch spider is built with one)."""
    crawl = getattr(spider, "crawl", None)
    if spider is None or not isinstance(crawl, Crawl):
        raise TypeError(f"{spider!r} is not a newswatch spider (no Crawl)")
    return spider.name, crawl


class StorePipeline:
    """Scrapy item pipeline: hands each :class:`FetchedPage` to the crawl's :class:`PageQueue` and
    waits until it is stored and booked, so Scrapy fetches no faster than pages are processed."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        name, crawl = crawl_of(self.crawler.spider)
        pending = crawl.pages.put(name, item)
        if pending is not None:  # page workers: wait here, so Scrapy holds back new fetches meanwhile
            await maybe_deferred_to_future(pending)
        return item
