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


def newswatch_cmd(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "newswatch", "--config", str(CONFIG), "--db", str(db), *args]


def make_demo_db(path: Path) -> Path:
    """The README's demo command, for real: the fixture web crawled and the founding-case page run."""
    subprocess.run(newswatch_cmd(path, "demo"), check=True, capture_output=True, timeout=300)
    return path


@contextmanager
def ui_server(db: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``newswatch ui --port 0`` in its own process; yields the database's URL it prints."""
    proc = subprocess.Popen(
        newswatch_cmd(db, "ui", "--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("newswatch ui: "):
            proc.kill()
            raise AssertionError(f"newswatch ui did not start: {line!r} {proc.communicate(timeout=10)}")
        url = line.split()[2]
        _wait_until_serving(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


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
