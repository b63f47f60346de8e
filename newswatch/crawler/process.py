"""The crawl process: ``run_crawl`` runs one crawl of the configured sources by Scrapy in a CHILD process.

Twisted's reactor cannot be restarted in one process (``ReactorNotRestartable``), so every crawl
starts a fresh process (multiprocessing *spawn*): a long-running service can crawl any number of
times. The child hands every fetched page, in small batches, to page-worker processes
(:class:`.pipelines.PageQueue` -> :mod:`.workers`: ``Pipeline.prepare_many``, i.e. extraction, NER,
ties, matching and rules) and stores what comes back itself (:func:`newswatch.pipeline.commit`, one
transaction per page), so both
cores work while the reactor keeps fetching and there is one writer. With ``crawl.workers: 0`` the
child runs ``prepare`` itself. It books counts and URL fates in the database as it goes
(:class:`.state.CrawlBook`), so a crawl
killed at any moment loses nothing: what is stored is done, what is not is fetched on the next run.
Scrapy's JOBDIR (one per source, next to the database) resumes the request queue after a clean stop.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue as queue_mod
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import find_config_dir, load_settings
from ..errors import InputError
from ..store import open_db
from .pipelines import Crawl, PageQueue, running_reactor
from .sources import CrawlSettings, load_sources, select_sources
from .state import CrawlBook, CrawlRun, finish_run, finish_source, load_run, record_stats, start_run, state_dir_for
from .workers import die_with_parent

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
    die_with_parent(parent_pid)
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

        book = CrawlBook(db, run_id, events)
        crawl = Crawl(conf.crawl, book, PageQueue(cdir, db, Path(db_path), conf.crawl, book))
        base = scrapy_settings(conf.crawl, conf.crawl.user_agent or settings.fetch.user_agent, log_level)
        shared = conf.crawl.frontier == "redis"
        if shared:  # the request queue and fingerprints live in Redis, shared with other crawlers
            from .frontier import scrapy_settings as frontier_settings

            base.update(frontier_settings(settings.scale))
        process = CrawlerProcess(settings=base, install_root_handler=False)
        state = state_dir_for(Path(db_path))
        reasons: dict[str, str] = {}
        jobdirs: dict[str, Path] = {}
        for src in sources:
            custom: dict[str, Any] = {}
            if not shared:  # a shared frontier is its own queue: no JOBDIR beside the database
                jobdir = state / src.name
                _prepare_jobdir(jobdir)
                jobdirs[src.name] = jobdir
                custom["JOBDIR"] = str(jobdir)
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
            process.crawl(crawler, source=src, crawl=crawl)
            book.emit(type="source", source=src.name, kind=src.kind, status="started")

        from twisted.internet import task

        stopping = {"flag": False}

        def watch() -> None:
            if os.getppid() != parent_pid:
                os._exit(1)
            if stop_event is not None and stop_event.is_set() and not stopping["flag"]:
                stopping["flag"] = True
                log.warning("stop requested: closing spiders (JOBDIR keeps their queues)")
                process.stop()

        loop = task.LoopingCall(watch)
        running_reactor().callWhenRunning(loop.start, 0.2, now=False)
        try:
            process.start(stop_after_crawl=True, install_signal_handlers=True)
        finally:
            crawl.pages.close()
            record_stats(db, run_id, {**book.stats(), **crawl.pages.stats()})
        stopped = stopping["flag"] or any(r != "finished" for r in reasons.values())
        counts = {c.source: c for c in load_run(db, run_id).sources}
        for src in sources:
            reason = reasons.get(src.name, "not started")
            status = "finished" if reason == "finished" else "stopped"
            c = counts[src.name]
            if shared and status == "finished" and not (c.found or c.fetched or c.failed or c.skipped):
                # another crawler of the round did this source's work: nothing here to judge its health by
                status, reason = "idle", "the source's work was done by other crawlers of the round"
            finish_source(db, run_id, src.name, status, reason)
            jobdir = jobdirs.get(src.name)
            if jobdir is None:
                continue
            if reason == "finished":
                shutil.rmtree(jobdir, ignore_errors=True)
            else:
                (jobdir / ".clean").write_text(reason)
        from ..pipeline import judge_sources

        health = judge_sources(db, run_id, conf.crawl.broken_after_runs)
        for name, change in health:
            log.warning("source %s %s", name, change)
            book.emit(type="health", source=name, change=change)
        record_stats(db, run_id, {**book.stats(), **crawl.pages.stats(), "health": health})
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
    # crawlers sharing a frontier run side by side on one database; otherwise one crawl at a time
    run_id = start_run(db, [(s.name, s.kind) for s in chosen], pid=os.getpid(), alone=conf.crawl.frontier != "redis")
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
