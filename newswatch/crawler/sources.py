"""Crawl sources as data: ``config/sources.yaml`` validated by pydantic models.

Each source has a ``name``, a ``kind`` (feed | sitemap | listing | edgar | federal_register),
``enabled`` and a ``base_url`` (so tests can point any kind at a local server), plus its kind's
settings. The ``crawl`` block holds the polite settings shared by every source.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..config import ConfigError, Strict, read_yaml, validate
from ..models import SourceKind

KIND_SOURCE_KIND: dict[str, SourceKind] = {
    "feed": "news",
    "sitemap": "news",
    "listing": "news",
    "edgar": "filing",
    "federal_register": "filing",
}


class CrawlSettings(Strict):
    """Polite defaults for every source (a source may override delay and concurrency)."""

    user_agent: str | None = None  # default: settings.fetch.user_agent
    obey_robots: bool = True
    concurrency_per_domain: int = Field(default=2, ge=1, le=16)
    download_delay: float = Field(default=1.0, ge=0)
    autothrottle: bool = True
    autothrottle_start_delay: float = Field(default=1.0, ge=0)
    autothrottle_max_delay: float = Field(default=30.0, gt=0)
    autothrottle_target_concurrency: float = Field(default=1.0, gt=0)
    retry_times: int = Field(default=2, ge=0, le=10)
    retry_backoff_seconds: float = Field(default=2.0, ge=0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_bytes: int = Field(default=20_000_000, gt=0)
    max_articles_per_source: int = Field(default=500, ge=1)
    # processes running extraction + NER + matching + rules; null = one per core, 0 = in the crawl process
    workers: int | None = Field(default=None, ge=0, le=64)
    worker_batch: int = Field(default=8, ge=1, le=256)  # pages per nlp.pipe call in a worker
    worker_batch_wait: float = Field(default=0.25, gt=0, le=10)  # seconds a partial batch waits for more
    # a worker is replaced after this many batches (spaCy's vocabulary grows with every new word)
    worker_recycle_batches: int | None = Field(default=1000, ge=1)
    # a source that yields no article link, or fails every request, this many runs in a row raises
    # one "source broken" alert (and a thread reply when it yields again)
    broken_after_runs: int = Field(default=3, ge=1, le=1000)
    # many crawl processes (any machine) share one request queue and fingerprint set in Redis
    # (scrapy-redis); the database still decides what is already stored
    frontier: Literal["local", "redis"] = "local"
    # fetched pages go to in-process page workers (local) or to a Redis Stream that `newswatch worker`
    # processes consume and the one committer stores (settings.yaml `scale`)
    page_queue: Literal["local", "redis"] = "local"


class SourceBase(Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    enabled: bool = True
    base_url: str
    download_delay: float | None = Field(default=None, ge=0)
    concurrency_per_domain: int | None = Field(default=None, ge=1, le=16)

    @property
    def source_kind(self) -> SourceKind:
        return KIND_SOURCE_KIND[self.kind]  # type: ignore[attr-defined]

    def url(self, path: str) -> str:
        """``path`` joined to ``base_url`` (absolute URLs are kept as they are)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


class FeedSource(SourceBase):
    kind: Literal["feed"]
    feeds: list[str] = Field(min_length=1)  # paths under base_url, or absolute URLs


class SitemapSource(SourceBase):
    kind: Literal["sitemap"]
    sitemaps: list[str] = Field(min_length=1)
    lastmod_after: date | None = None  # entries last modified before this day are skipped
    url_pattern: str | None = None  # regex an article URL must match


class ListingSource(SourceBase):
    kind: Literal["listing"]
    start_paths: list[str] = Field(min_length=1)
    link_css: str | None = None
    link_xpath: str | None = None
    link_pattern: str | None = None  # regex on absolute URLs of links in the page
    next_css: str | None = None  # pagination link
    max_pages: int = Field(default=3, ge=1, le=100)

    @model_validator(mode="after")
    def _one_picker(self) -> ListingSource:
        if not (self.link_css or self.link_xpath or self.link_pattern):
            raise ValueError("a listing source needs link_css, link_xpath or link_pattern")
        return self


class EdgarSource(SourceBase):
    kind: Literal["edgar"]
    base_url: str = "https://data.sec.gov"
    archives_url: str = "https://www.sec.gov"
    user_agent: Annotated[str, Field(pattern=r"\S+@\S+")]  # SEC: "Company Name admin@company.com"
    ciks: list[int] = Field(min_length=1)
    forms: list[str] = ["8-K", "10-K", "20-F", "6-K"]
    filed_after: date | None = None
    max_filings_per_cik: int = Field(default=20, ge=1)


class FederalRegisterSource(SourceBase):
    kind: Literal["federal_register"]
    base_url: str = "https://www.federalregister.gov"
    terms: list[str] = Field(min_length=1)
    agencies: list[str] = []
    document_types: list[str] = []  # RULE, PRORULE, NOTICE, PRESDOCU
    per_page: int = Field(default=20, ge=1, le=1000)
    max_pages: int = Field(default=2, ge=1)


Source = Annotated[
    FeedSource | SitemapSource | ListingSource | EdgarSource | FederalRegisterSource, Field(discriminator="kind")
]


class SourcesFile(Strict):
    crawl: CrawlSettings = CrawlSettings()
    sources: list[Source] = []

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        seen: set[str] = set()
        for s in self.sources:
            if s.name in seen:
                raise ValueError(f"give each source its own name ({s.name!r} is used twice)")
            seen.add(s.name)
        return self


def load_sources(config_dir: Path, filename: str = "sources.yaml") -> SourcesFile:
    """Read and validate ``sources.yaml`` (a missing file means no sources)."""
    path = config_dir / filename
    if not path.exists():
        return SourcesFile()
    data = read_yaml(path)
    if data is not None and not isinstance(data, dict):
        raise ConfigError(
            str(path), "top level", "expected a mapping with 'crawl' and 'sources'", "see config/sources.yaml"
        )
    return validate(SourcesFile, data, path)


def select_sources(conf: SourcesFile, names: list[str] | None, path: str = "sources.yaml") -> list:
    """The sources to crawl: the named ones (enabled or not), else every enabled one."""
    if not names:
        return [s for s in conf.sources if s.enabled]
    by_name = {s.name: s for s in conf.sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ConfigError(
            path,
            "sources",
            f"no source named {', '.join(map(repr, unknown))}",
            f"known sources: {', '.join(by_name) or 'none'}",
        )
    return [by_name[n] for n in names]
