"""Downloader middlewares: incremental skipping of stored URLs, and backoff between retries."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest

from ..urls import canonicalize
from .pipelines import crawl_of

log = logging.getLogger(__name__)


class AlreadySeen(IgnoreRequest):
    """The article URL was stored by an earlier run, or already requested in this one."""


class IncrementalMiddleware:
    """Drops article requests whose canonical URL is already stored (``crawl_urls`` / ``articles``)
    or was already requested in this run. Retries and redirect hops pass untouched."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> IncrementalMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not request.meta.get("nw_article") or request.meta.get("retry_times") or request.meta.get("redirect_times"):
            return None
        name, crawl = crawl_of(self.crawler.spider)
        canon = canonicalize(request.url)
        if not crawl.book.claim(canon):
            raise AlreadySeen(f"already requested in this run: {canon}")
        if crawl.book.is_stored(canon):
            crawl.book.bump(name, skipped=1)
            raise AlreadySeen(f"already stored: {canon}")
        return None


class BackoffMiddleware:
    """Waits before a retried request: ``base * 2 ** (retry - 1)`` seconds (Scrapy retries at once)."""

    def __init__(self, base: float) -> None:
        self.base = base

    @classmethod
    def from_crawler(cls, crawler: Any) -> BackoffMiddleware:
        return cls(crawler.settings.getfloat("NEWSWATCH_RETRY_BACKOFF", 2.0))

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        n = request.meta.get("retry_times", 0)
        if n and self.base > 0:
            delay = self.base * 2 ** (n - 1)
            log.info("retry %d of %s in %.1fs", n, request.url, delay)
            await asyncio.sleep(delay)
        return None
