"""``newswatch run``: the scheduler, the ingest worker and the HTTP API in one process.

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

log = logging.getLogger(__name__)


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
    ) -> None:
        self.config_dir = config_dir
        self.db_path = db_path
        self.settings = settings
        self.host = host
        self.port = port
        self.token = token
        self.with_scheduler = with_scheduler
        self._stop = threading.Event()

    @classmethod
    def from_config(
        cls, config: str | None, db_path: Path, host: str | None, port: int | None, with_scheduler: bool = True
    ) -> Service:
        cdir = find_config_dir(config)
        settings = load_settings(cdir)
        token = os.environ.get(settings.service.token_env, "")
        if len(token) < 16:
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
        )

    def request_stop(self, *_args: Any) -> None:
        self._stop.set()

    def run(self) -> None:
        from ..pipeline import Pipeline

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
        web = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        web.start()
        while not server.started and web.is_alive():
            time.sleep(0.05)
        if not web.is_alive():
            self._shutdown(server, web, ingest, scheduler, outbox)
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
            "newswatch service listening on http://%s:%d (next crawl %s)",
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
            self._shutdown(server, web, ingest, scheduler, outbox)
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
    ) -> None:
        server.should_exit = True
        outbox.stop()
        if scheduler:
            scheduler.shutdown()
        ingest.stop()
        web.join(timeout=10)
