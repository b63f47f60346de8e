"""``newswatch crawl``: crawl the configured sources, progress on stderr, the run's table at the end."""

from __future__ import annotations

import json
from typing import Any

import click

from ..crawler.state import COUNTS, CrawlRun
from .app import App, pass_app
from .progress import Progress


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


def event_line(event: dict[str, Any]) -> str:
    """A crawl progress event as one line of text."""
    if event.get("type") == "source":
        return f"[{event['source']}] {event['kind']} source started"
    if event.get("type") == "health":
        return f"[{event['source']}] source {event['change']}"
    status = event.get("status")
    extra = event.get("title") or event.get("reason") or ""
    alerts = f" (+{event['alerts']} alerts)" if event.get("alerts") else ""
    return f"[{event.get('source')}] {status:<9} {event.get('url')} {extra}{alerts}".rstrip()


class CrawlProgress:
    """The crawl's events as lines on stderr and, at a terminal, a bar under them counting pages
    by outcome (stored, unchanged, failed, ...) with the rate."""

    def __init__(self) -> None:
        self.bar = Progress("crawl", unit="pages")

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("type") == "page":
            self.bar.advance(outcome=str(event.get("status") or "other"))
        self.bar.note(event_line(event))

    def __enter__(self) -> CrawlProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


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
    if quiet:
        run = run_crawl(app.config_dir, app.db_path, list(sources) or None)
    else:
        with CrawlProgress() as shown:
            run = run_crawl(app.config_dir, app.db_path, list(sources) or None, progress=shown)
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
