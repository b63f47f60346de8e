"""``newswatch ingest``, ``demo``, ``init-db`` and ``init-config``: one page through the pipeline, the
demo, the schema, an editable copy of the default config."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..config import DEMO_DIR, write_default_config
from ..errors import InputError
from ..models import FetchedPage, IngestResult
from ..store import database_file, table_counts
from .app import App, pass_app, read_html_file, report_delivery
from .crawl import CrawlProgress, format_run

# what --allow-private lets through (link-local, multicast and unspecified never pass the guard)
PRIVATE_NETWORKS = ["0.0.0.0/0:*", "[::/0]:*"]


@click.command()
@click.argument("url", required=False)
@click.option(
    "--html", "html_file", type=click.Path(dir_okay=False), help="Read the page from FILE instead of fetching."
)
@click.option("--url", "page_url", help="The URL the --html page was fetched from.")
@click.option("--dry-run", is_flag=True, help="Analyse and print; store nothing, send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (article, entities, findings, alerts).")
@click.option("--force", is_flag=True, help="Reprocess even if the stored content is unchanged.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Fetch URL even if it is on a private or loopback address (the SSRF guard of the service "
    "applies by default; link-local and cloud metadata addresses stay refused).",
)
@pass_app
def ingest(
    app: App,
    url: str | None,
    html_file: str | None,
    page_url: str | None,
    dry_run: bool,
    as_json: bool,
    force: bool,
    allow_private: bool,
) -> None:
    """Run one page (URL, or --html FILE --url URL) through the pipeline and deliver its alerts."""
    if html_file:
        if url and not page_url:
            page_url = url
        if not page_url:
            raise InputError("--html needs --url URL (the address the page came from)")
        body = read_html_file(html_file, app.settings.fetch.max_bytes)
        page = FetchedPage(url=page_url, body=body, content_type="text/html", source="ingest")
    elif url:
        from ..service.ssrf import UrlGuard, safe_fetch

        # the same guard as URLs handed to the service; --allow-private lets private networks through
        allow = [*app.settings.service.allow, *(PRIVATE_NETWORKS if allow_private else [])]
        page = safe_fetch(url, app.settings.fetch, UrlGuard(allow=allow), app.settings.fetch.timeout_seconds * 3)
    else:
        raise InputError("give a URL, or --html FILE --url URL")
    pipeline = app.pipeline
    if dry_run:
        result = pipeline.process(page, app.db, dry_run=True)
    else:
        result, report = pipeline.ingest(page, app.db, app.sink(), force=force)
        if report is not None:
            report_delivery(report)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    print_result(result)


def print_result(result: IngestResult) -> None:
    """A stored page for people: status and title, then each finding with its evidence, then alerts."""
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


@click.command()
@click.option(
    "--pages",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of demo pages with manifest.json (default: the bundled demo pages).",
)
@click.option(
    "--sites",
    type=click.Path(file_okay=False),
    default=None,
    help="Fixture web to serve on 127.0.0.1 and crawl (default: the bundled fixture web).",
)
@pass_app
def demo(app: App, pages: str | None, sites: str | None) -> None:
    """Crawl the bundled fixture web (served on 127.0.0.1), run the bundled founding-case page, and
    show the alerts they raise."""
    from ..alerts.outbox import deliver_pending, status_counts
    from ..crawler.demo import crawl_fixture_web

    with CrawlProgress() as shown:
        run = crawl_fixture_web(app.config_dir, app.db_path, Path(sites) if sites else None, progress=shown)
    click.echo(format_run(run))
    folder = Path(pages) if pages else DEMO_DIR / "pages"
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
        print_result(pipeline.process(page, app.db))
    report_delivery(
        deliver_pending(app.db, app.sink(), settings=app.settings.alerts, ui_base_url=app.settings.ui.base_url)
    )
    click.echo(f"alerts in {database_file(app.db)}: {json.dumps(status_counts(app.db))}")


@click.command("init-db")
@pass_app
def init_db(app: App) -> None:
    """Create the database and its tables (idempotent)."""
    click.echo(json.dumps(table_counts(app.db)))


@click.command("init-config")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Replace config files already in DIRECTORY.")
def init_config(directory: str, force: bool) -> None:
    """Write an editable copy of the bundled default config into DIRECTORY (then pass --config
    DIRECTORY, set NEWSWATCH_CONFIG, or name it ./config)."""
    for path in write_default_config(directory, overwrite=force):
        click.echo(f"wrote {path}")
    click.echo(f"next: edit {Path(directory) / 'sources.yaml'} and run: newswatch --config {directory} rules check")
