"""SSRF guard for URLs that people hand in (``POST /ingest``, the Slack slash command).

Rules (OWASP SSRF cheat sheet): http/https only; every A/AAAA record of the host must be a
globally routable unicast address (after unwrapping IPv4-mapped, NAT64, 6to4 and Teredo IPv6
forms); every redirect hop is checked again; the connection is *pinned* to the address that was
checked (the :class:`PinnedTransport` connects to that IP and keeps the name for ``Host`` and
TLS SNI/certificate checks), so a DNS answer that changes between check and connect (rebinding)
cannot reach an internal address. A config allowlist (``service.allow``: host names or CIDRs)
lets the test fixture server on 127.0.0.1 through.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

import httpx

from ..config import FetchSettings
from ..errors import FetchError
from ..fetch import fetch_url
from ..models import FetchedPage

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

NAT64 = ipaddress.ip_network("64:ff9b::/96")
METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"}


class SsrfRefused(FetchError):
    """A URL was refused by the SSRF guard; the message says which rule and why."""

    exit_code = 2


def system_resolver(host: str, port: int) -> list[str]:
    """All A and AAAA addresses of ``host`` (as strings), via the system resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if addr not in seen:
            seen.append(addr)
    return seen


def embedded_addresses(ip: IPAddress) -> list[IPAddress]:
    """The addresses a connection to ``ip`` really reaches: the IPv4 address(es) wrapped in an
    IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address, else ``ip`` itself."""
    out: list[IPAddress] = []
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            out.append(ip.ipv4_mapped)
        if ip in NAT64:
            out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour:
            out.append(ip.sixtofour)
        if ip.teredo:
            out.extend(ip.teredo)  # (server, client)
    return out or [ip]


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched, or None when it is a public unicast address."""
    for a in embedded_addresses(ip):
        shown = f"{a} (inside {ip})" if a != ip else str(a)
        if a.is_loopback:
            return f"{shown} is a loopback address"
        if a.is_link_local:
            extra = " (cloud metadata endpoint)" if str(a) == "169.254.169.254" else ""
            return f"{shown} is a link-local address{extra}"
        if a.is_multicast:
            return f"{shown} is a multicast address"
        if a.is_unspecified:
            return f"{shown} is the unspecified address"
        if isinstance(a, ipaddress.IPv4Address) and a in ipaddress.ip_network("100.64.0.0/10"):
            return f"{shown} is a carrier-grade NAT (100.64.0.0/10) address"
        if isinstance(a, ipaddress.IPv6Address) and a in ipaddress.ip_network("fc00::/7"):
            return f"{shown} is a unique-local (fc00::/7) address"
        if a.is_reserved:
            return f"{shown} is a reserved address"
        if a.is_private:
            return f"{shown} is a private address"
        if not a.is_global:
            return f"{shown} is not a globally routable address"
    return None


class UrlGuard:
    """Checks URLs and remembers, per host, the addresses it approved (for pinning).

    ``allow`` holds host names (exact, case-insensitive) and CIDRs; a URL whose host is allowed by
    name, or whose every address lies in an allowed network, skips the address rules.
    """

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver = system_resolver) -> None:
        self.allow_hosts: set[str] = set()
        self.allow_nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in allow:
            try:
                self.allow_nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.allow_hosts.add(item.strip().lower().rstrip("."))
        self.resolver = resolver
        self.approved: dict[tuple[str, int], list[str]] = {}

    def _allowed_ip(self, ip: IPAddress) -> bool:
        return any(a in net for a in embedded_addresses(ip) for net in self.allow_nets if a.version == net.version)

    def check(self, url: str) -> list[str]:
        """Return the approved addresses for ``url``'s host, or raise :class:`SsrfRefused`."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            scheme = parts.scheme or "no scheme"
            raise SsrfRefused(f"refused {url!r}: scheme {scheme!r} is not allowed (only http and https)")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise SsrfRefused(f"refused {url!r}: the URL has no host")
        if parts.username or parts.password:
            raise SsrfRefused(f"refused {url!r}: URLs with user:password@ are not accepted")
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            raise SsrfRefused(f"refused {url!r}: invalid port") from None
        if host in self.allow_hosts:
            addrs = self._resolve(url, host, port)
            self.approved[(host, port)] = addrs
            return addrs
        if host in METADATA_HOSTS:
            raise SsrfRefused(f"refused {url!r}: {host} is a cloud metadata host")
        addrs = self._resolve(url, host, port)
        ips = [ipaddress.ip_address(a) for a in addrs]
        if not all(self._allowed_ip(ip) for ip in ips):
            for ip in ips:
                problem = address_problem(ip)
                if problem and not self._allowed_ip(ip):
                    via = "" if host == str(ip) else f" ({host} resolves to {ip})"
                    raise SsrfRefused(
                        f"refused {url!r}{via}: {problem}; only public addresses can be fetched "
                        f"(add the host or network to service.allow in settings.yaml to permit it)"
                    )
        self.approved[(host, port)] = addrs
        return addrs

    def _resolve(self, url: str, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            addrs = self.resolver(host, port)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise SsrfRefused(f"refused {url!r}: host {host!r} does not resolve ({exc})") from None
        if not addrs:
            raise SsrfRefused(f"refused {url!r}: host {host!r} has no A or AAAA records")
        return addrs

    def __call__(self, url: str) -> None:
        """The per-hop hook :func:`newswatch.fetch.fetch_url` calls before every request."""
        self.check(url)


class _DeadlineStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, deadline: float, url: str) -> None:
        self.inner, self.deadline, self.url = inner, deadline, url

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if time.monotonic() > self.deadline:
                raise FetchError(f"{self.url}: took longer than the total time limit")
            yield chunk

    def close(self) -> None:
        self.inner.close()


class PinnedTransport(httpx.BaseTransport):
    """Connects to the address the guard approved for the request's host (never re-resolves).

    The URL's host is swapped for that IP; the ``Host`` header keeps the name and TLS uses it for
    SNI and certificate checks. Also enforces a total time limit over the whole fetch.
    """

    def __init__(self, guard: UrlGuard, total_seconds: float, inner: httpx.BaseTransport | None = None) -> None:
        self.guard = guard
        self.inner = inner or httpx.HTTPTransport()
        self.deadline = time.monotonic() + total_seconds
        self.total_seconds = total_seconds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if time.monotonic() > self.deadline:
            raise FetchError(f"{url}: took longer than the total time limit ({self.total_seconds:g}s)")
        host = (request.url.host or "").lower().rstrip(".")
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        addrs = self.guard.approved.get((host, port)) or self.guard.check(url)
        extensions = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = host
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=addrs[0]),
            headers=request.headers,
            stream=request.stream,
            extensions=extensions,
        )
        response = self.inner.handle_request(pinned)
        response.stream = _DeadlineStream(response.stream, self.deadline, url)  # type: ignore[arg-type]
        return response

    def close(self) -> None:
        self.inner.close()


def safe_fetch(url: str, settings: FetchSettings, guard: UrlGuard, total_seconds: float) -> FetchedPage:
    """Fetch a user-supplied URL: every hop checked by ``guard`` and pinned to the checked address."""
    guard.check(url)  # refuse before opening anything, with the guard's own message
    transport = PinnedTransport(guard, total_seconds)
    return fetch_url(url, settings, guard=guard, transport=transport)
