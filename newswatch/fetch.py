"""Fetching one URL for on-demand ingestion (the crawl fetches through Scrapy instead).

Redirects are followed here, hop by hop, so a guard (see the service's SSRF check) can refuse
any hop; the body is read in chunks and refused past ``max_bytes``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import httpx

from .config import FetchSettings
from .errors import FetchError
from .models import FetchedPage, SourceKind

HopCheck = Callable[[str], None]


def check_scheme(url: str) -> None:
    """Only http and https URLs with a host are fetched."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"refused {url!r}: only http(s) URLs with a host can be ingested")


def fetch_url(
    url: str,
    settings: FetchSettings,
    *,
    guard: HopCheck | None = None,
    source_kind: SourceKind = "on-demand",
    transport: httpx.BaseTransport | None = None,
) -> FetchedPage:
    """GET ``url`` (following redirects, each checked by ``guard``) and return the page.

    Raises :class:`FetchError` with a one-line reason for anything that is not a usable page.
    """
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.5",
    }
    current = url
    with httpx.Client(
        timeout=settings.timeout_seconds, follow_redirects=False, headers=headers, transport=transport
    ) as client:
        for _hop in range(settings.max_redirects + 1):
            check_scheme(current)
            if guard:
                guard(current)
            try:
                with client.stream("GET", current) as resp:
                    if resp.is_redirect:
                        location = resp.headers.get("location")
                        if not location:
                            raise FetchError(f"{current}: redirect without a Location header")
                        current = urljoin(current, location)
                        continue
                    body = bytearray()
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > settings.max_bytes:
                        raise FetchError(f"{current}: page too large ({declared} bytes > {settings.max_bytes})")
                    for chunk in resp.iter_bytes():
                        body.extend(chunk)
                        if len(body) > settings.max_bytes:
                            raise FetchError(f"{current}: page too large (over {settings.max_bytes} bytes)")
                    if resp.status_code >= 400:
                        raise FetchError(f"{current}: HTTP {resp.status_code}")
                    return FetchedPage(
                        url=url,
                        final_url=str(resp.url),
                        body=bytes(body),
                        status=resp.status_code,
                        content_type=resp.headers.get("content-type", ""),
                        source_kind=source_kind,
                    )
            except httpx.InvalidURL as exc:  # a redirect to data:, a bad host: httpx refuses to build it
                raise FetchError(f"{current}: redirect to a URL that cannot be fetched ({exc})") from None
            except httpx.TimeoutException:
                raise FetchError(f"{current}: timed out after {settings.timeout_seconds:g}s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{current}: unreachable ({type(exc).__name__}: {exc})") from None
        raise FetchError(f"{url}: more than {settings.max_redirects} redirects")
