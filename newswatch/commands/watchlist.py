"""``newswatch watchlist``: import lists, show them, try a name against them."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import InputError
from ..models import Finding, alert_key
from ..watchlists.changes import list_change_findings
from ..watchlists.db import list_changes, list_lists, load_entities, save_list
from ..watchlists.importers import FORMATS, import_file
from ..watchlists.model import WatchEntity
from .app import App, Group, pass_app
from .progress import Progress

MAX_SKIPS_SHOWN = 20


@click.group("watchlist", cls=Group)
def watchlist() -> None:
    """Watchlists: import real list files, list them, match a name against them."""


@watchlist.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", required=True, type=click.Choice(FORMATS), help="Format of FILE.")
@click.option("--name", "name", required=True, help="List name (re-importing a name replaces that list).")
@click.option("--alt", type=click.Path(dir_okay=False, path_type=Path), help="OFAC alt.csv (with ofac-sdn).")
@click.option("--monitored", is_flag=True, help="A monitored-entities list (the team's portfolio/suppliers).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@pass_app
def import_cmd(app: App, file: Path, fmt: str, name: str, alt: Path | None, monitored: bool, as_json: bool) -> None:
    """Import FILE as list NAME, replacing any earlier import of NAME in one transaction."""
    if not name.strip():
        raise InputError("--name must not be empty")
    result = import_file(file, fmt, name, alt=alt, monitored=monitored)
    monitored = monitored or any(e.monitored for e in result.entities)
    for line in result.skipped[:MAX_SKIPS_SHOWN]:
        click.echo(f"skipped {line}", err=True)
    if len(result.skipped) > MAX_SKIPS_SHOWN:
        click.echo(f"... and {len(result.skipped) - MAX_SKIPS_SHOWN} more skipped rows", err=True)
    with Progress(f"import {name}", total=len(result.entities), unit="entities") as bar:
        row = save_list(
            app.db,
            name,
            bar.iterate(result.entities),
            fmt=fmt,
            source_file=str(file),
            skipped=len(result.skipped),
            monitored=monitored,
        )
    changes = row.pop("changes")
    alerts = [] if monitored else _change_alerts(app, name, str(file), changes)
    if as_json:
        out = {**row, "rows": result.rows, "skipped_rows": result.skipped, "alerts": alerts}
        click.echo(json.dumps({**out, "changes": [c.row() for c in changes]}, ensure_ascii=False))
    else:
        click.echo(
            f"list {name}: {row['count']} entities imported from {file} ({fmt}), {len(result.skipped)} rows skipped; "
            f"{row['added']} added, {row['removed']} removed, {row['changed']} changed since the last import"
        )
        for a in alerts:
            click.echo(f"alert {a['key']} ({a['status']}): {a['entity']} {a['tie']} - {a['reason']}")


def _monitored_entities(app: App) -> list[WatchEntity]:
    from ..config import resolve_path
    from ..watchlists import load_watchlist_yaml

    ents = [e for f in app.settings.watchlists for e in load_watchlist_yaml(resolve_path(app.config_dir, f))]
    return [e for e in ents + load_entities(app.db, analysed=False) if e.monitored]


def _change_alerts(app: App, name: str, source_file: str, changes: list) -> list[dict[str, str]]:  # noqa: ANN001
    """Monitored entities the re-import put on or took off list ``name``: findings through the
    rules, alerting ones into the outbox (alert groups, silences) in one transaction."""
    from ..alerts.groups import record_alert
    from ..alerts.message import alert_text
    from ..alerts.rules import load_rules
    from ..config import resolve_path
    from ..store import write_transaction

    todo = [c for c in changes if c.change in ("added", "removed")]
    if not todo:
        return []
    findings: list[Finding] = list_change_findings(
        todo, _monitored_entities(app), app.settings.matching, list_name=name, source_file=source_file
    )
    if not findings:
        return []
    rules = load_rules(resolve_path(app.config_dir, app.settings.rules), app.settings.slack.default_channel)
    out = []
    with write_transaction(app.db):
        for f in findings:
            d = rules.decide(f, watched=True, source_kind="filing", watchlists=[name], monitored=True)
            if d.action != "alert":
                out.append(
                    {
                        "key": "",
                        "status": f"not alerted ({d.why})",
                        "entity": f.entity,
                        "tie": f.tie,
                        "reason": f.reason,
                    }
                )
                continue
            # a list change has no article: the alert and its source carry none
            key, what = record_alert(
                app.db,
                group=alert_key(f),
                finding=f,
                finding_id=None,  # type: ignore[arg-type]
                decision=d,
                article_id=None,  # type: ignore[arg-type]
                article={"url": None, "title": f"list {name} re-imported from {source_file}", "source": name},
                text=alert_text(f.entity, f.tie, f.reason),
                settings=app.settings.alerts,
            )
            out.append({"key": key, "status": what, "entity": f.entity, "tie": f.tie, "reason": f.reason})
    return out


@watchlist.command("changes")
@click.option("--name", "name", help="One list only.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON array instead of lines.")
@pass_app
def changes_cmd(app: App, name: str | None, limit: int, as_json: bool) -> None:
    """What re-imports added, removed or changed, newest first."""
    rows = list_changes(app.db, name, limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("no recorded list changes (the first import of a list records none)")
    for r in rows:
        fields = ", ".join(r["detail"].get("fields") or [])
        click.echo(
            f"{r['imported_at']} {r['list']:<16} {r['change']:<8} {r['entity_id']} {r['name']}"
            + (f" ({fields})" if fields else "")
        )


@watchlist.command("ls")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per list per line instead of a table.")
@pass_app
def ls_cmd(app: App, as_json: bool) -> None:
    """Imported lists with their counts and import times (the bundled YAML lists are always loaded too)."""
    rows = list_lists(app.db)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r, ensure_ascii=False))
        return
    if not rows:
        click.echo("no imported lists (the bundled config watchlists are still used)")
    for r in rows:
        flag = " monitored" if r["monitored"] else ""
        click.echo(
            f"{r['name']:<24} {r['count']:>8} entities  {r['format']:<9} {r['imported_at']}{flag}"
            f"  ({r['skipped']} skipped) {r['source_file']}"
        )


@watchlist.command("match")
@click.argument("name")
@click.option("--label", type=click.Choice(["ORG", "PERSON"]), help="Type the name is known to be.")
@click.option("--limit", type=click.IntRange(1, 100), default=5, show_default=True, help="How many candidates.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per candidate per line, best first.")
@pass_app
def match_cmd(app: App, name: str, label: str | None, limit: int, as_json: bool) -> None:
    """Top candidates for NAME across bundled and imported lists, with scores and features."""
    from ..config import resolve_path
    from ..watchlists import Watchlist, load_watchlist_yaml

    entities = []
    for fname in app.settings.watchlists:
        entities += load_watchlist_yaml(resolve_path(app.config_dir, fname))
    wl = Watchlist.from_db(app.db, app.settings.matching, entities)
    found = wl.index.match(name, label, limit=limit, from_ner=label is not None, all_scores=True)
    out = [{**m.public(), "matches": m.score >= wl.index.threshold} for m in found]
    if as_json:
        for c in out:
            click.echo(json.dumps(c, ensure_ascii=False))
        return
    if not out:
        click.echo(f"no candidates for {name!r}")
    for c in out:
        mark = "MATCH" if c["matches"] else "below"
        click.echo(
            f"{c['score']:.3f} {mark} {c['name']} [{c['type']}, {c['list']}] via {c['alias']!r}: "
            f"{json.dumps(c['features'], ensure_ascii=False)}"
        )
