"""``newswatch worker`` and ``newswatch committer``: the two consumers of the Redis page stream
(``crawl.page_queue: redis``; README "Scaling out"). Thin: the loops live in ``crawler/remote.py``."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from ..errors import ServiceUnavailable
from .app import App, pass_app


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM/SIGINT: the loop finishes what it holds, then returns."""
    stop = threading.Event()
    old = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


@contextmanager
def redis_errors(what: str, url: str) -> Iterator[None]:
    """Redis unreachable at start: one line naming the URL and the setting, exit 6."""
    import redis

    try:
        yield
    except redis.ConnectionError as exc:
        raise ServiceUnavailable(
            f"{what}: Redis at {url} cannot be reached ({exc}); start it or set scale.redis_url "
            "(or the variable scale.redis_url_env names)"
        ) from None


@click.command("worker")
@click.option("--name", default=None, help="Consumer name in the stream's group (default host:pid).")
@click.option("--max-pages", type=click.IntRange(1), default=None, help="Exit after handing on this many pages.")
@pass_app
def worker_cmd(app: App, name: str | None, max_pages: int | None) -> None:
    """Prepare pages from the Redis page stream (extraction, NER, ties, matching, rules) for the committer."""
    from ..crawler.remote import StreamWorker

    app.verify_rules()
    scale = app.settings.scale
    with redis_errors("newswatch worker", scale.url()), stop_on_signals() as stop:
        worker = StreamWorker(app.config_dir, app.db_path, name)
        done = worker.run(stop, max_pages=max_pages)
    click.echo(f"worker {worker.name}: {done} pages handed on", err=True)


@click.command("committer")
@click.option("--until-drained", is_flag=True, help="Exit once no page is waiting, held or to be stored.")
@pass_app
def committer_cmd(app: App, until_drained: bool) -> None:
    """Store what page workers prepared, one transaction per page (one committer at a time)."""
    from ..crawler.remote import StreamCommitter

    app.db  # noqa: B018 - create the schema (and fail early on a bad file)
    scale = app.settings.scale
    with redis_errors("newswatch committer", scale.url()), stop_on_signals() as stop:
        committer = StreamCommitter(app.config_dir, app.db_path)
        stored = committer.run(stop, until_drained=until_drained)
    click.echo(f"committer: {stored} pages stored or booked ({committer.store_seconds:.3f} s storing)", err=True)
