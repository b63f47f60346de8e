"""SSRF guard for URLs that people hand in (``POST /ingest``, the Slack slash command).

Rules (OWASP SSRF cheat sheet): http/https only; every A/AAAA record of the host must be a
globally routable unicast address (after unwrapping IPv4-mapped, NAT64, 6to4 and Teredo IPv6
forms); every redirect hop is checked again; the connection is *pinned* to the address that was
checked (the :class:`PinnedTransport` connects to that IP and keeps the name for ``Host`` and
TLS SNI/certificate checks), so a DNS answer that changes between check and connect (rebinding)
cannot reach an internal address. A config allowlist (``service.allow``: ``HOST:PORT`` or
``CIDR:PORT``) lets a named service on a private address through; link-local addresses (cloud
metadata), multicast and the unspecified address never pass.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

import httpx

from ..config import FetchSettings, parse_allow_entry
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


NEVER = "never"  # a problem no allow entry lifts (link-local incl. cloud metadata, multicast, unspecified)
PRIVATE = "private"  # a problem an allow entry for the host and port lifts


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched ("10.0.0.1 is a private address"), or None when it is a
    public unicast address."""
    for a in embedded_addresses(ip):
        found = address_rule(a)
        if found is not None:
            return f"{a} (inside {ip}) is {found[0]}" if a != ip else f"{a} is {found[0]}"
    return None


def address_rule(ip: IPAddress) -> tuple[str, str] | None:
    """What ``ip`` (or an address it wraps) is, and whether an allow entry may lift that (``NEVER``
    or ``PRIVATE``); None for a public unicast address."""
    for a in embedded_addresses(ip):
        if a.is_link_local:
            extra = " (cloud metadata endpoint)" if str(a) == "169.254.169.254" else ""
            return f"a link-local address{extra}", NEVER
        if a.is_multicast:
            return "a multicast address", NEVER
        if a.is_unspecified:
            return "the unspecified address", NEVER
        if a.is_loopback:
            return "a loopback address", PRIVATE
        if isinstance(a, ipaddress.IPv4Address) and a in ipaddress.ip_network("100.64.0.0/10"):
            return "a carrier-grade NAT (100.64.0.0/10) address", PRIVATE
        if isinstance(a, ipaddress.IPv6Address) and a in ipaddress.ip_network("fc00::/7"):
            return "a unique-local (fc00::/7) address", PRIVATE
        if a.is_reserved:
            return "a reserved address", PRIVATE
        if a.is_private:
            return "a private address", PRIVATE
        if not a.is_global:
            return "not a globally routable address", PRIVATE
    return None


def shown_host(host: str) -> str:
    """The host as a refusal names it: never the whole URL, never more than 80 characters."""
    return host if len(host) <= 80 else host[:77] + "..."


class UrlGuard:
    """Checks URLs and remembers, per host and port, the addresses it approved (for pinning).

    ``allow`` holds ``HOST:PORT`` and ``CIDR:PORT`` entries (:func:`newswatch.config.parse_allow_entry`;
    ``*`` for every port). A URL whose host and port an entry names (or whose every address lies in
    an allowed network, on an allowed port) may reach private and loopback addresses; link-local
    addresses (the cloud metadata endpoint among them), multicast, the unspecified address and the
    metadata host names are refused whatever the list says. Refusals name the host, not the URL
    and not the addresses its name resolved to (those are logged)."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver = system_resolver) -> None:
        self.allow_hosts: list[tuple[str, int | None]] = []
        self.allow_nets: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int | None]] = []
        for item in allow:
            host, net, port = parse_allow_entry(item)
            if net is not None:
                self.allow_nets.append((net, port))
            elif host is not None:
                self.allow_hosts.append((host, port))
        self.resolver = resolver
        self.approved: dict[tuple[str, int], list[str]] = {}

    def _host_allowed(self, host: str, port: int) -> bool:
        return any(h == host and p in (None, port) for h, p in self.allow_hosts)

    def _allowed_ip(self, ip: IPAddress, port: int) -> bool:
        return any(
            a in net and p in (None, port)
            for a in embedded_addresses(ip)
            for net, p in self.allow_nets
            if a.version == net.version
        )

    def check(self, url: str) -> list[str]:
        """Return the approved addresses for ``url``'s host, or raise :class:`SsrfRefused`."""
        if any(ord(c) < 32 or ord(c) == 127 for c in url):
            raise SsrfRefused("refused: the URL contains control characters (a line break, say)")
        try:
            url.encode("utf-8")
            parts = urlsplit(url)
            hostname = parts.hostname
            raw_port = parts.port
        except (ValueError, UnicodeError):
            raise SsrfRefused("refused: not a valid URL (check the brackets of an IPv6 host, the port)") from None
        if parts.scheme.lower() not in ("http", "https"):
            scheme = parts.scheme or "no scheme"
            raise SsrfRefused(f"refused: scheme {scheme[:20]!r} is not allowed (only http(s) URLs can be fetched)")
        host = (hostname or "").lower().rstrip(".")
        if not host:
            raise SsrfRefused("refused: the URL has no host")
        shown = shown_host(host)
        if parts.username or parts.password:
            raise SsrfRefused(f"refused {shown}: URLs with user:password@ are not accepted")
        port = raw_port or (443 if parts.scheme.lower() == "https" else 80)
        if host in METADATA_HOSTS:
            raise SsrfRefused(f"refused {shown}: a cloud metadata host")
        host_allowed = self._host_allowed(host, port)
        addrs = self._resolve(shown, host, port)
        literal = len(addrs) == 1 and addrs[0] == host.strip("[]")
        for addr in addrs:
            ip = ipaddress.ip_address(addr)
            found = address_rule(ip)
            if found is None:
                continue
            problem, kind = found
            if kind == PRIVATE and (host_allowed or self._allowed_ip(ip, port)):
                continue
            log.info("SSRF guard refused %s:%d (%s is %s)", host, port, ip, problem)
            # a literal address is the caller's own; a name's DNS answer is not told back
            what = (address_problem(ip) or f"{ip} is {problem}") if literal else f"{shown} resolves to {problem}"
            lift = (
                f" (to permit it, add {shown}:{port} to service.allow in settings.yaml)"
                if kind == PRIVATE
                else " (no setting permits it)"
            )
            raise SsrfRefused(f"refused: {what}; only public addresses can be fetched{lift}")
        self.approved[(host, port)] = addrs
        return addrs

    def _resolve(self, shown: str, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        try:
            addrs = self.resolver(host, port)
        except (socket.gaierror, UnicodeError, OSError):
            raise SsrfRefused(f"refused {shown}: the host does not resolve") from None
        if not addrs:
            raise SsrfRefused(f"refused {shown}: the host has no A or AAAA records")
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
