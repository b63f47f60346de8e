"""The ``newswatch`` command line: thin wrappers over the pipeline, store and outbox."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import sqlite_utils

from .config import Settings, find_config_dir, load_settings
from .errors import InputError, NewswatchError
from .models import FetchedPage
from .store import db_path, open_db

# The stages are imported inside the commands that use them, so `--help`, `rules check` and config
# errors answer without loading Slack, trafilatura or the scheduler.
if TYPE_CHECKING:
    from .alerts.outbox import DeliveryReport

log = logging.getLogger("newswatch")


class App:
    """What a command needs, built lazily: config dir, settings, database, pipeline."""

    def __init__(self, config: str | None, db: str | None) -> None:
        self._config_opt = config
        self._db_opt = db
        self._settings: Settings | None = None
        self._db: sqlite_utils.Database | None = None
        self._pipeline = None

    @property
    def config_dir(self) -> Path:
        return find_config_dir(self._config_opt)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_dir)
        return self._settings

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            path = db_path(self._db_opt, self.settings.database)
            try:
                self._db = open_db(path)
            except sqlite3.DatabaseError as exc:
                raise InputError(f"database {path}: {exc}") from None
        return self._db

    @property
    def pipeline(self):  # noqa: ANN201 - imported lazily: loading spaCy is slow
        if self._pipeline is None:
            from .pipeline import Pipeline

            self.verify_rules()
            self._pipeline = Pipeline.from_config(self._config_opt)
        return self._pipeline

    def verify_rules(self, rules_path: Path | None = None):  # noqa: ANN201 - Rules
        """The configured rules (or ``rules_path``), checked against the watchlists they name (bundled
        + imported in the database)."""
        from .alerts.rules import verify_rule_lists

        return verify_rule_lists(
            self.config_dir, self.settings, db_path(self._db_opt, self.settings.database), rules_path
        )

    def sink(self, *, dry_run: bool = False):  # noqa: ANN201
        from .alerts.sinks import sink_from_settings

        return sink_from_settings(self.settings.slack, self.settings.alerts)


pass_app = click.make_pass_decorator(App)


class UserError(click.ClickException):
    """A :class:`NewswatchError` as click shows it: ``Error: <one line>`` and its exit code."""

    def __init__(self, exc: Exception | str, exit_code: int) -> None:
        super().__init__(str(exc))
        self.exit_code = exit_code


class Group(click.Group):
    """Turns user errors raised anywhere in a command into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewswatchError as exc:
            raise UserError(exc, exc.exit_code) from None
        except sqlite3.OperationalError as exc:
            raise UserError(f"database: {exc}", 4) from None


