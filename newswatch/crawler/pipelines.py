"""The Scrapy item pipeline: every fetched page goes through the one newswatch
:class:`~newswatch.pipeline.Pipeline` (``prepare`` in a page worker, then ``commit``) — no second copy."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.utils.defer import maybe_deferred_to_future

from ..models import FetchedPage

log = logging.getLogger(__name__)


class StorePipeline:
    """Hands each :class:`FetchedPage` to the crawl context (page workers, then the store) and books
    the outcome; waits for it, so Scrapy fetches no faster than pages are processed."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        spider = self.crawler.spider
        pending = spider.ctx.store_page(spider.name, item)  # type: ignore[attr-defined]
        if pending is not None:  # page workers: wait here, so Scrapy holds back new fetches meanwhile
            await maybe_deferred_to_future(pending)
        return item
