"""Helpers for service tests: a fixture web site, a test config dir and `newswatch run` as a real process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.paths import CONFIG, DEMO_PAGES, ROOT

PAGES = DEMO_PAGES
TOKEN = "test-token-0123456789abcdef"


class FixtureSite:
    """Serves the demo pages plus redirects on ``host`` (default 127.0.0.2, so 127.0.0.1 stays un-allowlisted)."""

    def __init__(self, host: str = "127.0.0.2", redirects: dict[str, str] | None = None, delay: float = 0.0) -> None:
        self.redirects = dict(redirects or {})
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                site.hits.append(self.path)
                if self.path in site.redirects:
                    self.send_response(302)
                    self.send_header("Location", site.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                name = self.path.lstrip("/").split("?")[0]
                path = PAGES / name
                if not name.endswith(".html") or not path.is_file():
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if delay:
                    time.sleep(delay)
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FixtureSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_config(dest: Path, **overrides: Any) -> Path:
    """Copy the bundled config to ``dest`` and merge ``overrides`` into settings.yaml (one level deep)."""
    shutil.copytree(CONFIG, dest)
    path = dest / "settings.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data))
    return dest


class ServiceProcess:
    """``python -m newswatch --config C --db D run --port P`` as a child process."""

    def __init__(
        self, config: Path, db: Path, log: Path, env: dict[str, str] | None = None, args: list[str] | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        full_env = {**os.environ, "NEWSWATCH_API_TOKEN": TOKEN, **(env or {})}
        for var in ("NEWSWATCH_DB", "NEWSWATCH_CONFIG"):
            full_env.pop(var, None)
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newswatch",
                "-v",
                "--config",
                str(config),
                "--db",
                str(db),
                "run",
                "--port",
                str(self.port),
                *(args or []),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(ROOT),
        )
        self.client = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"service exited with {self.proc.returncode}:\n{self.log()}")
            try:
                self.client.get("/health")
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"service not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.client.close()
        self._log.close()
        return self.proc.returncode

    def ingest_and_wait(self, url: str, timeout: float = 60) -> dict[str, Any]:
        r = self.client.post("/ingest", json={"url": url})
        assert r.status_code in (200, 202), r.text
        return self.wait_request(r.json()["id"], timeout)

    def wait_request(self, rid: int, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.client.get(f"/ingest/{rid}").json()
            if row["state"] in ("done", "failed"):
                return row
            time.sleep(0.1)
        raise AssertionError(f"request {rid} not finished after {timeout}s: {json.dumps(row)}\n{self.log()}")


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
