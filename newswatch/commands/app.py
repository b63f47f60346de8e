"""What every command shares: :class:`App` (config, settings, database, pipeline, built lazily),
the error-handling click group, and reading a page file."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import sqlite_utils

from ..config import Settings, find_config_dir, load_settings
from ..errors import InputError, NewswatchError
from ..store import db_path, open_db

# The stages are imported inside the properties and commands that use them, so `--help`,
# `rules check` and config errors answer without loading spaCy, Slack or the scheduler.
if TYPE_CHECKING:
    from ..alerts.outbox import DeliveryReport
    from ..alerts.rules import Rules
    from ..alerts.sinks import Sink
    from ..pipeline import Pipeline


class App:
    """What a command needs, built lazily: config dir, settings, database path and file, pipeline."""

    def __init__(self, config: str | None, db: str | None) -> None:
        self.config_option = config
        self.db_option = db
        self._settings: Settings | None = None
        self._db: sqlite_utils.Database | None = None
        self._pipeline: Pipeline | None = None

    @property
    def config_dir(self) -> Path:
        return find_config_dir(self.config_option)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_dir)
        return self._settings

    @property
    def db_path(self) -> Path:
        """The database file: ``--db``, else ``NEWSWATCH_DB``, else settings ``database:``."""
        return db_path(self.db_option, self.settings.database)

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            path = self.db_path
            try:
                self._db = open_db(path)
            except sqlite3.DatabaseError as exc:
                raise InputError(f"database {path}: {exc}") from None
        return self._db

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            from ..pipeline import Pipeline

            self.verify_rules()
            self._pipeline = Pipeline.from_config(self.config_option)
        return self._pipeline

    def verify_rules(self, rules_path: Path | None = None) -> Rules:
        """The configured rules (or ``rules_path``), checked against the watchlists they name (bundled
        + imported in the database)."""
        from ..alerts.rules import verify_rule_lists

        return verify_rule_lists(self.config_dir, self.settings, self.db_path, rules_path)

    def sink(self) -> Sink:
        from ..alerts.sinks import sink_from_settings

        return sink_from_settings(self.settings.slack, self.settings.alerts)


pass_app = click.make_pass_decorator(App)


class UserError(click.ClickException):
    """A :class:`NewswatchError` as click shows it: ``Error: <one line>`` and its exit code."""

    def __init__(self, exc: Exception | str, exit_code: int) -> None:
        super().__init__(str(exc))
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class; ours varies


class Group(click.Group):
    """Turns user errors raised anywhere in a command into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewswatchError as exc:
            raise UserError(exc, exc.exit_code) from None
        except sqlite3.OperationalError as exc:
            raise UserError(f"database: {exc}", 4) from None


def read_html_file(html_file: str, max_bytes: int | None = None) -> bytes:
    """The bytes of a page file given on the command line; a clear error if it is missing, larger
    than ``max_bytes`` (``fetch.max_bytes``, as for a fetched page) or not HTML."""
    from ..nlp.extract import looks_like_html

    path = Path(html_file)
    if not path.is_file():
        raise InputError(f"{html_file}: no such file")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise InputError(
            f"{html_file}: {size} bytes is over fetch.max_bytes ({max_bytes}); a page that large is not read"
        )
    body = path.read_bytes()
    if not looks_like_html(body):
        raise InputError(f"{html_file}: does not look like HTML (no HTML tags near the start)")
    return body


def report_delivery(report: DeliveryReport) -> None:
    """One line on stderr per alert sent, reply sent or alert not delivered."""
    for key in report.sent + report.recovered:
        click.echo(f"alert {key} sent", err=True)
    for key in report.replies:
        click.echo(f"reply {key} sent", err=True)
    for key, err in report.errors.items():
        click.echo(f"alert {key} not delivered: {err}", err=True)
    if report.halted:
        click.echo(f"delivery stopped: {report.halted}; {len(report.skipped)} not tried (still pending)", err=True)
