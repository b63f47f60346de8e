"""``newswatch ui`` and ``newswatch export``: the store in a browser, an entity's record in a file."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import InputError
from .app import App, pass_app


@click.command("ui")
@click.option(
    "--host", default=None, help="Address to bind (default from settings: 127.0.0.1); beyond loopback: a token."
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (default from settings: 8001; 0: any free)."
)
@click.option("--write", is_flag=True, help="Offer the writable query (a note on an alert); read-only without it.")
@pass_app
def ui_cmd(app: App, host: str | None, port: int | None, write: bool) -> None:
    """Browse and search the store in a browser (datasette)."""
    host = host or app.settings.ui.host
    port = app.settings.ui.port if port is None else port
    try:
        import datasette  # noqa: F401 - the optional extra
    except ImportError:
        raise InputError("newswatch ui needs datasette: pip install -e '.[ui]' (or '.[test]')") from None
    from ..ui import server

    app.db  # noqa: B018 - open (and migrate) the store before datasette reads it
    token = None
    if not server.is_loopback(host):
        env = app.settings.service.token_env
        token = os.environ.get(env, "")
        if len(token) < server.MIN_TOKEN:
            raise InputError(
                f"newswatch ui on {host} (beyond loopback) needs the service token: set {env} to at least "
                f"{server.MIN_TOKEN} characters, or listen on 127.0.0.1"
            )
    sock = server.bind(host, port)
    where = sock.getsockname()
    shown = f"[{where[0]}]" if ":" in where[0] else where[0]
    db_file = Path(app.db_path).resolve()
    click.echo(f"newswatch ui: http://{shown}:{where[1]}/{db_file.stem} ({'read-write' if write else 'read-only'})")
    server.serve(server.build_app(db_file, write=write, token=token), sock)


@click.command("export")
@click.option("--entity", required=True, help="The entity's name (as in its findings, any case) or watchlist id.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="File to write (default stdout).")
@pass_app
def export_cmd(app: App, entity: str, fmt: str, output: str | None) -> None:
    """Write an entity's timeline (every finding, oldest first, with evidence and source) as CSV or JSON."""
    from ..ui.export import entity_timeline, to_csv, to_json

    rows = entity_timeline(app.db, entity)
    text = to_csv(rows) if fmt == "csv" else to_json(entity, rows)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"{len(rows)} findings about {entity} written to {output}", err=True)
    else:
        click.echo(text, nl=False)
