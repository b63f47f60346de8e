"""The HTTP API served by ``newswatch run``: Starlette, assembled from the route modules.

Everything needs ``Authorization: Bearer $NEWSWATCH_API_TOKEN`` except the ``/slack/...`` routes,
which Slack signs (:mod:`.slack`), ``/docs`` and ``GET /health`` without a token (liveness only: no
data). Every error, 404 and 405 included, is JSON ``{"error": ...}``. :mod:`.routes` holds the API's
own endpoints, :mod:`.slack` Slack's, :mod:`.metrics` the Prometheus collector; endpoints read
:class:`ServiceState` from ``request.app.state.service``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from ..crawler.streams import PageStream
    from .ingest import IngestQueue
    from .scheduler import CrawlScheduler


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    """A JSON error body: ``{"error": "<one line>"}``."""
    return JSONResponse({"error": message, **extra}, status_code=status)


@dataclass
class ServiceState:
    """What the endpoints read: settings, the database file, the ingest queue, the scheduler and a
    Slack client factory (for answering the slash command)."""

    settings: Settings
    db_path: Path
    ingest: IngestQueue | None = None
    scheduler: CrawlScheduler | None = None
    page_stream: PageStream | None = None  # crawl.page_queue: redis (its depth and workers in /metrics)
    slack_client_factory: Callable[[], WebClient | None] | None = None


PUBLIC_PATHS = {"/health", "/docs"}  # answered without a token (health then says only "alive")


class BearerAuth:
    """ASGI middleware: a valid bearer token for every path outside ``/slack/``; ``/health`` and
    ``/docs`` without any Authorization header pass, marked unauthenticated (a wrong token is
    still refused)."""

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
        scope.setdefault("state", {})["authenticated"] = False
        if not auth and scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if scheme.lower() != b"bearer" or not given:
            resp = error(401, "missing bearer token: send 'Authorization: Bearer <NEWSWATCH_API_TOKEN>'")
        elif not hmac.compare_digest(given.strip(), self.token):
            resp = error(401, "invalid bearer token")
        else:
            scope["state"]["authenticated"] = True
            await self.app(scope, receive, send)
            return
        resp.headers["WWW-Authenticate"] = "Bearer"
        await resp(scope, receive, send)


class BodyLimit:
    """ASGI middleware: no request body over ``limit`` bytes reaches an endpoint or memory.

    A declared ``Content-Length`` over the limit is refused at once; otherwise the body is read
    here, counting as it streams, and refused (413) the moment it passes the limit; a body within
    it is handed to the endpoint. So an unauthenticated caller of ``/slack/...`` (which must be
    reachable from the internet) can make the service hold at most ``limit`` bytes per request."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").strip()
        if declared and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        resp = error(413, f"request body over {self.limit} bytes")
        resp.headers["Connection"] = "close"
        await resp(scope, receive, send)


def build_app(state: ServiceState, token: str) -> Starlette:
    """The Starlette app: the API's routes and Slack's, behind :class:`BearerAuth`, every body
    bounded by ``service.max_request_bytes`` (:class:`BodyLimit`)."""
    from starlette.exceptions import HTTPException
    from starlette.requests import Request

    from . import routes, slack

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        resp = error(exc.status_code, str(exc.detail))
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    app = Starlette(routes=[*routes.ROUTES, *slack.ROUTES], exception_handlers={HTTPException: http_error})
    app.state.service = state
    app.add_middleware(BearerAuth, token=token)
    app.add_middleware(BodyLimit, limit=state.settings.service.max_request_bytes)  # outermost: runs first
    return app
