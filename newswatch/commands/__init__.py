"""The ``newswatch`` command line: thin wrappers over the pipeline, the store and the outbox.

One click group; each module here holds the commands of one area and is added below, one line
each (``ingest``/``demo``/``init-db``/``init-config``, ``crawl``, ``alerts``/``silence``/``rules``/``digest``,
``watchlist``, ``run``/``schedule``, ``ui``/``export``, ``worker``/``committer``). :mod:`.app` holds what they share.
"""

from __future__ import annotations

import logging
import sqlite3
import sys

import click

from ..errors import NewswatchError
from . import alerts, crawl, ingest, scale, service, ui, watchlist
from .app import App, Group


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
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


cli.add_command(ingest.ingest)
cli.add_command(ingest.demo)
cli.add_command(ingest.init_db)
cli.add_command(ingest.init_config)
cli.add_command(crawl.crawl)
cli.add_command(alerts.alerts)
cli.add_command(alerts.silence)
cli.add_command(alerts.rules)
cli.add_command(alerts.digest)
cli.add_command(watchlist.watchlist)
cli.add_command(service.run_cmd)
cli.add_command(service.schedule_cmd)
cli.add_command(ui.ui_cmd)
cli.add_command(ui.export_cmd)
cli.add_command(scale.worker_cmd)
cli.add_command(scale.committer_cmd)


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


__all__ = ["App", "cli", "main"]
