"""A small Slack-compatible Web API server for tests, on 127.0.0.1, over real HTTP.

The real ``slack_sdk.WebClient(base_url=server.base_url)`` talks to it. It implements
``chat.postMessage``, ``chat.update``, ``conversations.history`` and ``auth.test``, keeps every
message it accepted, and can be told to answer the next calls with failures:
``server.fail_next("chat.postMessage", [429, 500, 503])`` (429 carries ``Retry-After``).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class SlackState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []     # accepted chat.postMessage payloads (+ ts)
        self.updates: list[dict[str, Any]] = []      # accepted chat.update payloads
        self.calls: list[tuple[str, int]] = []       # (method, status answered)
        self.failures: dict[str, list[int]] = {}
        self.retry_after = 1
        self.tokens_seen: set[str] = set()
        self._ts = time.time()

    def next_ts(self) -> str:
        with self.lock:
            self._ts = max(self._ts + 0.000100, time.time())
            return f"{self._ts:.6f}"


def _make_handler(state: SlackState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:  # noqa: N802
            method = self.path.strip("/").split("/")[-1].split("?")[0]
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype:
                args = json.loads(raw or b"{}")
            else:
                args = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            auth = self.headers.get("Authorization", "")
            with state.lock:
                state.tokens_seen.add(auth)
                queue = state.failures.get(method) or []
                fail = queue.pop(0) if queue else None
            if fail is not None:
                state.calls.append((method, fail))
                if fail == 429:
                    self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(state.retry_after)})
                else:
                    self._send(fail, {"ok": False, "error": "internal_error"})
                return
            if not auth.startswith("Bearer "):
                state.calls.append((method, 200))
                self._send(200, {"ok": False, "error": "not_authed"})
                return
            state.calls.append((method, 200))
            if method == "chat.postMessage":
                for field in ("blocks", "metadata"):
                    if isinstance(args.get(field), str):
                        args[field] = json.loads(args[field])
                ts = state.next_ts()
                msg = {**args, "ts": ts}
                with state.lock:
                    state.messages.append(msg)
                self._send(200, {"ok": True, "channel": args.get("channel"), "ts": ts, "message": msg})
            elif method == "chat.update":
                for field in ("blocks",):
                    if isinstance(args.get(field), str):
                        args[field] = json.loads(args[field])
                with state.lock:
                    state.updates.append(args)
                self._send(200, {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")})
            elif method == "conversations.history":
                oldest = float(args.get("oldest") or 0)
                with state.lock:
                    msgs = [m for m in state.messages if m.get("channel") == args.get("channel")
                            and float(m["ts"]) >= oldest]
                self._send(200, {"ok": True, "messages": list(reversed(msgs)), "has_more": False})
            elif method == "auth.test":
                self._send(200, {"ok": True, "user_id": "UBOT", "team_id": "T1"})
            else:
                self._send(200, {"ok": False, "error": "unknown_method"})

    return Handler


class SlackServer:
    """Start with ``with SlackServer() as s:``; ``s.base_url`` goes to ``WebClient(base_url=...)``."""

    def __init__(self) -> None:
        self.state = SlackState()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self.state))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/api/"

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.state.messages

    def fail_next(self, method: str, statuses: list[int]) -> None:
        with self.state.lock:
            self.state.failures.setdefault(method, []).extend(statuses)

    def __enter__(self) -> SlackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