@click.group(cls=Group)
@click.option("--db", "db", envvar="NEWSWATCH_DB", help="SQLite file (default from settings: newswatch.db).")
@click.option(
    "--config",
    "config",
    envvar="NEWSWATCH_CONFIG",
    type=click.Path(file_okay=False),
    help="Config directory (default ./config, else the bundled one).",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.version_option(package_name="newswatch")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: str | None, verbose: int) -> None:
    """newswatch: catch ties between watched entities and government lists or telling awards."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = App(config, db)


def _report_delivery(report: DeliveryReport) -> None:
    for key in report.sent + report.recovered:
        click.echo(f"alert {key} sent", err=True)
    for key in report.replies:
        click.echo(f"reply {key} sent", err=True)
    for key, err in report.errors.items():
        click.echo(f"alert {key} not delivered: {err}", err=True)


@cli.command()
@click.argument("url", required=False)
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False), help="Read the page from FILE instead of fetching."
)
@click.option("--url", "page_url", help="The URL the --html page was fetched from.")
@click.option("--dry-run", is_flag=True, help="Analyse and print; store nothing, send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (article, entities, findings, alerts).")
@click.option("--force", is_flag=True, help="Reprocess even if the stored content is unchanged.")
@pass_app
def ingest(
    app: App, url: str | None, html_file: str | None, page_url: str | None, dry_run: bool, as_json: bool, force: bool
) -> None:
    """Run one page (URL, or --html FILE --url URL) through the pipeline and deliver its alerts."""
    from .nlp.extract import looks_like_html

    if html_file:
        if url and not page_url:
            page_url = url
        if not page_url:
            raise InputError("--html needs --url URL (the address the page came from)")
        path = Path(html_file)
        if not path.is_file():
            raise InputError(f"{html_file}: no such file")
        body = path.read_bytes()
        if not looks_like_html(body):
            raise InputError(f"{html_file}: does not look like HTML (no HTML tags near the start)")
        page = FetchedPage(url=page_url, body=body, content_type="text/html", source="ingest")
    elif url:
        from .fetch import fetch_url

        page = fetch_url(url, app.settings.fetch)
    else:
        raise InputError("give a URL, or --html FILE --url URL")
    pipeline = app.pipeline
    if dry_run:
        result = pipeline.process(page, app.db, dry_run=True)
    else:
        result, report = pipeline.ingest(page, app.db, app.sink(), force=force)
        if report is not None:
            _report_delivery(report)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    _print_result(result)


def _print_result(result: Any) -> None:
    a = result.article
    click.echo(f"{result.status}: {a.title or a.url}")
    if a.error:
        click.echo(f"  no text: {a.error}")
    for f in result.findings:
        via = f" via {f.via}" if f.via else ""
        click.echo(f"  {f.tie:<9} {f.entity} ({f.entity_type}){via} — {f.reason} [{f.confidence:.2f}]")
        click.echo(f"            “{f.evidence}”")
    for al in result.alerts:
        click.echo(f"  alert {al['key']} {al['status']}: {al['text']}")


@cli.group(cls=Group)
def alerts() -> None:
    """Alerts in the outbox."""


@alerts.command("ls")
@click.option(
    "--status", type=click.Choice(["pending", "sending", "sent", "failed", "silenced"]), help="Only this status."
)
@pass_app
def alerts_ls(app: App, status: str | None) -> None:
    """List alerts as JSON lines."""
    where, params = ("status = ?", [status]) if status else (None, [])
    for row in app.db["alerts"].rows_where(where, params, order_by="id"):
        row.pop("payload", None)
        click.echo(json.dumps(row, ensure_ascii=False))


@alerts.command("deliver")
@click.option("--now", is_flag=True, help="Retry alerts waiting for their backoff time now.")
@pass_app
def alerts_deliver(app: App, now: bool) -> None:
    """Send every pending alert (Slack if a token is set, else print them)."""
    from .alerts.outbox import deliver_pending

    report = deliver_pending(app.db, app.sink(), settings=app.settings.alerts, ignore_backoff=now)
    _report_delivery(report)
    click.echo(
        json.dumps(
            {
                "sent": len(report.sent) + len(report.recovered),
                "printed": len(report.printed),
                "replies": len(report.replies),
                "recovered": len(report.recovered),
                "deferred": len(report.deferred),
                "failed": len(report.failed),
                "errors": len(report.errors),
            }
        )
    )


@cli.command()
@click.option(
    "--pages",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of demo pages with manifest.json (default: fixtures/pages).",
)
@click.option(
    "--sites",
    type=click.Path(file_okay=False),
    default=None,
    help="Fixture web to serve on 127.0.0.1 and crawl (default: fixtures/sites).",
)
@pass_app
def demo(app: App, pages: str | None, sites: str | None) -> None:
    """Crawl the bundled fixture web (served on 127.0.0.1), run the bundled founding-case page, and
    show the alerts they raise."""
    from .alerts.outbox import deliver_pending
    from .crawler.cli import format_run, progress_printer
    from .crawler.demo import crawl_fixture_web

    run = crawl_fixture_web(
        app.config_dir,
        db_path(app._db_opt, app.settings.database),
        Path(sites) if sites else None,
        progress=progress_printer,
    )
    click.echo(format_run(run))
    folder = Path(pages) if pages else Path(__file__).resolve().parent.parent / "fixtures" / "pages"
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        raise InputError(f"{manifest}: demo manifest not found")
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    pipeline = app.pipeline
    for entry in entries:
        body = (folder / entry["file"]).read_bytes()
        page = FetchedPage(
            url=entry["url"],
            body=body,
            content_type="text/html",
            source="demo",
            source_kind=entry.get("source_kind", "news"),
        )
        result = pipeline.process(page, app.db)
        _print_result(result)
    report = deliver_pending(app.db, app.sink(), settings=app.settings.alerts)
    _report_delivery(report)
    counts = {r["status"]: r["n"] for r in app.db.query("select status, count(*) n from alerts group by status")}
    click.echo(f"alerts in {app.db.conn.execute('pragma database_list').fetchone()[2]}: {json.dumps(counts)}")


@cli.command("init-db")
@pass_app
def init_db(app: App) -> None:
    """Create the database and its tables (idempotent)."""
    db = app.db
    click.echo(json.dumps({t: db[t].count for t in db.table_names()}))


from .alerts.cli import register as _register_alert_commands  # noqa: E402 - issue 5: silence, rules, digest

_register_alert_commands(cli)

# -- service (issue 6): `newswatch run`, `newswatch schedule` -------------------------------------
from .service.cli import run_cmd, schedule_cmd  # noqa: E402

cli.add_command(run_cmd)
cli.add_command(schedule_cmd)

from .crawler.cli import crawl as _crawl_command  # noqa: E402  (issue 3: crawler)

cli.add_command(_crawl_command)

from .watchlists.cli import watchlist  # noqa: E402  (issue 4)

cli.add_command(watchlist)


def main() -> None:
    """Console entry point: user errors become one line on stderr and a non-zero exit."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except NewswatchError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except sqlite3.OperationalError as exc:
        click.echo(f"error: database: {exc}", err=True)
        sys.exit(4)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
