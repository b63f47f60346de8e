"""Extraction holds on hostile pages: wrong or missing charsets, deep or wide DOMs, non-HTML."""

from __future__ import annotations

import io

import pytest

from newswatch.models import FetchedPage
from newswatch.nlp.extract import decode_html, extract

ZH = "小米集团被美国国防部列入中国军方企业名单。雷军获得了中国特色社会主义事业优秀建设者称号。" * 6
JA = "シャオミは米国防総省のリストに追加された。雷軍氏は二〇一九年に賞を受けたと報じられている。" * 6
FR = "Le café de la société « naïve » a publié son résumé — façade déjà vue, ça coûte cher. " * 6


def page(text: str, meta: str = "") -> str:
    return (
        f"<html><head>{meta}<title>t</title></head><body><article><h1>Titre</h1>"
        f"<p>{text}</p><p>{text}</p></article></body></html>"
    )


@pytest.mark.parametrize("text, enc", [(ZH, "gbk"), (JA, "shift_jis"), (FR, "cp1252")])
@pytest.mark.parametrize("declared", [None, "utf-8", "iso-8859-1"])
def test_wrong_or_missing_charset_decodes(text: str, enc: str, declared: str | None) -> None:
    body = page(text).encode(enc)
    ctype = f"text/html; charset={declared}" if declared else "text/html"
    decoded = decode_html(body, ctype)
    assert text[:30] in decoded, (enc, declared, decoded[:200])


def test_meta_charset_is_used() -> None:
    body = page(ZH, '<meta charset="gbk">').encode("gbk")
    assert ZH[:20] in decode_html(body, "text/html")


def test_deep_dom_does_not_crash() -> None:
    depth = 100_000
    html = "<html><body>" + "<div>" * depth + "<p>deep text about Xiaomi</p>" + "</div>" * depth + "</body></html>"
    art = extract(FetchedPage(url="https://h.example/deep", body=html.encode()))
    assert art.text or art.error  # either read or refused with a reason, never an exception


def test_hundred_thousand_links() -> None:
    links = "".join(f'<a href="/p/{i}">link {i}</a> ' for i in range(100_000))
    html = f"<html><body><nav>{links}</nav><article><p>{FR}</p></article></body></html>"
    art = extract(FetchedPage(url="https://h.example/links", body=html.encode()))
    assert "société" in art.text or art.error


def test_malformed_html_still_extracts() -> None:
    html = (
        "<html><body><div><p>Huawei was added to the Entity List by the Commerce Department, "
        "the agency said on Friday in a notice.<p>It is the second such move this year<div><b>unclosed"
        "<table><tr><td>cell</div></span></body>"
    )
    art = extract(FetchedPage(url="https://h.example/bad", body=html.encode()))
    assert "Entity List" in art.text


def test_binary_served_as_html_is_refused_with_reason() -> None:
    art = extract(FetchedPage(url="https://h.example/bin", body=bytes(range(256)) * 100, content_type="text/html"))
    assert art.text == "" and "not HTML" in art.error


def test_pdf_served_as_html_is_read_as_pdf() -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    w.write(buf)
    art = extract(FetchedPage(url="https://h.example/f", body=buf.getvalue(), content_type="text/html"))
    assert art.error and "PDF" in art.error  # a blank PDF: read as PDF, no text, reason given
