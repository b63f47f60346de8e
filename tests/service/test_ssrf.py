"""SSRF guard: address rules (with the IPv6 wrappings), schemes, redirects and pinning over real HTTP."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newswatch.config import FetchSettings
from newswatch.errors import FetchError
from newswatch.service.ssrf import SsrfRefused, UrlGuard, address_problem, safe_fetch

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.1": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "cloud metadata",
    "fe80::1": "link-local",
    "100.64.0.1": "carrier-grade NAT",
    "100.127.255.254": "carrier-grade NAT",
    "fd00::1": "unique-local",
    "fc12:3456::1": "unique-local",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:10.0.0.1": "private",
    "::ffff:169.254.169.254": "metadata",
    "64:ff9b::a00:1": "private",  # NAT64 of 10.0.0.1
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::": "metadata",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:f5ff:fffe": "private",  # Teredo, client 10.0.0.1
    "240.0.0.1": "reserved",
    "198.18.0.1": "private",
    "192.0.2.1": "private",
}


@pytest.mark.parametrize("addr,why", sorted(REFUSED.items()))
def test_non_public_addresses_are_refused_with_the_reason(addr: str, why: str) -> None:
    problem = address_problem(ipaddress.ip_address(addr))
    assert problem is not None and why in problem, (addr, problem)
    host = f"[{addr}]" if ":" in addr else addr
    with pytest.raises(SsrfRefused, match=why):
        UrlGuard().check(f"http://{host}/x")


@pytest.mark.parametrize(
    "addr", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"]
)
def test_public_addresses_pass(addr: str) -> None:
    assert address_problem(ipaddress.ip_address(addr)) is None
    host = f"[{addr}]" if ":" in addr else addr
    assert UrlGuard().check(f"https://{host}/") == [str(ipaddress.ip_address(addr))]


@pytest.mark.parametrize(
    "url,why",
    [
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("ftp://example.com/x", "scheme 'ftp' is not allowed"),
        ("gopher://example.com/", "scheme 'gopher'"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("example.com/x", "no scheme"),
        ("http:///nohost", "no host"),
        ("http://user:pw@example.com/", "user:password"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata host"),
    ],
)
def test_bad_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(SsrfRefused, match=why):
        UrlGuard(resolver=lambda h, p: ["93.184.216.34"]).check(url)


def test_every_resolved_address_must_be_public() -> None:
    guard = UrlGuard(resolver=lambda h, p: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(SsrfRefused, match=r"mixed\.example resolves to a private address"):
        guard.check("http://mixed.example/")


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(SsrfRefused, match="does not resolve"):
        UrlGuard().check("http://no-such-host.invalid/")


def test_localhost_name_resolves_to_loopback_and_is_refused() -> None:
    with pytest.raises(SsrfRefused, match=r"localhost resolves to .*loopback"):
        UrlGuard().check("http://localhost:8080/")


def test_allowlist_by_cidr_and_by_host() -> None:
    assert UrlGuard(allow=["127.0.0.0/8:9"]).check("http://127.0.0.1:9/") == ["127.0.0.1"]
    assert UrlGuard(allow=["localhost:9"]).check("http://localhost:9/")
    with pytest.raises(SsrfRefused, match="private"):
        UrlGuard(allow=["127.0.0.0/8:*"]).check("http://10.0.0.1/")


# -- over real HTTP -------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        targets = {
            "/to-private": "http://10.0.0.1/admin",
            "/to-metadata": "http://169.254.169.254/latest/meta-data/",
            "/to-file": "file:///etc/passwd",
            "/to-page": "/page",
        }
        if self.path in targets:
            self.send_response(302)
            self.send_header("Location", targets[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/drip":  # a body that trickles in: each read is quick, the whole never ends in time
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"<p>" * 10)
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            return
        body = f"<html><head><title>t</title></head><body><p>host={self.headers['Host']}</p></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    "path,why",
    [
        ("/to-private", r"10\.0\.0\.1 is a private address"),
        ("/to-metadata", "cloud metadata"),
        ("/to-file", "file:///etc/passwd.*only http"),
    ],
)
def test_redirect_hops_are_checked(server: str, path: str, why: str) -> None:
    guard = UrlGuard(allow=["127.0.0.1/32:*"])
    with pytest.raises(FetchError, match=why):
        safe_fetch(server + path, FetchSettings(), guard, total_seconds=10)


def test_allowed_fetch_follows_a_good_redirect_and_keeps_the_host_header(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    guard = UrlGuard(allow=["localhost:*"], resolver=lambda h, p: ["127.0.0.1"])
    page = safe_fetch(f"http://localhost:{port}/to-page", FetchSettings(), guard, total_seconds=10)
    assert page.final_url == f"http://localhost:{port}/page"
    assert f"host=localhost:{port}".encode() in page.body  # connected to the pinned IP, Host kept


def test_connection_is_pinned_to_the_checked_address(server: str) -> None:
    """``rebind.test`` is unknown to the system resolver: the fetch only works because the transport
    connects to the address the guard checked instead of looking the name up again."""
    port = server.rsplit(":", 1)[1]
    lookups: list[str] = []
    guard = UrlGuard(allow=["127.0.0.1/32:*"], resolver=lambda h, p: lookups.append(h) or ["127.0.0.1"])
    page = safe_fetch(f"http://rebind.test:{port}/page", FetchSettings(), guard, total_seconds=10)
    assert f"host=rebind.test:{port}".encode() in page.body
    assert set(lookups) == {"rebind.test"}


def test_a_changed_dns_answer_is_checked_again_before_connecting(server: str) -> None:
    """DNS rebinding: first answer public-allowed, the next answer private: refused, never connected."""
    port = server.rsplit(":", 1)[1]
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    guard = UrlGuard(allow=["127.0.0.1/32:*"], resolver=lambda h, p: next(answers))
    with pytest.raises(SsrfRefused, match=r"rebind\.test resolves to a private address"):
        safe_fetch(f"http://rebind.test:{port}/page", FetchSettings(), guard, total_seconds=10)


def test_size_limit_is_enforced(server: str) -> None:
    guard = UrlGuard(allow=["127.0.0.1/32:*"])
    with pytest.raises(FetchError, match="too large"):
        safe_fetch(server + "/page", FetchSettings(max_bytes=10), guard, total_seconds=10)


def test_pinning_to_an_ipv6_address() -> None:
    class V6Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    httpd = V6Server(("::1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        port = httpd.server_address[1]
        guard = UrlGuard(allow=["[::1/128]:*"], resolver=lambda h, p: ["::1"])
        page = safe_fetch(f"http://v6.test:{port}/page", FetchSettings(), guard, total_seconds=10)
        assert f"host=v6.test:{port}".encode() in page.body
        with pytest.raises(SsrfRefused, match="loopback"):
            safe_fetch(f"http://v6.test:{port}/page", FetchSettings(), UrlGuard(resolver=lambda h, p: ["::1"]), 10)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_total_time_limit_stops_a_dripping_body(server: str) -> None:
    guard = UrlGuard(allow=["127.0.0.1/32:*"])
    with pytest.raises(FetchError, match="total time limit"):
        safe_fetch(server + "/drip", FetchSettings(timeout_seconds=5), guard, total_seconds=1)
