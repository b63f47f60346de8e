"""A small Slack-compatible Web API server for tests, on 127.0.0.1, over real HTTP.

The real ``slack_sdk.WebClient(base_url=server.base_url)`` talks to it. It implements
``chat.postMessage`` (with ``thread_ts``), ``chat.update``, ``conversations.history`` (messages carry
their ``metadata``), ``conversations.replies``, ``auth.test`` and an incoming-webhook path
(``/services/T/B/X``, see :attr:`SlackServer.webhook_url`). It keeps every message it accepted,
counts calls, and can be told to answer the next calls with failures:
``server.fail_next("chat.postMessage", [429, 500, 503])`` (429 carries ``Retry-After``), or to
*hang*: ``server.hang("chat.postMessage")`` records the next post as accepted and then never
answers (the client times out or the process is killed while waiting), as when Slack took a
message but the answer was lost; or to *accept, then fail*: ``server.accept_then("chat.postMessage",
[500, "drop"])`` records the next posts as accepted and answers them with that status, or drops
the connection without an answer (a proxy's 5xx, a connection lost after Slack took the post).
``"webhook"`` names the incoming-webhook path in both.

Channels behave as in Slack: the workspace has channels (:attr:`SlackState.channels`, name -> ID;
``server.add_channel(name)``), ``chat.postMessage`` takes a name or an ID and answers with the ID
(messages are kept under the ID), ``conversations.history``/``replies`` and ``chat.update`` take
IDs only (a name is ``channel_not_found``), ``conversations.list`` pages through them. A name the
workspace lacks is ``channel_not_found``; a channel in ``server.state.not_member`` answers
``not_in_channel``. ``server.state.auth_error = "invalid_auth"`` makes every call answer that
error (a wrong or revoked token); ``server.error_next(method, ["msg_too_long"])`` answers the next
calls with Slack error codes (HTTP 200, ``ok: false``).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{5,}")
DEFAULT_CHANNELS = ("general", "risk-alerts", "risk-test", "busy", "filings")


class SlackState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []  # accepted chat.postMessage payloads (+ ts)
        self.updates: list[dict[str, Any]] = []  # accepted chat.update payloads
        self.calls: list[tuple[str, int]] = []  # (method, status answered)
        self.failures: dict[str, list[int]] = {}
        self.retry_after = 1
        self.tokens_seen: set[str] = set()
        self.hang_next: dict[str, int] = {}  # method -> how many calls to record and never answer
        self.hung = threading.Event()  # set once a hung call was recorded
        self.release = threading.Event()  # set at shutdown so hung handlers end
        self.webhook_posts: list[dict[str, Any]] = []
        self.post_delay = 0.0  # seconds chat.postMessage takes to answer
        self.accept_fail: dict[str, list[int | str]] = {}  # method -> answers after recording the post
        self.errors: dict[str, list[str]] = {}  # method -> Slack error codes for the next calls
        self.auth_error: str | None = None  # every call answers this error (a bad token)
        self.channels: dict[str, str] = {}  # channel name -> conversation ID
        self.not_member: set[str] = set()  # channel IDs the bot is not in
        self.list_page_size = 2  # conversations.list pages small, so paging is exercised
        for name in DEFAULT_CHANNELS:
            self.add_channel(name)
        self._ts = time.time()

    def add_channel(self, name: str) -> str:
        with self.lock:
            return self.channels.setdefault(name.lstrip("#"), f"C{len(self.channels) + 1:08d}")

    def channel_id(self, given: str | None, *, names_ok: bool) -> str | None:
        """The ID a call's ``channel`` names, or None (channel_not_found). An ID is taken as it is
        (the slash command's channel, say); a name only where Slack takes one."""
        if not given:
            return None
        if CHANNEL_ID.fullmatch(given):
            return given
        if not names_ok:
            return None
        with self.lock:
            return self.channels.get(given.lstrip("#"))

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
            if self.path.startswith("/services/"):
                self._webhook(method, args)
                return
            with state.lock:
                state.tokens_seen.add(auth)
                queue = state.failures.get(method) or []
                fail = queue.pop(0) if queue else None
                hang = state.hang_next.get(method, 0) > 0 and fail is None
                if hang:
                    state.hang_next[method] -= 1
                codes = state.errors.get(method) or []
                code = state.auth_error or (codes.pop(0) if codes and fail is None and not hang else None)
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
            if code is not None:
                state.calls.append((method, 200))
                self._send(200, {"ok": False, "error": code})
                return
            if method in ("chat.postMessage", "chat.update", "conversations.history", "conversations.replies"):
                cid = state.channel_id(args.get("channel"), names_ok=method == "chat.postMessage")
                if cid is None or (method == "chat.postMessage" and cid in state.not_member):
                    state.calls.append((method, 200))
                    self._send(200, {"ok": False, "error": "channel_not_found" if cid is None else "not_in_channel"})
                    return
                args["channel"] = cid
            state.calls.append((method, 0 if hang else 200))
            if method == "chat.postMessage":
                for field in ("blocks", "metadata"):
                    if isinstance(args.get(field), str):
                        args[field] = json.loads(args[field])
                ts = state.next_ts()
                msg = {**args, "ts": ts}
                with state.lock:
                    state.messages.append(msg)
                    after = state.accept_fail.get(method) or []
                    then = after.pop(0) if after and not hang else None
                if then is not None:
                    self._fail_after_accept(method, then)
                    return
                if hang:
                    state.hung.set()
                    state.release.wait()  # accepted, never answered
                    return
                if state.post_delay:
                    time.sleep(state.post_delay)
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
                    msgs = [
                        m
                        for m in state.messages
                        if m.get("channel") == args.get("channel")
                        and float(m["ts"]) >= oldest
                        and not m.get("thread_ts")
                    ]
                if str(args.get("include_all_metadata")).lower() not in ("1", "true"):
                    msgs = [{k: v for k, v in m.items() if k != "metadata"} for m in msgs]
                msgs = list(reversed(msgs))  # newest first, paged like Slack (limit + cursor)
                start = int(args.get("cursor") or 0)
                limit = min(int(args.get("limit") or 100), 999)
                page = msgs[start : start + limit]
                more = start + limit < len(msgs)
                self._send(
                    200,
                    {
                        "ok": True,
                        "messages": page,
                        "has_more": more,
                        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
                    },
                )
            elif method == "conversations.replies":
                with state.lock:
                    msgs = [
                        m
                        for m in state.messages
                        if m.get("channel") == args.get("channel")
                        and (m["ts"] == args.get("ts") or m.get("thread_ts") == args.get("ts"))
                    ]
                self._send(200, {"ok": True, "messages": msgs, "has_more": False})
            elif method == "auth.test":
                self._send(200, {"ok": True, "user_id": "UBOT", "team_id": "T1", "team": "Test Team"})
            elif method == "conversations.list":
                with state.lock:
                    convs = [{"id": cid, "name": name, "is_channel": True} for name, cid in state.channels.items()]
                start = int(args.get("cursor") or 0)
                size = state.list_page_size
                more = start + size < len(convs)
                self._send(
                    200,
                    {
                        "ok": True,
                        "channels": convs[start : start + size],
                        "response_metadata": {"next_cursor": str(start + size) if more else ""},
                    },
                )
            else:
                self._send(200, {"ok": False, "error": "unknown_method"})

        def _webhook(self, method: str, args: dict[str, Any]) -> None:
            with state.lock:
                queue = state.failures.get("webhook") or []
                fail = queue.pop(0) if queue else None
            if fail is not None:
                state.calls.append(("webhook", fail))
                headers = {"Retry-After": str(state.retry_after)} if fail == 429 else {}
                self._send_text(fail, "rate_limited" if fail == 429 else "internal_error", headers)
                return
            state.calls.append(("webhook", 200))
            with state.lock:
                state.webhook_posts.append(args)
                after = state.accept_fail.get("webhook") or []
                then = after.pop(0) if after else None
            if then is not None:
                self._fail_after_accept("webhook", then)
                return
            self._send_text(200, "ok")

        def _fail_after_accept(self, method: str, then: int | str) -> None:
            """The post is recorded; the answer is a failure status, or no answer at all."""
            if then == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            state.calls.append((f"{method}:after-accept", int(then)))
            self._send(int(then), {"ok": False, "error": "internal_error"})

        def _send_text(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
            raw = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    """A client killed mid-request (crash tests) is expected: no traceback on stderr for it."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SlackServer:
    """Start with ``with SlackServer() as s:``; ``s.base_url`` goes to ``WebClient(base_url=...)``."""

    def __init__(self) -> None:
        self.state = SlackState()
        self.httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self.state))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/api/"

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.state.messages

    @property
    def webhook_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/services/T000/B000/XXXX"

    @property
    def updates(self) -> list[dict[str, Any]]:
        return self.state.updates

    def add_channel(self, name: str) -> str:
        """Create a channel in the test workspace; returns its ID."""
        return self.state.add_channel(name)

    def channel_id(self, name: str) -> str:
        """The ID of an existing channel, by name (with or without '#')."""
        return self.state.channels[name.lstrip("#")]

    def error_next(self, method: str, codes: list[str]) -> None:
        """Answer the next calls of ``method`` with these Slack error codes (HTTP 200, ok false)."""
        with self.state.lock:
            self.state.errors.setdefault(method, []).extend(codes)

    def fail_next(self, method: str, statuses: list[int]) -> None:
        """Answer the next calls of ``method`` (or ``"webhook"``) with these HTTP statuses."""
        with self.state.lock:
            self.state.failures.setdefault(method, []).extend(statuses)

    def accept_then(self, method: str, answers: list[int | str]) -> None:
        """Record each of the next posts of ``method``, then answer with a status or ``"drop"``."""
        with self.state.lock:
            self.state.accept_fail.setdefault(method, []).extend(answers)

    def hang(self, method: str, times: int = 1) -> None:
        """Record the next ``times`` calls of ``method`` as accepted and never answer them."""
        with self.state.lock:
            self.state.hang_next[method] = self.state.hang_next.get(method, 0) + times

    def count(self, method: str, status: int | None = None) -> int:
        """How many calls of ``method`` arrived (optionally: answered with ``status``; 0 = hung)."""
        with self.state.lock:
            return sum(1 for m, s in self.state.calls if m == method and (status is None or s == status))

    def posts_for_key(self, key: str) -> list[dict[str, Any]]:
        """Top-level messages whose metadata carries alert ``key``."""
        with self.state.lock:
            return [
                m
                for m in self.state.messages
                if not m.get("thread_ts") and ((m.get("metadata") or {}).get("event_payload") or {}).get("key") == key
            ]

    def __enter__(self) -> SlackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.state.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
