"""``newswatch ui``: datasette on the store, with the metadata and links shipped in this package.

Loopback by default. On any other address a token is required: the service's bearer token (the
variable ``service.token_env`` names, at least 16 characters), sent as ``Authorization: Bearer``
or as the password of HTTP basic auth (a browser asks for it). Read-only: datasette reads the file
through ``mode=ro`` connections and no writable query is offered, unless ``--write`` adds the one
writable canned query (a note on an alert, kept in ``alert_actions``).
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from . import database_name

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

MIN_TOKEN = 16
WRITE_QUERIES = {
    "note_on_an_alert": {
        "title": "Add a note to an alert",
        "description": "Kept in alert_actions as action 'note' (shown in the triage log and the alert's message).",
        "sql": (
            "insert into alert_actions (alert_key, alert_id, action, user_name, at, detail) "
            "select key, id, 'note', 'ui', strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), :note "
            "from alerts where id = :alert_id"
        ),
        "write": True,
        "on_success_message": "Note added",
    }
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metadata(db_file: Path, *, write: bool = False) -> dict[str, Any]:
    """The bundled metadata with its tables and queries under the database's name."""
    data = yaml.safe_load(resources.files("newswatch.ui").joinpath("metadata.yaml").read_text(encoding="utf-8"))
    queries = dict(data.pop("queries", {}))
    if write:
        queries.update(WRITE_QUERIES)
    tables = data.pop("tables", {})
    return {**data, "databases": {database_name(db_file): {"tables": tables, "queries": queries}}}


def build_app(db_file: Path, *, write: bool = False, token: str | None = None) -> ASGIApp:
    """The ASGI app: datasette on ``db_file`` (already migrated by the caller), behind the token gate
    when a token is given."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from . import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="newswatch-ui")
    ds = Datasette(
        files=[str(db_file)],
        metadata=metadata(db_file, write=write),
        settings={"default_page_size": 50, "sql_time_limit_ms": 3000, "allow_download": False, "suggest_facets": False},
    )
    app: ASGIApp = ds.app()
    return TokenGate(app, token) if token else app


class TokenGate:
    """Let a request through only with the token (bearer, or basic auth's password)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    def allowed(self, header: bytes | None) -> bool:
        if not header:
            return False
        kind, _, value = header.partition(b" ")
        if kind.lower() == b"bearer":
            return hmac.compare_digest(value.strip(), self.token)
        if kind.lower() == b"basic":
            try:
                _, _, password = base64.b64decode(value.strip(), validate=True).partition(b":")
            except ValueError:
                return False
            return hmac.compare_digest(password, self.token)
        return False

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization")
        if self.allowed(header):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"www-authenticate", b'Basic realm="newswatch", charset="UTF-8"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"newswatch ui: the service token is required\n"})


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (``port`` 0 picks a free one); its address is known before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def serve(app: ASGIApp, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until SIGINT/SIGTERM."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    server.run(sockets=[sock])
