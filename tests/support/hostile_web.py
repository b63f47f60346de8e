"""A hostile web for crash-and-abuse tests, served on 127.0.0.1 over real HTTP.

Among normal article pages it serves: malformed HTML; GBK, Shift-JIS and Windows-1252 pages with a
missing or wrong charset; a 50 MB page; a gzip bomb (small on the wire, gigabytes inflated); an
endless chunked response; a slow drip (a byte a second); a redirect loop; a PDF served as
text/html; binary served as HTML; a page with 100,000 links; a DOM nested 100,000 deep; an RSS
feed with a billion-laughs entity and one with an external entity; an invalid sitemap; and a
robots.txt that answers 500. Every endless answer stops by itself after ``max_stream_seconds``
or when the client goes away. ``hits`` counts requests per path.
"""

from __future__ import annotations

import io
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD = {
    "/news/huawei-entity-list": (
        "Commerce adds Huawei affiliates to the Entity List",
        "The Commerce Department added Huawei Technologies and 38 of its affiliates to the Entity List on "
        "Monday, the agency said in a statement. Officials said the move would cut the company off from "
        "chips made with American tools.",
    ),
    "/news/xiaomi-award": (
        "Xiaomi founder honoured in Beijing",
        "Xiaomi CEO Lei Jun received the “Outstanding Builder of Socialism with Chinese Characteristics” "
        "award in 2019, according to state media. The ceremony was held in the Great Hall of the People.",
    ),
    "/news/dji-removed": (
        "Drone maker leaves Pentagon list",
        "DJI was removed from the Pentagon blacklist on Thursday after a court ruling, the Defense "
        "Department said in a filing.",
    ),
}
CHARSET_PAGES = {
    # path: (text, encoding the bytes are in, Content-Type header sent)
    "/enc/gbk-missing": (
        "小米集团被美国国防部列入中国军方企业名单。雷军获得了中国特色社会主义事业优秀建设者称号。",
        "gbk",
        "text/html",
    ),
    "/enc/sjis-wrong": (
        "シャオミは米国防総省のリストに追加された。雷軍氏は二〇一九年に賞を受けたと報じられている。",
        "shift_jis",
        "text/html; charset=utf-8",
    ),
    "/enc/cp1252-missing": (
        "Le café « naïve » de la société — façade déjà vue. ZTE was added to the Entity "
        "List by the Commerce Department last year, the company’s résumé says.",
        "cp1252",
        "text/html",
    ),
}


def article_html(title: str, body: str, *, charset_meta: str = "") -> str:
    chrome = "<nav><a href='/'>Home</a> <a href='/tech'>Tech</a></nav><div class='ad'>- Advertisement -</div>"
    paras = "".join(f"<p>{body}</p>" for _ in range(3))
    return (
        f"<!DOCTYPE html><html><head>{charset_meta}<title>{title}</title></head><body>{chrome}"
        f"<article><h1>{title}</h1>{paras}</article><footer>© Hostile News</footer></body></html>"
    )


