"""Crawling: Scrapy spiders per source kind, run in a child process per crawl (the schedule is the
service's, :mod:`newswatch.service.scheduler`).

Entry point: :func:`run_crawl` (used by ``newswatch crawl``, ``newswatch demo`` and the service).
"""

from .process import run_crawl
from .sources import load_sources
from .state import CrawlRun, SourceCounts

__all__ = ["CrawlRun", "SourceCounts", "load_sources", "run_crawl"]
