"""A real ``newswatch ui`` process on a database, for the UI tests (and its URL)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.paths import CONFIG


def newswatch_cmd(db: Path, *args: str, config: Path = CONFIG) -> list[str]:
    return [sys.executable, "-m", "newswatch", "--config", str(config), "--db", str(db), *args]


def make_demo_db(path: Path) -> Path:
    """The README's demo command, for real: the fixture web crawled and the founding-case page run."""
    subprocess.run(newswatch_cmd(path, "demo"), check=True, capture_output=True, timeout=300)
    return path


@contextmanager
def ui_server(db: Path, *args: str, env: dict[str, str] | None = None, config: Path = CONFIG) -> Iterator[str]:
    """``newswatch ui --port 0`` in its own process; yields the database's URL it prints. Its output
    goes to a file beside the database (a pipe nobody reads would fill and stall the server)."""
    log_path = db.parent / f"ui-{db.stem}-{os.getpid()}-{time.monotonic_ns()}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            newswatch_cmd(db, "ui", "--port", "0", *args, config=config),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    try:
        url = _url_from_log(proc, log_path)
        _wait_until_serving(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _url_from_log(proc: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("newswatch ui: "):
                return line.split()[2]
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"newswatch ui did not start: {log_path.read_text(errors='replace')[-2000:]}")


def _wait_until_serving(url: str, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url + ".json", timeout=2)  # any answer (even 401) means it serves
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
