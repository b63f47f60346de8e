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
from typing import Any

import uvicorn

from ..alerts.sinks import SlackSink, TerminalSink
from ..config import Settings, find_config_dir, load_settings
from ..errors import ConfigError
from .api import ServiceState, build_app
from .ingest import IngestQueue
from .scheduler import CrawlRunner, CrawlScheduler, jobs_db_path
from .ssrf import UrlGuard

log = logging.getLogger(__name__)


class Service:
    """Build with :meth:`from_config`, then :meth:`run` (blocks until a signal or :meth:`request_stop`)."""

    def __init__(self, config_dir: Path, db_path: Path, settings: Settings, host: str, port: int,
                 token: str, with_scheduler: bool = True) -> None:
        self.config_dir = config_dir
        self.db_path = db_path
        self.settings = settings
        self.host = host
        self.port = port
        self.token = token
        self.with_scheduler = with_scheduler
        self._stop = threading.Event()

    @classmethod
    def from_config(cls, config: str | None, db_path: Path, host: str | None, port: int | None,
                    with_scheduler: bool = True) -> Service:
        cdir = find_config_dir(config)
        settings = load_settings(cdir)
        token = os.environ.get(settings.service.token_env, "")
        if len(token) < 16:
            raise ConfigError(settings.service.token_env, "environment",
                              "the API token is missing or shorter than 16 characters",
                              f"export {settings.service.token_env}=$(python -c 'import secrets; "
                              f"print(secrets.token_urlsafe(32))')")
        return cls(cdir, db_path, settings, host or settings.service.host,
                   settings.service.port if port is None else port, token, with_scheduler)

    def request_stop(self, *_args: Any) -> None:
        self._stop.set()

    def run(self) -> None:
        from ..pipeline import Pipeline

        svc = self.settings.service
        pipeline = Pipeline.from_config(self.config_dir)
        guard = UrlGuard(allow=svc.allow)

        def sink() -> Any:
            return SlackSink.from_env(self.settings.slack) or TerminalSink()

        def slack_client() -> Any:
            s = SlackSink.from_env(self.settings.slack)
            return s.client if s else None

        ingest = IngestQueue(self.db_path, self.settings, pipeline, sink, guard)
        scheduler = None
        if self.with_scheduler:
            runner = CrawlRunner(self.config_dir, self.db_path, self.settings.schedule.lock_lease_seconds,
                                 nice=self.settings.schedule.crawl_nice)
            jobs_db = jobs_db_path(self.db_path, self.settings.schedule)
            scheduler = CrawlScheduler(runner, self.settings.schedule, jobs_db)
        state = ServiceState(ingest, scheduler, os.environ.get(svc.slack_signing_secret_env) or None, slack_client)
        # TODO(integrator): mount the alerts issue's Slack interactivity routes here:
        #   from ..alerts.interactive import slack_routes
        #   extra_routes = slack_routes(self.config_dir, self.db_path)
        app = build_app(state, self.token, extra_routes=[])
        server = uvicorn.Server(uvicorn.Config(app, host=self.host, port=self.port, log_level="warning",
                                               access_log=False, lifespan="off"))
        old = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        ingest.start()
        if scheduler:
            scheduler.start()
        web = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        web.start()
        while not server.started and web.is_alive():
            time.sleep(0.05)
        if not web.is_alive():
            self._shutdown(server, web, ingest, scheduler)
            raise ConfigError("service", f"{self.host}:{self.port}", "the HTTP server could not start",
                              "is the port already in use? pick another with --port")
        if self.port == 0 and server.servers and server.servers[0].sockets:
            self.port = server.servers[0].sockets[0].getsockname()[1]
        nxt = scheduler.next_run_time if scheduler else None
        log.warning("newswatch service listening on http://%s:%d (next crawl %s)", self.host, self.port,
                    nxt.isoformat() if nxt else "not scheduled")
        try:
            while not self._stop.wait(0.5):
                if not web.is_alive():
                    log.error("HTTP server stopped unexpectedly; shutting down")
                    break
        finally:
            log.warning("shutting down")
            self._shutdown(server, web, ingest, scheduler)
            for sig, handler in old.items():
                signal.signal(sig, handler)
            log.warning("stopped cleanly")

    def _shutdown(self, server: uvicorn.Server, web: threading.Thread, ingest: IngestQueue,
                  scheduler: CrawlScheduler | None) -> None:
        server.should_exit = True
        if scheduler:
            scheduler.shutdown()
        ingest.stop()
        web.join(timeout=10)
