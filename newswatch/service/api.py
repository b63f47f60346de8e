"""The HTTP API served by ``newswatch run`` (Starlette; uvicorn serves it).

Everything needs ``Authorization: Bearer $NEWSWATCH_API_TOKEN`` except the ``/slack/...`` routes,
which Slack signs (verified with ``slack_sdk.signature.SignatureVerifier``). ``/openapi.json``
describes the routes (from the endpoint docstrings, via Starlette's ``SchemaGenerator``).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.schemas import SchemaGenerator
from starlette.types import ASGIApp, Receive, Scope, Send

from .ingest import IngestQueue, QueueFull
from .ssrf import SsrfRefused

log = logging.getLogger(__name__)

SCHEMAS = SchemaGenerator(
    {
        "openapi": "3.0.3",
        "info": {
            "title": "newswatch",
            "version": "0.1.0",
            "description": "On-demand ingestion, alerts and articles of the newswatch service.",
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }
)


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    """A JSON error body: ``{"error": "<one line>"}``."""
    return JSONResponse({"error": message, **extra}, status_code=status)


class BearerAuth:
    """ASGI middleware: a valid bearer token for every path outside ``/slack/``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/slack/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"")
        scheme, _, given = auth.partition(b" ")
        if scheme.lower() != b"bearer" or not given:
            resp = error(401, "missing bearer token: send 'Authorization: Bearer <NEWSWATCH_API_TOKEN>'")
        elif not hmac.compare_digest(given.strip(), self.token):
            resp = error(401, "invalid bearer token")
        else:
            await self.app(scope, receive, send)
            return
        resp.headers["WWW-Authenticate"] = "Bearer"
        await resp(scope, receive, send)


