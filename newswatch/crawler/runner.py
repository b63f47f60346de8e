"""``run_crawl``: one crawl of the configured sources, run by Scrapy in a CHILD process.

Twisted's reactor cannot be restarted in one process (``ReactorNotRestartable``), so every crawl
starts a fresh process (multiprocessing *spawn*): a long-running service can crawl any number of
times. The child hands every fetched page, in small batches, to page-worker processes
(:mod:`.workers`: ``Pipeline.prepare_many``, i.e. extraction, NER, ties, matching and rules) and
stores what comes back itself (:func:`newswatch.pipeline.commit`, one transaction per page), so both
cores work while the reactor keeps fetching and there is one writer. With ``crawl.workers: 0`` the
child runs ``prepare`` itself. It books counts and URL fates in the database as it goes, so a crawl
killed at any moment loses nothing: what is stored is done, what is not is fetched on the next run.
Scrapy's JOBDIR (one per source, next to the database) resumes the request queue after a clean stop.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue as queue_mod
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import find_config_dir, load_settings
from ..errors import InputError
from ..store import open_db, write_transaction
from ..urls import canonicalize
from .sources import CrawlSettings, load_sources, select_sources
from .state import (
    CrawlRun,
    bump,
    finish_run,
    finish_source,
    is_stored,
    load_run,
    record_stats,
    record_url,
    start_run,
    state_dir_for,
)
from .workers import WorkerPool, peak_rss_mb

log = logging.getLogger(__name__)

Progress = Callable[[dict[str, Any]], None]


def scrapy_settings(crawl: CrawlSettings, user_agent: str, log_level: str = "WARNING") -> dict[str, Any]:
    """The polite Scrapy settings, as data."""
    return {
        "USER_AGENT": user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": crawl.autothrottle_start_delay,
        "AUTOTHROTTLE_MAX_DELAY": crawl.autothrottle_max_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": crawl.autothrottle_target_concurrency,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "NEWSWATCH_RETRY_BACKOFF": crawl.retry_backoff_seconds,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "DOWNLOAD_MAXSIZE": crawl.max_bytes,
        "DOWNLOAD_WARNSIZE": min(crawl.max_bytes, 5_000_000),
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Deduplication is ours (IncrementalMiddleware + the database): a dupefilter persisted in
        # JOBDIR would drop requests whose queue entry a kill -9 lost.
        "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
        "DOWNLOADER_MIDDLEWARES": {
            "newswatch.crawler.middlewares.IncrementalMiddleware": 50,
            "newswatch.crawler.middlewares.BackoffMiddleware": 560,
        },
        "ITEM_PIPELINES": {"newswatch.crawler.pipelines.StorePipeline": 300},
        "LOG_LEVEL": log_level,
        "LOG_ENABLED": True,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }


class CrawlContext:
    """What the spiders and the item pipeline share inside the child: pipeline, db, run, progress."""

    def __init__(
        self,
        config_dir: Path,
        db: Any,
        run_id: int,
        crawl: CrawlSettings,
        events: Any | None = None,
        db_path: Path | None = None,
    ) -> None:
        self.config_dir = config_dir
        self._pipeline: Any = None
        self._alert_settings: Any = None
        self.db = db
        self.run_id = run_id
        self.crawl = crawl
        self.events = events
        self.claimed: set[str] = set()
        workers = crawl.workers if crawl.workers is not None else (os.cpu_count() or 1)
        self.pool = (
            WorkerPool(config_dir, Path(db_path), workers, crawl.worker_recycle_batches)
            if workers and db_path
            else None
        )
        self.stage_seconds: dict[str, float] = {}
        self.processed = 0
        self._batch: list[tuple[str, Any, Any]] = []  # (source, page, Deferred) waiting for a worker
        self._flush_call: Any = None

    @property
    def pipeline(self) -> Any:
        """The newswatch Pipeline (in-process mode, ``crawl.workers: 0``), loaded (spaCy and all) when
        the first page arrives: a re-crawl that finds nothing new never pays for it."""
        if self._pipeline is None:
            from ..pipeline import Pipeline

            self._pipeline = Pipeline.from_config(self.config_dir)
        return self._pipeline

    @property
    def alert_settings(self) -> Any:
        if self._alert_settings is None:
            self._alert_settings = load_settings(self.config_dir).alerts
        return self._alert_settings

    def claim(self, canonical_url: str) -> bool:
        """True the first time a URL is requested in this run (by any source), False after."""
        if canonical_url in self.claimed:
            return False
        self.claimed.add(canonical_url)
        return True

    def emit(self, **event: Any) -> None:
        if self.events is not None:
            try:
                self.events.put_nowait(event)
            except (queue_mod.Full, ValueError, OSError):
                pass

    def is_stored(self, canonical_url: str) -> bool:
        return is_stored(self.db, canonical_url)

    def bump(self, source: str, **deltas: int) -> None:
        with write_transaction(self.db):
            bump(self.db, self.run_id, source, **deltas)

    def record_failure(
        self, source: str, url: str, reason: str, http_status: int | None = None, status: str = "failed"
    ) -> None:
        log.log(logging.WARNING if status == "failed" else logging.INFO, "%s: %s %s: %s", source, status, url, reason)
        with write_transaction(self.db):
            record_url(
                self.db, canonicalize(url), url, source, status, self.run_id, reason=reason, http_status=http_status
            )
            bump(self.db, self.run_id, source, **({"failed": 1} if status == "failed" else {"skipped": 1}))
        self.emit(type="page", source=source, url=url, status=status, reason=reason)

    def request_failed(self, source: str, request: Any, failure: Any) -> None:
        from scrapy.exceptions import IgnoreRequest
        from scrapy.spidermiddlewares.httperror import HttpError

        retries = request.meta.get("retry_times", 0)
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # book the URL that was asked for
        after = f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
        if failure.check(HttpError):
            status = failure.value.response.status
            self.record_failure(source, url, f"HTTP {status}{after}", http_status=status)
        elif failure.check(IgnoreRequest):
            text = str(failure.value) or "request ignored"
            blocked = "robots.txt" in text
            self.record_failure(source, url, text, status="blocked" if blocked else "failed")
        else:
            exc = failure.value
            detail = str(exc)[:200] or "no detail (e.g. body over max_bytes, or connection dropped)"
            self.record_failure(source, url, f"{type(exc).__name__}: {detail}{after}")

    def store_page(self, source: str, page: Any) -> Any:
        """Run a page through the pipeline and book what came of it.

        With page workers the CPU stages run in the pool and this returns a Deferred that fires once
        the page is stored and booked (Scrapy holds its response meanwhile: that is the crawl's
        back-pressure, so memory stays bounded whatever the number of pages). Without, it runs here.
        """
        if self.pool is None:
            from ..pipeline import commit

            try:
                result = commit(self.db, self.pipeline.prepare(page, self.db), self.alert_settings)
            except Exception as exc:  # noqa: BLE001 - booked with its reason, crawl goes on
                log.exception("%s: pipeline failed on %s", source, page.url)
                self.record_failure(
                    source, page.url, f"pipeline error: {type(exc).__name__}: {str(exc)[:200]}", http_status=page.status
                )
                return None
            self._book(source, page, result)
            return None
        from twisted.internet import defer, reactor

        done: defer.Deferred = defer.Deferred()
        self._batch.append((source, page, done))
        if len(self._batch) >= self.crawl.worker_batch:
            self._flush()
        elif self._flush_call is None:
            self._flush_call = reactor.callLater(self.crawl.worker_batch_wait, self._flush)
        return done

    def _flush(self) -> None:
        """Hand the pages gathered so far to the pool as one batch (one ``nlp.pipe`` in a worker)."""
        from concurrent.futures.process import BrokenProcessPool

        from twisted.internet import reactor

        if self._flush_call is not None and self._flush_call.active():
            self._flush_call.cancel()
        self._flush_call = None
        batch, self._batch = self._batch, []
        if not batch:
            return
        pages = [page for _, page, _ in batch]
        try:
            future = self.pool.submit(pages)  # type: ignore[union-attr]
        except BrokenProcessPool:  # a worker died while idle: start a fresh pool for this batch
            self.pool.broken()  # type: ignore[union-attr]
            future = self.pool.submit(pages)  # type: ignore[union-attr]
        future.add_done_callback(lambda fut: reactor.callFromThread(self._prepared, batch, fut))

    def _prepared(self, batch: list[tuple[str, Any, Any]], future: Any) -> None:
        """Back in the reactor thread: store what a worker prepared (or book why it could not)."""
        from concurrent.futures.process import BrokenProcessPool

        try:
            try:
                results, (pid, rss) = future.result()
            except BrokenProcessPool as exc:
                self.pool.broken()  # type: ignore[union-attr]
                for source, page, _ in batch:
                    self.record_failure(
                        source,
                        page.url,
                        f"page worker died ({exc or 'killed'}); fetched again next run",
                        http_status=page.status,
                    )
                return
            except Exception as exc:  # noqa: BLE001 - e.g. a page that cannot be pickled
                for source, page, _ in batch:
                    self.record_failure(
                        source,
                        page.url,
                        f"page worker error: {type(exc).__name__}: {str(exc)[:200]}",
                        http_status=page.status,
                    )
                return
            self.pool.note_rss(pid, rss)  # type: ignore[union-attr]
            for (source, page, _), (prepared, error) in zip(batch, results, strict=True):
                self._commit(source, page, prepared, error)
        finally:
            for _, _, done in batch:
                done.callback(None)

    def _commit(self, source: str, page: Any, prepared: Any, error: str | None) -> None:
        from ..pipeline import commit

        if error:
            self.record_failure(source, page.url, error, http_status=page.status)
            return
        try:
            result = commit(self.db, prepared, self.alert_settings)
        except Exception as exc:  # noqa: BLE001 - booked with its reason, crawl goes on
            log.exception("%s: storing failed on %s", source, page.url)
            self.record_failure(
                source, page.url, f"store error: {type(exc).__name__}: {str(exc)[:200]}", http_status=page.status
            )
            return
        self._book(source, page, result)

    def _book(self, source: str, page: Any, result: Any) -> None:
        """Book a stored page: URL fate, counts, stage times, progress event."""
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
            for canon in {art.canonical_url, canonicalize(page.url)}:
                record_url(
                    self.db,
                    canon,
                    page.url,
                    source,
                    status,
                    self.run_id,
                    reason=art.error,
                    http_status=page.status,
                    article_id=result.article_id,
                )
            bump(self.db, self.run_id, source, **deltas)
        self.emit(
            type="page",
            source=source,
            url=page.url,
            status=result.status if not art.error else "failed",
            title=art.title,
            reason=art.error,
            alerts=len(result.new_alert_keys),
        )

    def stats(self) -> dict[str, Any]:
        """What this crawl measured: pages processed, seconds per stage, peak memory per process."""
        workers = dict(self.pool.peak_rss_mb) if self.pool else {}
        crawl_mb = peak_rss_mb()
        n = self.pool.workers if self.pool else 0
        # at most n workers run at once: the crawl process plus the n largest worker peaks
        return {
            "pages": self.processed,
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "workers": n,
            "pool_rebuilt": self.pool.rebuilt if self.pool else 0,
            "pool_recycled": self.pool.recycled if self.pool else 0,
            "peak_rss_mb": {
                "crawl": round(crawl_mb, 1),
                **{f"worker-{pid}": round(mb, 1) for pid, mb in workers.items()},
            },
            "peak_rss_mb_total": round(crawl_mb + sum(sorted(workers.values())[-n:] if n else []), 1),
        }


def _die_with_parent(parent_pid: int) -> None:
    """Linux: the child gets SIGKILL when the parent dies (a killed ``newswatch crawl`` stops its crawl)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _prepare_jobdir(path: Path) -> None:
    """Keep a JOBDIR only if the last crawl stopped cleanly (marker ``.clean``); after a kill -9
    its queue may be stale, and the database already says what is left to fetch."""
    marker = path / ".clean"
    if path.exists() and not marker.exists():
        shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    if marker.exists():
        marker.unlink()


