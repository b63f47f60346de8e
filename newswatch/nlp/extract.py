"""Extraction: the article's main text and metadata from fetched HTML (trafilatura) or PDF (pypdf).

Pure: bytes in, :class:`~newswatch.models.Article` out. A page without extractable text is
returned with ``error`` set (never raised), so the caller stores it with its reason.
"""

from __future__ import annotations

import io
import logging
import re

import trafilatura
from lxml import html as lxml_html
from trafilatura.settings import Document

from ..models import Article, FetchedPage
from ..urls import canonicalize

log = logging.getLogger(__name__)

_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|p|div|article|title|meta)\b", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.I)
_LANG_ATTR = re.compile(r"""<html[^>]*\blang\s*=\s*["']?([A-Za-z]{2,3})""", re.I)


def looks_like_html(body: bytes) -> bool:
    """Cheap check that ``body`` is HTML: tag-like markup near the start and no NUL bytes."""
    head = body[:65536]
    return b"\x00" not in head and bool(_HTML_SNIFF.search(head))


def looks_like_pdf(body: bytes, content_type: str = "") -> bool:
    return body[:1024].lstrip().startswith(b"%PDF") or "application/pdf" in content_type.lower()


PERMISSIVE = {"latin-1", "latin_1", "iso-8859-1", "iso8859-1", "l1", "cp1252", "windows-1252", "ascii", "us-ascii"}
MULTIBYTE_GUESSES = {
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "big5hkscs",
    "cp932",
    "shift_jis",
    "euc_jp",
    "euc-jp",
    "euc_kr",
    "euc-kr",
    "cp949",
    "iso2022_jp",
    "utf_8",
    "utf-8",
}


def _guess(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    return best.encoding if best else None


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode HTML bytes whose declared charset may be missing or wrong.

    Order: BOM; the charset declared in the HTTP header, then in ``<meta>`` (strict decode);
    a declared permissive single-byte charset (latin-1/cp1252, which "decode" anything; read as
    cp1252 per WHATWG) is overruled when detection finds a multi-byte encoding (GBK, Shift-JIS,
    UTF-8...); without a usable declaration: UTF-8, then a detected multi-byte encoding
    (charset_normalizer), then cp1252 with replacement.
    """
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if body.startswith(bom):
            return body.decode(enc, errors="replace")
    declared: list[str] = []
    m = re.search(r"charset=[\"']?([A-Za-z0-9_\-:.]+)", content_type or "", re.I)
    if m:
        declared.append(m.group(1))
    m2 = _CHARSET.search(body[:4096])
    if m2:
        declared.append(m2.group(1).decode("ascii", "ignore"))
    for enc in declared:
        if enc.lower() in PERMISSIVE:
            enc = "cp1252"  # WHATWG: the latin-1 and ascii labels mean windows-1252
        try:
            text = body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
        if enc.lower() in PERMISSIVE and any(b > 0x7F for b in body[:200_000]):
            guess = _guess(body)
            if guess and guess.lower() in MULTIBYTE_GUESSES and guess.lower() not in PERMISSIVE:
                try:
                    return body.decode(guess)
                except (LookupError, UnicodeDecodeError):
                    pass
        return text
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = _guess(body)
    if guess and guess.lower() in MULTIBYTE_GUESSES:
        try:
            return body.decode(guess)
        except (LookupError, UnicodeDecodeError):
            pass
    # Single-byte guesses between Western codecs are unreliable; windows-1252 is the web's default.
    return body.decode("cp1252", errors="replace")


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text`` (py3langid), or None for too little text."""
    if len(text) < 20:
        return None
    import py3langid

    code, _score = py3langid.classify(text[:5000])
    return code


def _whole_body_text(markup: str) -> str:
    """Fallback for filings: all visible text of the body, scripts and styles dropped."""
    try:
        tree = lxml_html.fromstring(markup)
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    for bad in tree.xpath("//script|//style|//noscript|//head"):
        bad.getparent().remove(bad)
    lines = [" ".join(t.split()) for t in tree.itertext()]
    return "\n".join(line for line in lines if line)


def extract_html(page: FetchedPage, *, whole_body_fallback: bool = False) -> Article:
    """Main text without boilerplate, title, date, author and language of an HTML page."""
    url = page.final_url or page.url
    markup = decode_html(page.body, page.content_type)
    doc: Document | None  # bare_extraction returns a dict only when asked to (as_dict=True)
    try:
        doc = trafilatura.bare_extraction(  # type: ignore[assignment]
            markup,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_precision=True,
            deduplicate=False,
        )
    except (RecursionError, MemoryError, ValueError, TypeError, lxml_html.etree.LxmlError) as exc:
        log.warning("extraction failed on %s: %s", url, exc)
        return Article(
            url=page.url,
            canonical_url=canonicalize(url),
            text="",
            error=f"extraction failed: {type(exc).__name__}: {str(exc)[:200]}",
        )
    text = (doc.text or "").strip() if doc is not None else ""
    title = doc.title if doc is not None else None
    error = None
    if not text and whole_body_fallback:
        text = _whole_body_text(markup)
    if not text:
        error = "no extractable main text (trafilatura found no article body)"
    lang = None
    m = _LANG_ATTR.search(markup[:4096])
    if m:
        lang = m.group(1).lower()
    elif text:
        lang = detect_language(text)
    return Article(
        url=page.url,
        canonical_url=canonicalize(url),
        text=text,
        title=title,
        published=doc.date if doc is not None else None,
        author=doc.author if doc is not None else None,
        language=lang,
        error=error,
    )


def extract_pdf(page: FetchedPage) -> Article:
    """Text of a PDF filing, page by page (pypdf)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(page.body))
        parts = [(p.extract_text() or "") for p in reader.pages]
        meta = reader.metadata
        title = (meta.title if meta else None) or None
        author = (meta.author if meta else None) or None
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        return Article(
            url=page.url,
            canonical_url=canonicalize(page.final_url or page.url),
            text="",
            error=f"unreadable PDF: {exc}",
        )
    text = "\n".join(" ".join(part.split()) for part in parts).strip()
    return Article(
        url=page.url,
        canonical_url=canonicalize(page.final_url or page.url),
        text=text,
        title=title,
        author=author,
        language=detect_language(text) if text else None,
        error=None if text else "PDF holds no extractable text (scanned image?)",
    )


def extract(page: FetchedPage, *, whole_body_fallback: bool | None = None) -> Article:
    """Dispatch on content: PDF to pypdf, HTML to trafilatura, anything else is an error article.

    ``whole_body_fallback`` defaults to True for filings (their HTML often has no "article").
    """
    if whole_body_fallback is None:
        whole_body_fallback = page.source_kind == "filing"
    if looks_like_pdf(page.body, page.content_type):
        return extract_pdf(page)
    if looks_like_html(page.body):
        return extract_html(page, whole_body_fallback=whole_body_fallback)
    ctype = page.content_type or "unknown type"
    return Article(
        url=page.url,
        canonical_url=canonicalize(page.final_url or page.url),
        text="",
        error=f"not HTML or PDF ({ctype}, {len(page.body)} bytes)",
    )