class ServiceState:
    """What the endpoints read: the ingest queue, the scheduler, the database path, Slack settings."""

    def __init__(
        self,
        ingest: IngestQueue,
        scheduler: Any = None,
        slack_secret: str | None = None,
        slack_client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.ingest = ingest
        self.scheduler = scheduler
        self.slack_secret = slack_secret
        self.slack_client_factory = slack_client_factory


def build_app(state: ServiceState, token: str, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The Starlette app. ``extra_routes``: more routes, e.g. the alerts issue's Slack interactivity."""
    ingest = state.ingest
    db_lock, db = ingest._db_lock, ingest.db

    def submit(url: Any, origin: str) -> tuple[int, dict[str, Any]]:
        if not isinstance(url, str) or not url.strip():
            return 400, {"error": "body must be a JSON object with a non-empty string 'url'"}
        url = url.strip()
        try:
            ingest.guard.check(url)
        except SsrfRefused as exc:
            return 400, {"error": str(exc)}
        try:
            sub = ingest.submit(url, origin=origin)
        except QueueFull as exc:
            return 503, {"error": str(exc)}
        body = {
            "id": sub.id,
            "state": sub.state,
            "url": url,
            "duplicate": sub.duplicate,
            "status_url": f"/ingest/{sub.id}",
        }
        return (200 if sub.duplicate else 202), body

    async def post_ingest(request: Request) -> Response:
        """Queue a URL for ingestion (checked against the SSRF rules first).
        ---
        summary: Queue a URL
        requestBody:
          required: true
          content:
            application/json:
              schema: {type: object, required: [url], properties: {url: {type: string, format: uri}}}
        responses:
          202: {description: "Queued: {id, state, url, duplicate, status_url}"}
          200: {description: The same URL was queued recently; its first request's id}
          400: {description: "Refused: bad body, scheme, or a non-public address ({error})"}
          401: {description: Missing or invalid bearer token}
        """
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error(400, 'body is not valid JSON; send {"url": "https://..."}')
        if not isinstance(body, dict):
            return error(400, "body must be a JSON object with a non-empty string 'url'")
        from starlette.concurrency import run_in_threadpool

        status, out = await run_in_threadpool(submit, body.get("url"), "api")
        return JSONResponse(out, status_code=status)

    def get_ingest(request: Request) -> Response:
        """State of an ingest request; when done, ``result`` is the ``newswatch ingest --json`` object.
        ---
        summary: Ingest request state
        parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
        responses:
          200: {description: "{id, url, state (queued|running|done|failed), error, article_id, result}"}
          404: {description: No such request}
        """
        try:
            rid = int(request.path_params["id"])
        except ValueError:
            return error(404, f"no ingest request {request.path_params['id']!r}")
        row = ingest.get(rid)
        return JSONResponse(row) if row else error(404, f"no ingest request {rid}")

    def get_alerts(request: Request) -> Response:
        """Alerts, newest first.
        ---
        summary: List alerts
        parameters:
          - {name: status, in: query, schema: {type: string, enum: [pending, sending, sent, failed]}}
          - {name: limit, in: query, schema: {type: integer, default: 100, maximum: 1000}}
        responses:
          200: {description: "{alerts: [...]}"}
        """
        status = request.query_params.get("status")
        if status and status not in ("pending", "sending", "sent", "failed"):
            return error(400, f"status {status!r}: use pending, sending, sent or failed")
        try:
            limit = max(1, min(int(request.query_params.get("limit", 100)), 1000))
        except ValueError:
            return error(400, "limit must be an integer")
        where, params = ("where status = ?", [status]) if status else ("", [])
        with db_lock:
            rows = [
                dict(r)
                for r in db.query(
                    f"select id, key, status, attempts, last_error, channel, severity, entity, tie, reason, "
                    f"article_id, "
                    f"text, created_at, sent_at from alerts {where} order by id desc limit {limit}",
                    params,
                )
            ]
        return JSONResponse({"alerts": rows})

    def get_article(request: Request) -> Response:
        """One stored article with its entities, findings and alerts (the ``ingest --json`` shape).
        ---
        summary: One article
        parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
        responses:
          200: {description: "{id, source, fetched_at, article, entities, findings, alerts}"}
          404: {description: No such article}
        """
        try:
            aid = int(request.path_params["id"])
        except ValueError:
            return error(404, f"no article {request.path_params['id']!r}")
        with db_lock:
            rows = list(db["articles"].rows_where("id = ?", [aid]))
            if not rows:
                return error(404, f"no article {aid}")
            result = ingest.pipeline.load_result(db, aid, status="stored")
        a = rows[0]
        return JSONResponse(
            {
                "id": aid,
                "source": a["source"],
                "source_kind": a["source_kind"],
                "fetched_at": a["fetched_at"],
                "canonical_url": a["canonical_url"],
                **result.to_json(),
            }
        )

    def health(request: Request) -> Response:
        """Database, scheduler, worker and last crawl.
        ---
        summary: Health
        responses:
          200: {description: "{status: ok, db, scheduler, last_crawl, worker, queue_depth}"}
          503: {description: Something is down (same body, status not ok)}
        """
        out: dict[str, Any] = {"status": "ok"}
        try:
            with db_lock:
                db.execute("select 1").fetchone()
                out["db"] = {"ok": True, "articles": db["articles"].count}
                last = None
                if db["crawl_runs"].exists():
                    rows = list(db.query("select * from crawl_runs order by id desc limit 1"))
                    last = rows[0] if rows else None
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            out["db"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            out["status"] = "degraded"
            last = None
        sched = state.scheduler
        if sched is not None:
            nxt = sched.next_run_time
            out["scheduler"] = {
                "running": sched.running,
                "role": sched.role,
                "next_run": nxt.isoformat() if nxt else None,
                "crawl_running": sched.runner.running.is_set(),
            }
            out["last_crawl"] = {"service": sched.runner.last, "stored": last}
            if not sched.running:
                out["status"] = "degraded"
        else:
            out["scheduler"] = {"running": False}
            out["last_crawl"] = {"stored": last}
        out["worker"] = {"alive": ingest.alive, "queue_depth": ingest.depth()}
        if not ingest.alive:
            out["status"] = "degraded"
        return JSONResponse(out, status_code=200 if out["status"] == "ok" else 503)

    registry = CollectorRegistry(auto_describe=True)
    registry.register(_DbCollector(ingest))

    def metrics(request: Request) -> Response:
        """Prometheus text exposition.
        ---
        summary: Metrics
        responses:
          200: {description: Prometheus text format 0.0.4}
        """
        return PlainTextResponse(generate_latest(registry).decode(), media_type="text/plain; version=0.0.4")

    def openapi(request: Request) -> Response:
        """This OpenAPI document.
        ---
        summary: OpenAPI spec
        responses:
          200: {description: OpenAPI 3 JSON}
        """
        return JSONResponse(SCHEMAS.get_schema(routes=app.routes))

    async def slack_command(request: Request) -> Response:
        """Slack slash command ``/newswatch ingest <url>`` (Slack-signed; no bearer token).
        ---
        summary: Slack slash command
        security: []
        responses:
          200: {description: Slack message JSON (ephemeral acknowledgement or usage help)}
          401: {description: Bad or missing Slack signature}
        """
        raw = await request.body()
        if not state.slack_secret:
            return error(503, "slash command disabled: SLACK_SIGNING_SECRET is not set")
        verifier = SignatureVerifier(state.slack_secret)
        if not verifier.is_valid_request(raw, dict(request.headers)):
            return error(401, "invalid Slack signature")
        from urllib.parse import parse_qs

        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        text = (form.get("text") or "").strip()
        m = re.fullmatch(r"ingest\s+<?([^\s|>]+)(?:\|[^>]*)?>?", text)
        if not m:
            return JSONResponse({"response_type": "ephemeral", "text": "Usage: `/newswatch ingest <url>`"})
        channel = form.get("channel_id") or ""
        from starlette.concurrency import run_in_threadpool

        status, out = await run_in_threadpool(submit, m.group(1), f"slack:{channel}")
        if status >= 400:
            return JSONResponse({"response_type": "ephemeral", "text": f"Not queued: {out['error']}"})
        if out["duplicate"]:
            done = ingest.get(out["id"])
            if done and done["state"] == "done" and channel:
                ingest.notifiers["slack"]({**done, "origin": f"slack:{channel}"})
        return JSONResponse(
            {
                "response_type": "ephemeral",
                "text": f"Queued {m.group(1)} as request {out['id']}; the result will be posted here.",
            }
        )

    routes: list[BaseRoute] = [
        Route("/ingest", post_ingest, methods=["POST"]),
        Route("/ingest/{id}", get_ingest, methods=["GET"]),
        Route("/alerts", get_alerts, methods=["GET"]),
        Route("/articles/{id}", get_article, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
        Route("/slack/commands", slack_command, methods=["POST"]),
        *(extra_routes or []),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(BearerAuth, token=token)

    def notify_slack(row: dict[str, Any]) -> None:
        channel = row["origin"].split(":", 1)[1]
        client = state.slack_client_factory() if state.slack_client_factory else None
        if client is None or not channel:
            log.warning("ingest request %s done but no Slack client to report to channel %r", row["id"], channel)
            return
        client.chat_postMessage(channel=channel, text=slack_summary(row), unfurl_links=False, unfurl_media=False)

    ingest.notifiers["slack"] = notify_slack
    return app


def slack_summary(row: dict[str, Any]) -> str:
    """One mrkdwn message about a finished ingest request (scraped text escaped)."""
    from ..alerts.message import escape_mrkdwn

    url = escape_mrkdwn(row["url"])
    if row["state"] != "done":
        return f"newswatch could not ingest {url}: {escape_mrkdwn(row.get('error') or row['state'])}"
    result = row.get("result") or {}
    title = escape_mrkdwn((result.get("article") or {}).get("title") or row["url"])
    findings = result.get("findings") or []
    lines = [f"newswatch ingested *{title}* ({url}): {len(findings)} finding(s)"]
    for f in findings[:10]:
        lines.append(f"• {escape_mrkdwn(f['entity'])} — {escape_mrkdwn(f['tie'])}: {escape_mrkdwn(f['reason'])}")
    return "\n".join(lines)


class _DbCollector:
    """Metrics read from the database at scrape time (so the crawl child's work counts too)."""

    def __init__(self, ingest: IngestQueue) -> None:
        self.ingest = ingest

    def collect(self) -> Any:
        db = self.ingest.db
        with self.ingest._db_lock:
            articles = db["articles"].count
            extract_failed = db.execute("select count(*) from articles where error is not null").fetchone()[0]
            findings = db["findings"].count
            alerts = dict(db.execute("select status, count(*) from alerts group by status").fetchall())
            ingest = dict(db.execute("select state, count(*) from ingest_requests group by state").fetchall())
            crawl_failed = 0
            if db["crawl_urls"].exists() and "status" in db["crawl_urls"].columns_dict:
                crawl_failed = db.execute("select count(*) from crawl_urls where status = 'failed'").fetchone()[0]
        c = CounterMetricFamily("newswatch_pages_fetched", "Pages fetched and stored (crawl and on-demand)")
        c.add_metric([], articles)
        yield c
        c = CounterMetricFamily("newswatch_pages_failed", "Pages that failed", labels=["stage"])
        c.add_metric(["extract"], extract_failed)
        c.add_metric(["crawl_fetch"], crawl_failed)
        c.add_metric(["ingest"], ingest.get("failed", 0))
        yield c
        c = CounterMetricFamily("newswatch_findings", "Findings stored")
        c.add_metric([], findings)
        yield c
        c = CounterMetricFamily("newswatch_alerts", "Alerts by outcome", labels=["status"])
        for status in ("sent", "failed", "pending", "sending"):
            c.add_metric([status], alerts.get(status, 0))
        yield c
        g = GaugeMetricFamily("newswatch_ingest_queue_depth", "On-demand ingest requests waiting or running")
        g.add_metric([], self.ingest.depth())
        yield g