def _child(
    config_dir: str,
    db_path: str,
    run_id: int,
    names: list[str],
    stop_event: Any,
    events: Any,
    parent_pid: int,
    log_level: str,
) -> None:
    """Child process body: build the pipeline, run every source's spider in one CrawlerProcess."""
    _die_with_parent(parent_pid)
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(log_level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    db = open_db(db_path)
    try:
        cdir = Path(config_dir)
        settings = load_settings(cdir)
        conf = load_sources(cdir)
        sources = select_sources(conf, names)
        from scrapy.crawler import CrawlerProcess

        from .spiders import SPIDERS

        ctx = CrawlContext(cdir, db, run_id, conf.crawl, events, db_path=Path(db_path))
        base = scrapy_settings(conf.crawl, conf.crawl.user_agent or settings.fetch.user_agent, log_level)
        process = CrawlerProcess(settings=base, install_root_handler=False)
        state = state_dir_for(Path(db_path))
        reasons: dict[str, str] = {}
        jobdirs: dict[str, Path] = {}
        for src in sources:
            jobdir = state / src.name
            _prepare_jobdir(jobdir)
            jobdirs[src.name] = jobdir
            custom: dict[str, Any] = {"JOBDIR": str(jobdir)}
            if getattr(src, "user_agent", None):
                custom["USER_AGENT"] = src.user_agent
            if src.download_delay is not None:
                custom["DOWNLOAD_DELAY"] = src.download_delay
            if src.concurrency_per_domain is not None:
                custom["CONCURRENT_REQUESTS_PER_DOMAIN"] = src.concurrency_per_domain
            cls = type(
                f"{SPIDERS[src.kind].__name__}_{src.name}",
                (SPIDERS[src.kind],),
                {"custom_settings": custom, "name": src.name},
            )
            crawler = process.create_crawler(cls)

            def closed(spider: Any, reason: str, _name: str = src.name) -> None:
                reasons[_name] = reason

            from scrapy import signals

            crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
            process.crawl(crawler, source=src, ctx=ctx)
            ctx.emit(type="source", source=src.name, kind=src.kind, status="started")

        from twisted.internet import reactor, task

        stopping = {"flag": False}

        def watch() -> None:
            if os.getppid() != parent_pid:
                os._exit(1)
            if stop_event is not None and stop_event.is_set() and not stopping["flag"]:
                stopping["flag"] = True
                log.warning("stop requested: closing spiders (JOBDIR keeps their queues)")
                process.stop()

        loop = task.LoopingCall(watch)
        reactor.callWhenRunning(loop.start, 0.2, now=False)
        try:
            process.start(stop_after_crawl=True, install_signal_handlers=True)
        finally:
            if ctx.pool is not None:
                ctx.pool.close()
            record_stats(db, run_id, ctx.stats())
        stopped = stopping["flag"] or any(r != "finished" for r in reasons.values())
        for src in sources:
            reason = reasons.get(src.name, "not started")
            finish_source(db, run_id, src.name, "finished" if reason == "finished" else "stopped", reason)
            jobdir = jobdirs[src.name]
            if reason == "finished":
                shutil.rmtree(jobdir, ignore_errors=True)
            else:
                (jobdir / ".clean").write_text(reason)
        finish_run(db, run_id, "stopped" if stopped else "finished")
        log.info("crawl run %d done", run_id)
    except BaseException as exc:
        finish_run(db, run_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise


def run_crawl(
    config_dir: Path | str | None,
    db_path: Path | str,
    sources: list[str] | None = None,
    stop_event: Any | None = None,
    progress: Progress | None = None,
    log_level: str = "WARNING",
) -> CrawlRun:
    """Crawl ``sources`` (default: every enabled one) in a child process; return the run's counts.

    ``stop_event`` (a ``multiprocessing.Event``) asks the crawl to stop cleanly; ``progress`` is
    called in this process with one dict per event (source started, page stored/failed).
    """
    cdir = find_config_dir(config_dir)
    conf = load_sources(cdir)
    chosen = select_sources(conf, sources, str(cdir / "sources.yaml"))
    if not chosen:
        raise InputError(f"{cdir / 'sources.yaml'}: no enabled sources to crawl")
    db_path = Path(db_path)
    db = open_db(db_path)
    run_id = start_run(db, [(s.name, s.kind) for s in chosen], pid=os.getpid())
    mp = multiprocessing.get_context("spawn")
    events = mp.Queue()
    proc = mp.Process(
        target=_child,
        name=f"newswatch-crawl-{run_id}",
        args=(str(cdir), str(db_path), run_id, [s.name for s in chosen], stop_event, events, os.getpid(), log_level),
    )
    proc.start()

    def drain(timeout: float) -> None:
        try:
            ev = events.get(timeout=timeout)
        except queue_mod.Empty:
            return
        if progress:
            progress(ev)
        while True:
            try:
                ev = events.get_nowait()
            except queue_mod.Empty:
                return
            if progress:
                progress(ev)

    try:
        while proc.is_alive():
            drain(0.2)
        proc.join()
        drain(0.05)
    except KeyboardInterrupt:
        proc.terminate()  # SIGTERM: Scrapy closes spiders cleanly, JOBDIR is kept
        proc.join(30)
        raise
    finally:
        events.close()
    run = load_run(db, run_id)
    if proc.exitcode != 0 and run.status == "running":
        finish_run(db, run_id, "failed", error=f"crawl process exited with code {proc.exitcode}")
        run = load_run(db, run_id)
    db.conn.close()
    return run
