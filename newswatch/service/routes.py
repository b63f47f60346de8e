"""The API's own endpoints (module level, each reading ``request.app.state.service``): on-demand
ingestion, alerts, articles, health, metrics and the OpenAPI document. No SQL here: the rows come
from their owners (:mod:`newswatch.articles`, :mod:`newswatch.alerts.outbox`, :mod:`newswatch.store`)."""

from __future__ import annotations

import html
import logging
import sqlite3
from typing import Any

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.schemas import SchemaGenerator

from ..alerts.outbox import list_alerts
from ..articles import article_meta, load_result
from ..store import health_check
from .app import ServiceState, error
from .ingest import IngestQueue, QueueFull
from .metrics import DbCollector, StreamCollector
from .ssrf import SsrfRefused

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
LISTED_STATUSES = ("pending", "sending", "sent", "failed")

log = logging.getLogger(__name__)


def service_of(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def queue_of(request: Request) -> IngestQueue:
    ingest = service_of(request).ingest
    if ingest is None:
        raise RuntimeError("this app has no ingest queue")
    return ingest


def row_id(text: str) -> int | None:
    """A path's row id, or None unless it is a whole number SQLite can hold (1 .. 2**63 - 1)."""
    if not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value < 2**63 else None


def submit_url(ingest: IngestQueue, url: Any, origin: str) -> tuple[int, dict[str, Any]]:
    """Check ``url`` against the SSRF rules and queue it: (HTTP status, body). Shared by
    ``POST /ingest`` and the Slack slash command."""
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
    except sqlite3.Error as exc:  # disk full, a lock held past the busy timeout: nothing was queued
        log.error("ingest request for %s not queued: storage: %s", url, exc)
        return 503, {"error": f"storage unavailable, nothing was queued ({exc}); try again later"}
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
    except (ValueError, UnicodeDecodeError, RecursionError):  # not JSON, too deep, a 5000-digit number
        return error(400, 'body is not valid JSON; send {"url": "https://..."}')
    if not isinstance(body, dict):
        return error(400, "body must be a JSON object with a non-empty string 'url'")
    status, out = await run_in_threadpool(submit_url, queue_of(request), body.get("url"), "api")
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
    rid = row_id(request.path_params["id"])
    if rid is None:
        return error(404, f"no ingest request {request.path_params['id'][:40]!r}")
    row = queue_of(request).get(rid)
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
    if status and status not in LISTED_STATUSES:
        return error(400, f"status {status!r}: use pending, sending, sent or failed")
    try:
        limit = max(1, min(int(request.query_params.get("limit", 100)), 1000))
    except ValueError:
        return error(400, "limit must be an integer")
    ingest = queue_of(request)
    with ingest.db_lock:
        rows = list_alerts(ingest.db, status, limit=limit, newest_first=True)
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
    aid = row_id(request.path_params["id"])
    if aid is None:
        return error(404, f"no article {request.path_params['id'][:40]!r}")
    ingest = queue_of(request)
    with ingest.db_lock:
        meta = article_meta(ingest.db, aid)
        if meta is None:
            return error(404, f"no article {aid}")
        result = load_result(ingest.db, aid, status="stored")
    return JSONResponse(
        {
            "id": aid,
            "source": meta["source"],
            "source_kind": meta["source_kind"],
            "fetched_at": meta["fetched_at"],
            "canonical_url": meta["canonical_url"],
            **result.to_json(),
        }
    )


def health(request: Request) -> Response:
    """Database, scheduler, worker and last crawl; without a token only ``{status: alive}``.
    ---
    summary: Health
    responses:
      200: {description: "{status: ok, db, scheduler, last_crawl, worker, queue_depth}; no token: {status: alive}"}
      503: {description: Something is down (same body, status not ok)}
    """
    if not request.scope.get("state", {}).get("authenticated"):
        return JSONResponse({"status": "alive"})  # no token: liveness only, no data
    state = service_of(request)
    ingest = queue_of(request)
    out: dict[str, Any] = {"status": "ok"}
    checked = health_check(state.db_path)  # its own short-timeout connection: never waits behind a writer
    out["db"] = {"ok": checked["ok"], "articles": checked["articles"]}
    if not checked["ok"]:
        out["db"]["error"] = "; ".join(checked["problems"])
        out["status"] = "degraded"
    last = checked["last_crawl"]
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


def metrics(request: Request) -> Response:
    """Prometheus text exposition.
    ---
    summary: Metrics
    responses:
      200: {description: Prometheus text format 0.0.4}
    """
    registry = getattr(request.app.state, "metrics_registry", None)
    if registry is None:  # one registry per app, built at the first scrape
        registry = CollectorRegistry(auto_describe=True)
        registry.register(DbCollector(queue_of(request)))
        stream = service_of(request).page_stream
        if stream is not None:
            registry.register(StreamCollector(stream))
        ProcessCollector(registry=registry)  # the defaults a custom registry would otherwise lack
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        request.app.state.metrics_registry = registry
    return PlainTextResponse(generate_latest(registry).decode(), media_type="text/plain; version=0.0.4")


def openapi(request: Request) -> Response:
    """This OpenAPI document.
    ---
    summary: OpenAPI spec
    responses:
      200: {description: OpenAPI 3 JSON}
    """
    return JSONResponse(SCHEMAS.get_schema(routes=request.app.routes))


def docs(request: Request) -> Response:
    """The API documented as a page (rendered here from the OpenAPI document: no script, no CDN).
    ---
    summary: API docs (HTML)
    responses:
      200: {description: HTML}
    """
    schema = SCHEMAS.get_schema(routes=request.app.routes)
    items = []
    for path, ops in sorted(schema.get("paths", {}).items()):
        for method, op in ops.items():
            codes = ", ".join(
                f"{code}: {html.escape(str(r.get('description', '')))}"
                for code, r in (op.get("responses") or {}).items()
            )
            items.append(
                f"<li><code>{method.upper()} {html.escape(path)}</code> &mdash; "
                f"{html.escape(op.get('summary', ''))}<br><small>{codes}</small></li>"
            )
    info = schema.get("info", {})
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(info.get('title', 'API'))}</title>"
        f"</head><body><h1>{html.escape(info.get('title', 'API'))} {html.escape(str(info.get('version', '')))}</h1>"
        "<p>Send <code>Authorization: Bearer $NEWSWATCH_API_TOKEN</code>; the machine-readable document is "
        f"<code>/openapi.json</code>.</p><ul>{''.join(items)}</ul></body></html>"
    )
    return HTMLResponse(page)


ROUTES: list[BaseRoute] = [
    Route("/ingest", post_ingest, methods=["POST"]),
    Route("/ingest/{id}", get_ingest, methods=["GET"]),
    Route("/alerts", get_alerts, methods=["GET"]),
    Route("/articles/{id}", get_article, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
    Route("/docs", docs, methods=["GET"], include_in_schema=False),
]