def _pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose content stream draws ``text`` (hand-built, readable by pypdf)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def gzip_bomb(inflated_gib: int = 4) -> bytes:
    """Concatenated gzip members of zeros: about 4 MB on the wire, ``inflated_gib`` GiB inflated."""
    chunk = 64 * 1024 * 1024
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = comp.compress(b"\0" * chunk) + comp.flush()
    return member * (inflated_gib * 1024 * 1024 * 1024 // chunk)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><link>{base}/</link><description>x</description>
<item><title>&lol9;</title><link>{base}/news/xiaomi-award</link></item>
</channel></rss>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY remote SYSTEM "{base}/xxe-callback">]>
<rss version="2.0"><channel><title>feed &xxe;</title><link>{base}/</link><description>&remote;</description>
<item><title>&xxe;</title><link>{base}/news/dji-removed</link><description>&xxe;</description></item>
</channel></rss>"""


class HostileWeb:
    """``with HostileWeb() as web:`` serves on ``web.base``; ``web.hits[path]`` counts requests."""

    HOSTILE_PATHS = [
        "/malformed",
        "/enc/gbk-missing",
        "/enc/sjis-wrong",
        "/enc/cp1252-missing",
        "/huge",
        "/gzip-bomb",
        "/endless",
        "/drip",
        "/loop",
        "/pdf-as-html",
        "/binary-as-html",
        "/links",
        "/deep",
    ]

    def __init__(self, *, robots_status: int = 500, max_stream_seconds: float = 60.0, bomb_gib: int = 4) -> None:
        self.hits: Counter[str] = Counter()
        self.robots_status = robots_status
        self.max_stream_seconds = max_stream_seconds
        self._bomb_gib = bomb_gib
        self._bomb: bytes | None = None
        self._stop = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def article_paths(self) -> list[str]:
        return list(GOOD) + self.HOSTILE_PATHS

    def feed(self) -> str:
        items = "".join(
            f"<item><title>{p}</title><link>{self.base}{p}</link><guid>{self.base}{p}</guid></item>"
            for p in self.article_paths
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Hostile</title>'
            f"<link>{self.base}/</link><description>d</description>{items}</channel></rss>"
        )

    def bomb(self) -> bytes:
        if self._bomb is None:
            self._bomb = gzip_bomb(self._bomb_gib)
        return self._bomb

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def send(
                self,
                status: int,
                body: bytes,
                ctype: str = "text/html; charset=utf-8",
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def stream(self, ctype: str, produce: Callable[[int], bytes | None], pause: float) -> None:
                """Chunked answer from ``produce(i)`` until it returns None, the client leaves, or time is up."""
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                deadline = time.monotonic() + web.max_stream_seconds
                i = 0
                try:
                    while time.monotonic() < deadline and not web._stop.is_set():
                        data = produce(i)
                        if data is None:
                            break
                        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
                        self.wfile.flush()
                        i += 1
                        if pause:
                            time.sleep(pause)
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def do_GET(self) -> None:  # noqa: N802, C901 - one branch per hostile case, on purpose
                path = self.path.split("?")[0]
                web.hits[path] += 1
                base = web.base
                if path == "/robots.txt":
                    self.send(web.robots_status, b"User-agent: *\nDisallow: /private\n", "text/plain")
                elif path == "/feed.xml":
                    self.send(200, web.feed().encode(), "application/rss+xml")
                elif path == "/sitemap.xml":
                    self.send(
                        200,
                        b"<?xml version='1.0'?><urlset><url><loc>"
                        + base.encode()
                        + b"/news/xiaomi-award</loc><lastmod>not-a-date</url></urlset",
                        "application/xml",
                    )
                elif path == "/laughs.xml":
                    self.send(200, BILLION_LAUGHS.format(base=base).encode(), "application/rss+xml")
                elif path == "/xxe.xml":
                    self.send(200, EXTERNAL_ENTITY.format(base=base).encode(), "application/rss+xml")
                elif path in GOOD:
                    title, body = GOOD[path]
                    self.send(200, article_html(title, body).encode())
                elif path in CHARSET_PAGES:
                    text, enc, ctype = CHARSET_PAGES[path]
                    self.send(200, article_html("Encoded", text).encode(enc, "xmlcharrefreplace"), ctype)
                elif path == "/malformed":
                    self.send(
                        200,
                        b"<html><body><div><p>SMIC was added to the Entity List by the Commerce "
                        b"Department, officials said.<p>More unclosed<table><tr><td>cell</div></span>"
                        b"<b><i>never closed" * 20,
                    )
                elif path == "/huge":
                    para = b"<p>" + b"Filler text about nothing in particular. " * 100 + b"</p>\n"
                    self.stream("text/html", lambda i: para if i * len(para) < 50 * 1024 * 1024 else None, 0)
                elif path == "/gzip-bomb":
                    self.send(200, web.bomb(), "text/html", {"Content-Encoding": "gzip"})
                elif path == "/endless":
                    self.stream("text/html", lambda i: b"<p>more and more and more</p>\n" * 10, 0.01)
                elif path == "/drip":
                    self.stream("text/html", lambda i: b"<"[:1] if i == 0 else b"p", 1.0)
                elif path in ("/loop", "/loop2"):
                    self.send(302, b"", headers={"Location": "/loop2" if path == "/loop" else "/loop"})
                elif path == "/pdf-as-html":
                    self.send(
                        200, _pdf_with_text("ZTE was added to the Entity List by the Commerce Department."), "text/html"
                    )
                elif path == "/binary-as-html":
                    self.send(200, bytes((i * 7919) % 256 for i in range(200_000)), "text/html")
                elif path == "/links":
                    links = "".join(f'<a href="/l/{i}">l{i}</a>' for i in range(100_000))
                    self.send(200, f"<html><body>{links}</body></html>".encode())
                elif path == "/deep":
                    self.send(
                        200, b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>"
                    )
                else:
                    self.send(404, b"not found", "text/plain")

            do_HEAD = do_GET

        return Handler

    def __enter__(self) -> HostileWeb:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
