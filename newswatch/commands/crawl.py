"""``newswatch crawl``: crawl the configured sources, progress on stderr, the run's table at the end."""

from __future__ import annotations

import json
from typing import Any

import click

from ..crawler.state import COUNTS, CrawlRun
from .app import App, pass_app


def format_run(run: CrawlRun) -> str:
    """The crawl run as a plain-text table: one row per source and a total."""
    head = ["source", "kind", "status", *COUNTS]
    rows = [[s.source, s.kind, s.status, *(str(getattr(s, c)) for c in COUNTS)] for s in run.sources]
    tot = run.totals()
    rows.append(["total", "", run.status, *(str(tot[c]) for c in COUNTS)])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def fmt(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    lines = [f"crawl run {run.id}: {run.started_at} -> {run.ended_at or '-'} ({run.status})", fmt(head)]
    lines += [fmt(r) for r in rows]
    for source, change in run.health:
        lines.append(f"source {source}: {change} (a source-health alert is pending for the outbox)")
    if run.error:
        lines.append(f"error: {run.error}")
    return "\n".join(lines)


def progress_printer(event: dict[str, Any]) -> None:
    """One line per event on stderr."""
    if event.get("type") == "source":
        click.echo(f"[{event['source']}] {event['kind']} source started", err=True)
        return
    if event.get("type") == "health":
        click.echo(f"[{event['source']}] source {event['change']}", err=True)
        return
    status = event.get("status")
    extra = event.get("title") or event.get("reason") or ""
    alerts = f" (+{event['alerts']} alerts)" if event.get("alerts") else ""
    click.echo(f"[{event.get('source')}] {status:<9} {event.get('url')} {extra}{alerts}".rstrip(), err=True)


@click.command()
@click.option("--source", "sources", multiple=True, help="Crawl only this source (repeatable; default: all enabled).")
@click.option("--json", "as_json", is_flag=True, help="Print the run as one JSON object.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@pass_app
def crawl(app: App, sources: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    """Crawl the sources in sources.yaml and store what they find (alerts stay pending for the outbox).

    Exits 1 when the run failed or every source failed (nothing fetched)."""
    from ..crawler import run_crawl

    app.verify_rules()  # a rule naming a missing watchlist stops here, not in the crawl child
    run = run_crawl(app.config_dir, app.db_path, list(sources) or None, progress=None if quiet else progress_printer)
    if as_json:
        click.echo(json.dumps(run.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_run(run))
    if run.status == "failed":
        raise SystemExit(1)
    failed = [s.source for s in run.sources if s.all_failed]
    if run.sources and len(failed) == len(run.sources):
        click.echo(f"error: every source failed ({', '.join(failed)}): nothing was fetched", err=True)
        raise SystemExit(1)
