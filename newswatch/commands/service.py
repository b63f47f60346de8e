"""``newswatch run`` and ``newswatch schedule``: the long-running service and its crawl schedule."""

from __future__ import annotations

import json

import click

from .app import App, pass_app


@click.command("run")
@click.option("--host", default=None, help="Address to bind (default from settings: 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default from settings: 8787; 0 picks a free one).")
@click.option("--no-scheduler", is_flag=True, help="Serve the API and worker only; never crawl.")
@click.option(
    "--role",
    type=click.Choice(["all", "crawler", "committer", "worker"]),
    default="all",
    show_default=True,
    help="What this process does when the work is spread over machines (README: Scaling out).",
)
@pass_app
def run_cmd(app: App, host: str | None, port: int | None, no_scheduler: bool, role: str) -> None:
    """Run the service: the crawl on its schedule, the ingest worker and the HTTP API."""
    from ..service.run import Service
    from ..service.scheduler import build_trigger

    if not no_scheduler and role in ("all", "crawler"):  # a bad cron stops the service before it serves anything
        build_trigger(app.settings.schedule, str(app.config_dir / "settings.yaml"))
    app.verify_rules()
    app.db  # noqa: B018 - create the schema (and fail early on a bad file) before starting threads
    service = Service.from_config(app.config_option, app.db_path, host, port, not no_scheduler, role)
    if role == "worker":
        from .scale import redis_errors

        with redis_errors("newswatch run --role worker", app.settings.scale.url()):
            service.run()
        return
    service.run()


@click.command("schedule")
@click.option(
    "-n", "count", type=click.IntRange(1, 1000), default=5, show_default=True, help="How many run times to show."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def schedule_cmd(app: App, count: int, as_json: bool) -> None:
    """Show the crawl schedule and its next run times."""
    from ..service.scheduler import build_trigger, next_run_times

    sched = app.settings.schedule
    trigger = build_trigger(sched, str(app.config_dir / "settings.yaml"))
    times = [t.isoformat() for t in next_run_times(trigger, count)]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "cron": sched.cron,
                    "timezone": sched.timezone,
                    "misfire_grace_seconds": sched.misfire_grace_seconds,
                    "next": times,
                }
            )
        )
        return
    click.echo(f"crawl schedule: {sched.cron!r} in {sched.timezone} (misfire grace {sched.misfire_grace_seconds}s)")
    for t in times:
        click.echo(f"  {t}")
