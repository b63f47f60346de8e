"""One Scrapy spider class per source kind. Spiders only find and fetch; every fetched article
page leaves as a :class:`~newswatch.models.FetchedPage` item for :class:`~.pipelines.StorePipeline`.

Index documents (feeds, sitemaps, submissions JSON) are parsed with lxml set never to resolve
entities, load DTDs or touch the network; article requests carry ``meta["nw_article"]`` so the
incremental middleware can drop the ones already stored.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import scrapy
from lxml import etree
from scrapy.http import Response
from twisted.python.failure import Failure

from ..models import FetchedPage
from .middlewares import AlreadySeen
from .pipelines import Crawl
from .sources import EdgarSource, FederalRegisterSource, FeedSource, ListingSource, SitemapSource, Source

log = logging.getLogger(__name__)


def safe_xml(body: bytes) -> etree._Element:
    """Parse XML without expanding entities, loading DTDs or fetching anything."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False, remove_comments=True
    )
    return etree.fromstring(body, parser=parser)


def parse_day(value: str | None) -> date | None:
    """The day of a sitemap lastmod / feed date (ISO 8601 forms); None when unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None


class SourceSpider(scrapy.Spider):
    """Base: article requests, the FetchedPage item, failure bookkeeping."""

    name = "newswatch"

    def __init__(self, source: Source, crawl: Crawl, **kwargs: Any) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.crawl = crawl
        self.articles_requested = 0
        self.links_found = 0  # article links the index pages gave (booked as `found` at close)

    # -- requests ---------------------------------------------------------------------------

    def index_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        """A feed/sitemap/listing/API page: always fetched (it is how new articles are found)."""
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, dont_filter=True, meta={"nw_index": True, **meta}
        )

    def article_request(self, url: str, **meta: Any) -> scrapy.Request | None:
        """An article/filing page; None once the per-source limit is reached."""
        self.links_found += 1
        if self.articles_requested >= self.crawl.settings.max_articles_per_source:
            return None
        self.articles_requested += 1
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.on_error, dont_filter=True, meta={"nw_article": True, **meta}
        )

    def closed(self, reason: str) -> None:
        """Scrapy calls this when the spider ends: book how many article links were found."""
        if self.links_found:
            self.crawl.book.bump(self.name, found=self.links_found)

    # -- responses --------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[FetchedPage]:
        request = response.request
        assert request is not None, "a response Scrapy hands a callback has its request"
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        ctype = (response.headers.get(b"Content-Type") or b"text/html").decode("latin-1")
        self.crawl.book.bump(self.name, fetched=1)
        yield FetchedPage(
            url=first,
            body=response.body,
            status=response.status,
            content_type=ctype,
            final_url=response.url,
            source=self.name,
            source_kind=self.source.source_kind,
            fetch_seconds=response.meta.get("download_latency"),
        )

    def on_error(self, failure: Failure) -> None:
        """Record a request that could not be done (after retries) with its reason; never silent."""
        if failure.check(AlreadySeen):
            return
        request = failure.request  # type: ignore[attr-defined]
        url, reason, http_status, status = failure_reason(request, failure)
        self.crawl.book.failed(self.name, url, reason, http_status=http_status, status=status)

    def bad_index(self, response: Response, problem: str) -> None:
        self.crawl.book.failed(self.name, response.url, f"{problem}", http_status=response.status)


def failure_reason(request: scrapy.Request, failure: Failure) -> tuple[str, str, int | None, str]:
    """Why a request failed, as booked: (the URL that was asked for, reason, HTTP status, status
    ``failed`` or ``blocked``)."""
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError

    retries = request.meta.get("retry_times", 0)
    url = (request.meta.get("redirect_urls") or [request.url])[0]
    after = f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return url, f"HTTP {status}{after}", status, "failed"
    if failure.check(IgnoreRequest):
        text = str(failure.value) or "request ignored"
        return url, text, None, "blocked" if "robots.txt" in text else "failed"
    detail = str(exc)[:200] or "no detail (e.g. body over max_bytes, or connection dropped)"
    return url, f"{type(exc).__name__}: {detail}{after}", None, "failed"


class FeedSpider(SourceSpider):
    """RSS 2.0 and Atom feeds: every item's link is an article."""

    source: FeedSource

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for feed in self.source.feeds:
            yield self.index_request(self.source.url(feed), self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            root = safe_xml(response.body)
        except etree.XMLSyntaxError as exc:
            self.bad_index(response, f"feed is not well-formed XML: {exc}")
            return
        links = root.xpath("//*[local-name()='item']/*[local-name()='link']/text()")
        links += root.xpath("//*[local-name()='entry']/*[local-name()='link'][not(@rel) or @rel='alternate']/@href")
        if not root.xpath("//*[local-name()='item' or local-name()='entry']"):
            self.bad_index(response, "no RSS item or Atom entry in the feed")
        for link in links:
            req = self.article_request(response.urljoin(link.strip()))
            if req:
                yield req


class SitemapSpider(SourceSpider):
    """Sitemaps, sitemap indexes and Google News sitemaps, with a lastmod cut-off; gzipped ones
    (``.xml.gz``) too, and a ``robots.txt`` in ``sitemaps`` stands for the sitemaps it names."""

    source: SitemapSource

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for sm in self.source.sitemaps:
            parse = self.parse_robots if sm.rstrip("/").endswith("robots.txt") else self.parse_sitemap
            yield self.index_request(self.source.url(sm), parse)

    def _recent(self, day: date | None) -> bool:
        cut = self.source.lastmod_after
        return cut is None or day is None or day >= cut

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """A ``robots.txt`` named in ``sitemaps``: its ``Sitemap:`` lines are the sitemaps."""
        from scrapy.utils.sitemap import sitemap_urls_from_robots

        urls = list(sitemap_urls_from_robots(response.text, base_url=response.url))
        if not urls:
            self.bad_index(response, "robots.txt names no sitemap (no 'Sitemap:' line)")
        for url in urls:
            yield self.index_request(url, self.parse_sitemap)

    def sitemap_body(self, response: Response) -> bytes | None:
        """The sitemap document: gzipped ones (``.xml.gz``) decompressed with Scrapy's ``gunzip``,
        bounded by ``crawl.max_bytes`` after decompression (a gzip bomb is refused, not read)."""
        from scrapy.utils.gz import gunzip, gzip_magic_number

        if not gzip_magic_number(response):
            return response.body
        limit = self.crawl.settings.max_bytes
        try:
            return gunzip(response.body, max_size=limit)
        except (OSError, EOFError) as exc:
            self.bad_index(response, f"gzipped sitemap cannot be decompressed: {exc}")
        except ValueError as exc:  # Scrapy's size guard (a ValueError): decompressing stopped at the limit
            self.bad_index(response, f"gzipped sitemap is over crawl.max_bytes ({limit}) decompressed, not read: {exc}")
        return None

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        body = self.sitemap_body(response)
        if body is None:
            return
        try:
            root = safe_xml(body)
        except etree.XMLSyntaxError as exc:
            self.bad_index(response, f"sitemap is not well-formed XML: {exc}")
            return
        kind = etree.QName(root).localname
        if kind == "sitemapindex":
            for sm in root.xpath("*[local-name()='sitemap']"):
                loc = sm.xpath("string(*[local-name()='loc'])").strip()
                if loc and self._recent(parse_day(sm.xpath("string(*[local-name()='lastmod'])"))):
                    yield self.index_request(response.urljoin(loc), self.parse_sitemap)
            return
        if kind != "urlset":
            self.bad_index(response, f"not a sitemap (root element <{kind}>)")
            return
        pattern = re.compile(self.source.url_pattern) if self.source.url_pattern else None
        for url in root.xpath("*[local-name()='url']"):
            loc = url.xpath("string(*[local-name()='loc'])").strip()
            day = parse_day(url.xpath("string(*[local-name()='lastmod'])")) or parse_day(
                url.xpath("string(*[local-name()='news']/*[local-name()='publication_date'])")
            )
            if not loc or not self._recent(day) or (pattern and not pattern.search(loc)):
                continue
            req = self.article_request(response.urljoin(loc))
            if req:
                yield req


class ListingSpider(SourceSpider):
    """Section pages: links picked by CSS/XPath selector and/or URL pattern, paginated to a depth."""

    source: ListingSource

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for path in self.source.start_paths:
            yield self.index_request(self.source.url(path), self.parse_listing, nw_page=1)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        src = self.source
        if src.link_css or src.link_xpath:
            nodes = response.css(src.link_css) if src.link_css else response.xpath(src.link_xpath)
            hrefs = [n.attrib.get("href") or n.get() for n in nodes]
        else:
            hrefs = response.xpath("//a/@href").getall()
        pattern = re.compile(src.link_pattern) if src.link_pattern else None
        for href in hrefs:
            if not href:
                continue
            url = response.urljoin(href.strip())
            if pattern and not pattern.search(url):
                continue
            req = self.article_request(url)
            if req:
                yield req
        page = response.meta.get("nw_page", 1)
        if src.next_css and page < src.max_pages:
            nxt = response.css(src.next_css)
            href = nxt[0].attrib.get("href") if nxt else None
            if href:
                yield self.index_request(response.urljoin(href), self.parse_listing, nw_page=page + 1)


class EdgarSpider(SourceSpider):
    """SEC EDGAR: ``/submissions/CIK##########.json`` per CIK, then each wanted filing's primary
    document under ``/Archives/edgar/data/<cik>/<accession>/``. Sends the declared User-Agent."""

    source: EdgarSource

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for cik in self.source.ciks:
            yield self.index_request(
                self.source.url(f"/submissions/CIK{cik:010d}.json"), self.parse_submissions, nw_cik=cik
            )

    def parse_submissions(self, response: Response) -> Iterator[scrapy.Request]:
        src = self.source
        try:
            recent = json.loads(response.body)["filings"]["recent"]
            rows = zip(
                recent["accessionNumber"], recent["form"], recent["filingDate"], recent["primaryDocument"], strict=True
            )
        except (ValueError, KeyError, TypeError) as exc:
            self.bad_index(response, f"not an EDGAR submissions document: {type(exc).__name__}: {exc}")
            return
        cik = int(response.meta["nw_cik"])
        wanted = {f.upper() for f in src.forms}
        taken = 0
        archives = src.archives_url.rstrip("/")
        for accession, form, filed, doc in rows:
            if form.upper() not in wanted or not doc:
                continue
            day = parse_day(filed)
            if src.filed_after and day and day < src.filed_after:
                continue
            if taken >= src.max_filings_per_cik:
                break
            taken += 1
            url = f"{archives}/Archives/edgar/data/{cik}/{accession.replace('-', '')}/{doc}"
            req = self.article_request(url, nw_form=form)
            if req:
                yield req


class FederalRegisterSpider(SourceSpider):
    """Federal Register: ``/api/v1/documents.json?conditions[term]=...`` per term, then each
    document's full text (``body_html_url``, else ``raw_text_url``, else ``html_url``)."""

    source: FederalRegisterSource

    def search_url(self, term: str) -> str:
        src = self.source
        params: list[tuple[str, str | int]] = [("conditions[term]", term)]
        params += [("conditions[agencies][]", a) for a in src.agencies]
        params += [("conditions[type][]", t) for t in src.document_types]
        params += [("order", "newest"), ("per_page", src.per_page)]
        for f in (
            "document_number",
            "title",
            "type",
            "publication_date",
            "html_url",
            "body_html_url",
            "raw_text_url",
            "pdf_url",
        ):
            params.append(("fields[]", f))
        return self.source.url("/api/v1/documents.json") + "?" + urlencode(params)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for term in self.source.terms:
            yield self.index_request(self.search_url(term), self.parse_search, nw_page=1)

    def parse_search(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            data = json.loads(response.body)
            results = data.get("results") or []
            if not isinstance(results, list):
                raise TypeError("'results' is not a list")
        except (ValueError, TypeError, AttributeError) as exc:
            self.bad_index(response, f"not a Federal Register documents response: {exc}")
            return
        for doc in results:
            url = doc.get("body_html_url") or doc.get("raw_text_url") or doc.get("html_url")
            if url:
                req = self.article_request(response.urljoin(url), nw_document=doc.get("document_number"))
                if req:
                    yield req
        page = response.meta.get("nw_page", 1)
        nxt = data.get("next_page_url")
        if nxt and page < self.source.max_pages:
            yield self.index_request(response.urljoin(nxt), self.parse_search, nw_page=page + 1)


SPIDERS: dict[str, type[SourceSpider]] = {
    "feed": FeedSpider,
    "sitemap": SitemapSpider,
    "listing": ListingSpider,
    "edgar": EdgarSpider,
    "federal_register": FederalRegisterSpider,
}
