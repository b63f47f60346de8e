"""``newswatch alerts``, ``silence``, ``rules`` and ``digest``: the outbox, silences, the rules, the digest."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import click
import sqlite_utils

from ..alerts.digest import build_digest, collect_digest
from ..alerts.duration import iso, parse_duration
from ..alerts.feedback import load_penalties
from ..alerts.rules import Penalty
from ..alerts.silences import add_silence, list_silences, remove_silence
from ..config import resolve_path
from ..errors import DeliveryFailed
from ..models import ALERT_STATUSES, FetchedPage, SourceKind
from .app import App, Group, pass_app, read_html_file, report_delivery
from .progress import Progress

# -- alerts ------------------------------------------------------------------------------------


@click.group(cls=Group)
def alerts() -> None:
    """Alerts in the outbox."""


@alerts.command("ls")
@click.option("--status", type=click.Choice(ALERT_STATUSES), help="Only this status.")
@click.option("--since", help="Only alerts created in the last DURATION (e.g. 24h, 7d).")
@click.option("--limit", type=click.IntRange(1, 1_000_000), help="Only the newest N.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert per line.")
@pass_app
def alerts_ls(app: App, status: str | None, since: str | None, limit: int | None, as_json: bool) -> None:
    """List alerts (oldest first): a table, or JSON lines with --json."""
    from ..alerts.outbox import list_alerts

    cutoff = iso(time.time() - parse_duration(since, "--since")) if since else None
    rows = list_alerts(app.db, status, since=cutoff, newest_first=limit is not None)
    if limit is not None:
        rows = list(reversed(rows[:limit]))
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo("no alerts" + (f" with status {status}" if status else "") + (f" since {since}" if since else ""))
        return
    click.echo(alerts_table(rows))


def alerts_table(rows: list[dict[str, Any]]) -> str:
    """Alerts as a plain-text table for people: one line each, the last error under a failed one."""
    head = ["key", "status", "severity", "created", "entity", "tie", "reason"]
    table = [
        [
            r["key"],
            r["status"],
            r.get("severity") or "",
            str(r.get("created_at") or "")[:16].replace("T", " "),
            _cut(r.get("entity") or "", 36),
            r.get("tie") or "",
            _cut(r.get("reason") or "", 48),
        ]
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *table]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
    for r, cells in zip(rows, table, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if r["status"] in ("failed", "pending") and r.get("last_error"):
            lines.append(f"    last error: {_cut(r['last_error'], 200)}")
    return "\n".join(lines)


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@alerts.command("deliver")
@click.option("--now", is_flag=True, help="Retry alerts waiting for their backoff time now.")
@pass_app
def alerts_deliver(app: App, now: bool) -> None:
    """Send every pending alert (Slack if a token is set, else print them).

    The token is checked first (Slack ``auth.test``). Exits 5 when anything was not delivered: a
    bad token or unreachable Slack (nothing tried), or alerts that failed or will be retried."""
    from ..alerts.outbox import deliver_pending
    from ..alerts.sinks import DeliveryError

    sink = app.sink()
    try:
        checked = sink.check()
    except DeliveryError as exc:
        raise DeliveryFailed(f"nothing delivered: {exc}") from None
    if checked:
        click.echo(checked, err=True)
    # the terminal sink prints the alerts themselves: no bar between them
    bar = Progress("deliver", unit="alerts", enabled=None if sink.marks_sent else False)

    def shown(done: int, total: int, outcome: str) -> None:
        bar.total = total
        bar.advance(outcome=outcome)

    with bar:
        report = deliver_pending(
            app.db,
            sink,
            settings=app.settings.alerts,
            ignore_backoff=now,
            ui_base_url=app.settings.ui.base_url,
            progress=shown,
        )
    report_delivery(report)
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
                "skipped": len(report.skipped),
                "halted": report.halted,
            }
        )
    )
    if not report.ok:
        why = report.halted or next(iter(report.errors.values()), "")
        raise DeliveryFailed(
            f"{len(report.errors)} not delivered ({len(report.failed)} failed, {len(report.skipped)} not tried): {why}"
        )


@alerts.command("retry")
@click.argument("key")
@pass_app
def alerts_retry(app: App, key: str) -> None:
    """Put a `failed` alert back to `pending` (fresh retry deadline)."""
    from ..alerts.outbox import retry_failed

    retry_failed(app.db, key)
    click.echo(f"alert {key} pending again")


# -- silence -----------------------------------------------------------------------------------


@click.group("silence", cls=Group)
def silence() -> None:
    """Silences: findings about a muted entity are stored, marked `silenced`, never posted."""


@silence.command("add")
@click.option("--entity", required=True, help="Entity name (as in alerts) or watchlist id.")
@click.option("--tie", type=click.Choice(["blacklist", "delisting", "award"]), help="Only this tie.")
@click.option("--reason", help="Only this reason (glob, e.g. '*Entity List*').")
@click.option("--for", "duration", required=True, help="How long, e.g. 12h, 30d, 1w.")
@click.option("--why", required=True, help="Why (shown in `silence ls`).")
@click.option("--json", "as_json", is_flag=True, help="Print the silence as JSON.")
@pass_app
def silence_add(
    app: App, entity: str, tie: str | None, reason: str | None, duration: str, why: str, as_json: bool
) -> None:
    """Silence an entity (optionally one tie / reason) for a while."""
    row = add_silence(app.db, entity=entity, tie=tie, reason=reason, duration=duration, why=why)
    click.echo(
        json.dumps(row, ensure_ascii=False)
        if as_json
        else f"silence {row['id']}: {row['entity']} {row['tie'] or 'any tie'} {row['reason'] or 'any reason'} "
        f"until {row['expires_at']} ({row['why']})"
    )


@silence.command("ls")
@click.option("--all", "show_all", is_flag=True, help="Include expired and removed silences.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_app
def silence_ls(app: App, show_all: bool, as_json: bool) -> None:
    """List silences in force (newest first)."""
    rows = list_silences(app.db, include_inactive=show_all)
    for r in rows:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
        else:
            state = "active" if r["active"] else ("removed" if r["removed_at"] else "expired")
            click.echo(
                f"{r['id']:>4}  {state:<7} {r['entity']}  tie={r['tie'] or '*'}  reason={r['reason'] or '*'}  "
                f"until {r['expires_at']}  why: {r['why']}"
            )
    if not rows and not as_json:
        click.echo("no silences in force")


@silence.command("rm")
@click.argument("silence_id", type=click.IntRange(1, 2**63 - 1))
@pass_app
def silence_rm(app: App, silence_id: int) -> None:
    """End a silence now."""
    row = remove_silence(app.db, silence_id)
    click.echo(f"silence {row['id']} removed ({row['entity']})")


# -- rules -------------------------------------------------------------------------------------


@click.group("rules", cls=Group)
def rules() -> None:
    """Alert rules (config/rules.yaml)."""


@rules.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@pass_app
def rules_check(app: App, file: str | None) -> None:
    """Validate a rules file (default: the configured one)."""
    path = Path(file) if file else resolve_path(app.config_dir, app.settings.rules)
    loaded = app.verify_rules(path)  # valid, and the lists its rules name exist (bundled or imported)
    click.echo(f"{path}: {len(loaded.rules)} rules OK: " + ", ".join(r.name for r in loaded.rules))


def _read_only_penalties(path: Path, amount: float) -> list[Penalty]:
    if not path.is_file():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return load_penalties(sqlite_utils.Database(conn), amount)
    except sqlite3.DatabaseError:
        return []
    finally:
        conn.close()


@rules.command("test")
@click.option("--html", "html_file", required=True, type=click.Path(dir_okay=False), help="The page file.")
@click.option("--url", "page_url", required=True, help="The URL the page came from.")
@click.option(
    "--source-kind",
    type=click.Choice(["news", "filing", "on-demand"]),
    default="on-demand",
    show_default=True,
    help="Source kind the rules see.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def rules_test(app: App, html_file: str, page_url: str, source_kind: SourceKind, as_json: bool) -> None:
    """Show which rule takes each finding of a page and why. Writes nothing, sends nothing."""
    body = read_html_file(html_file)
    pipeline = app.pipeline
    penalties = _read_only_penalties(app.db_path, app.settings.alerts.false_positive_penalty)
    explained = pipeline.explain(FetchedPage(url=page_url, body=body, source_kind=source_kind), penalties)
    article, decided, traces = explained.article, explained.decided, explained.traces
    out: list[dict[str, Any]] = [
        {
            "finding": f.public(),
            "action": d.action,
            "rule": d.rule,
            "channel": d.channel,
            "severity": d.severity,
            "mention": d.mention,
            "why": d.why,
            "rules_tried": tr,
        }
        for (f, d), tr in zip(decided, traces, strict=True)
    ]
    if as_json:
        click.echo(
            json.dumps(
                {"url": page_url, "title": article.title, "nlp": explained.nlp, "decisions": out},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"{article.title or page_url}: {len(out)} findings")
    click.echo(f"nlp: {explained.nlp.get('why', '')}")
    for o in out:
        f = o["finding"]
        click.echo(f"- {f['entity']} {f['tie']} {f['reason']} [{f['confidence']:.2f}]")
        where = f" to {o['channel'] or 'default channel'} severity {o['severity']}" if o["action"] == "alert" else ""
        click.echo(f"  -> {o['action'].upper()} by {o['rule'] or '(none)'}{where}")
        click.echo(f"  why: {o['why']}")
        for line in o["rules_tried"]:
            click.echo(f"     {line}")
    if not out:
        click.echo("no findings: no rule applies")


# -- digest ------------------------------------------------------------------------------------


@click.command("digest")
@click.option("--since", default="24h", show_default=True, help="Period, e.g. 24h, 7d.")
@click.option("--print", "print_only", is_flag=True, help="Print the digest instead of posting it.")
@click.option("--json", "as_json", is_flag=True, help="Print the digest as JSON (implies --print).")
@pass_app
def digest(app: App, since: str, print_only: bool, as_json: bool) -> None:
    """One summary of the period's alerts by severity: posted to Slack if configured, else printed."""
    seconds = parse_duration(since, "--since")
    data = collect_digest(app.db, since=iso(time.time() - seconds))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    text, blocks, plain = build_digest(data, since)
    sink = None if print_only else app.sink()
    if sink is None or not sink.marks_sent:
        click.echo(plain)
        return
    posted = sink.post(channel=None, text=text, blocks=blocks, key=f"digest:{data['until']}")
    click.echo(f"digest of {data['total']} alerts posted ({sink.name} {posted.ts if posted else ''})")
