"""``newswatch run``: the scheduler, the ingest worker and the HTTP API in one process.

``--role`` picks what this process does when the work is spread over machines (README "Scaling
out"): ``all`` (the default: everything, plus the page-stream committer when
``crawl.page_queue: redis``), ``crawler`` (the scheduled crawl, the API, the outbox), ``committer``
(stores what stream workers prepared, the API, the outbox; needs ``crawl.page_queue: redis``) and
``worker`` (a page worker on the stream, no API: as ``newswatch worker``).

uvicorn serves in a thread; the main thread owns the signal handlers. On SIGTERM/SIGINT the
service stops accepting requests, stops the scheduler, asks a running crawl to stop at its next
safe point (its ``stop_event``), waits for it, lets the worker finish the request in hand, and
releases the crawl lock.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from ..alerts.outbox import Outbox
from ..alerts.sinks import Sink, SlackSink, sink_from_settings
from ..config import Settings, find_config_dir, load_settings
from ..errors import ConfigError, DeliveryFailed
from .app import ServiceState, build_app
from .ingest import IngestQueue
from .scheduler import CrawlRunner, CrawlScheduler, jobs_db_path
from .slack import SlackNotifier
from .ssrf import UrlGuard

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from ..crawler.remote import StreamCommitter
    from ..crawler.streams import PageStream

log = logging.getLogger(__name__)

ROLES = ("all", "crawler", "committer", "worker")


class CommitterThread:
    """The page-stream committer in a thread of the service (``--role all`` or ``committer``)."""

    def __init__(self, committer: StreamCommitter) -> None:
        self.committer = committer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="committer", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.committer.run(self._stop)
            except Exception:  # noqa: BLE001 - Redis or the database away: log, wait, go on
                log.exception("page-stream committer stopped; starting again in 5 s")
                self._stop.wait(5.0)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


class Service:
    """Build with :meth:`from_config`, then :meth:`run` (blocks until a signal or :meth:`request_stop`)."""

    def __init__(
        self,
        config_dir: Path,
        db_path: Path,
        settings: Settings,
        host: str,
        port: int,
        token: str,
        with_scheduler: bool = True,
        role: str = "all",
    ) -> None:
        self.config_dir = config_dir
        self.db_path = db_path
        self.settings = settings
        self.host = host
        self.port = port
        self.token = token
        self.with_scheduler = with_scheduler and role in ("all", "crawler")
        self.role = role
        self._stop = threading.Event()

    @classmethod
    def from_config(
        cls,
        config: str | None,
        db_path: Path,
        host: str | None,
        port: int | None,
        with_scheduler: bool = True,
        role: str = "all",
    ) -> Service:
        cdir = find_config_dir(config)
        settings = load_settings(cdir)
        if role not in ROLES:
            raise ConfigError("newswatch run", "--role", f"unknown role {role!r}", f"one of {', '.join(ROLES)}")
        token = os.environ.get(settings.service.token_env, "")
        if len(token) < 16 and role != "worker":  # a page worker serves no API
            raise ConfigError(
                settings.service.token_env,
                "environment",
                "the API token is missing or shorter than 16 characters",
                f"export {settings.service.token_env}=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')",
            )
        return cls(
            cdir,
            db_path,
            settings,
            host or settings.service.host,
            settings.service.port if port is None else port,
            token,
            with_scheduler,
            role,
        )

    def request_stop(self, *_args: Any) -> None:
        self._stop.set()

    def page_stream(self) -> PageStream | None:
        """The Redis page stream when ``crawl.page_queue: redis`` (None otherwise)."""
        from ..crawler.sources import load_sources

        if load_sources(self.config_dir).crawl.page_queue != "redis":
            if self.role == "committer":
                raise ConfigError(
                    str(self.config_dir / "sources.yaml"),
                    "crawl.page_queue",
                    "the committer role stores pages from the Redis page stream, but page_queue is local",
                    "set crawl.page_queue: redis (and run `newswatch worker` processes)",
                )
            return None
        from ..crawler.streams import PageStream, connect

        stream = PageStream(connect(self.settings.scale), self.settings.scale)
        stream.ensure_groups()
        return stream

    def run_worker(self) -> None:
        """``--role worker``: a page worker on the stream until SIGTERM/SIGINT."""
        from ..crawler.remote import StreamWorker

        old = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            StreamWorker(self.config_dir, self.db_path).run(self._stop)
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)

    def run(self) -> None:
        from ..pipeline import Pipeline

        if self.role == "worker":
            self.run_worker()
            return
        stream = self.page_stream()
        svc = self.settings.service
        pipeline = Pipeline.from_config(self.config_dir)
        guard = UrlGuard(allow=svc.allow)

        def sink() -> Sink:
            return sink_from_settings(self.settings.slack, self.settings.alerts)

        self.check_delivery(sink())

        def slack_client() -> WebClient | None:
            s = SlackSink.from_env(self.settings.slack)
            return s.client if s else None

        state = ServiceState(self.settings, self.db_path, slack_client_factory=slack_client)
        ingest = IngestQueue(
            self.db_path, self.settings, pipeline, sink, guard, notifiers={"slack": SlackNotifier(state)}
        )
        state.ingest = ingest
        scheduler = None
        if self.with_scheduler:
            runner = CrawlRunner(
                self.config_dir,
                self.db_path,
                self.settings.schedule.lock_lease_seconds,
                nice=self.settings.schedule.crawl_nice,
            )
            jobs_db = jobs_db_path(self.db_path, self.settings.schedule)
            scheduler = CrawlScheduler(runner, self.settings.schedule, jobs_db)
        state.scheduler = scheduler
        state.page_stream = stream
        committer = None
        if stream is not None and self.role in ("all", "committer"):
            from ..crawler.remote import StreamCommitter

            committer = CommitterThread(StreamCommitter(self.config_dir, self.db_path))
        app = build_app(state, self.token)
        outbox = Outbox(self.db_path, self.settings.alerts, sink, svc.deliver_every_seconds, self.settings.ui.base_url)
        server = uvicorn.Server(
            uvicorn.Config(app, host=self.host, port=self.port, log_level="warning", access_log=False, lifespan="off")
        )
        old = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        ingest.start()
        outbox.start()
        if scheduler:
            scheduler.start()
        if committer:
            committer.start()
        web = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        web.start()
        while not server.started and web.is_alive():
            time.sleep(0.05)
        if not web.is_alive():
            self._shutdown(server, web, ingest, scheduler, outbox, committer)
            raise ConfigError(
                "service",
                f"{self.host}:{self.port}",
                "the HTTP server could not start",
                "is the port already in use? pick another with --port",
            )
        if self.port == 0 and server.servers and server.servers[0].sockets:
            self.port = server.servers[0].sockets[0].getsockname()[1]
        nxt = scheduler.next_run_time if scheduler else None
        log.warning(
            "newswatch service (role %s) listening on http://%s:%d (next crawl %s)",
            self.role,
            self.host,
            self.port,
            nxt.isoformat() if nxt else "not scheduled",
        )
        try:
            while not self._stop.wait(0.5):
                if not web.is_alive():
                    log.error("HTTP server stopped unexpectedly; shutting down")
                    break
        finally:
            log.warning("shutting down")
            self._shutdown(server, web, ingest, scheduler, outbox, committer)
            for sig, handler in old.items():
                signal.signal(sig, handler)
            log.warning("stopped cleanly")

    @staticmethod
    def check_delivery(sink: Sink) -> None:
        """``auth.test`` before anything starts: a wrong or revoked token refuses to start (every
        alert would fail); an unreachable Slack is logged and the outbox keeps trying."""
        from ..alerts.sinks import DeliveryError

        try:
            checked = sink.check()
        except DeliveryError as exc:
            if exc.permanent:
                raise DeliveryFailed(f"alerts cannot be delivered: {exc}") from None
            log.error("alerts cannot be delivered now (the outbox keeps trying): %s", exc)
            return
        if checked:
            log.warning("alerts: %s sink, %s", sink.name, checked)

    def _shutdown(
        self,
        server: uvicorn.Server,
        web: threading.Thread,
        ingest: IngestQueue,
        scheduler: CrawlScheduler | None,
        outbox: Outbox,
        committer: CommitterThread | None = None,
    ) -> None:
        server.should_exit = True
        if committer:
            committer.stop()  # the result in hand is stored and acknowledged first
        outbox.stop()
        if scheduler:
            scheduler.shutdown()
        ingest.stop()
        web.join(timeout=10)
