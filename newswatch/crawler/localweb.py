"""A local fixture web for ``newswatch demo``: static sites served on 127.0.0.1 (ephemeral ports)
in threads. ``{{BASE}}`` in a text file is replaced by the site's base URL; ``X.gz`` where only ``X``
exists is served as ``X`` gzipped (a gzipped sitemap, as many sites publish them).

:meth:`StaticSite.before_answer` is where a subclass may look at (or hold back, or fail) a request;
the tests' fixture web (``tests/support/fixture_web.py``) does, the demo does not.
"""

from __future__ import annotations

import gzip
import mimetypes
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..config import DEMO_DIR

FIXTURE_SITES = DEMO_DIR / "sites"
TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


class StaticSite:
    """One site: a directory served by a ThreadingHTTPServer on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = unquote(urlsplit(self.path).path)
                status = site.before_answer(path, self.path, self.headers.get("User-Agent", ""))
                if status is not None:
                    phrase = HTTPStatus(status).phrase
                    return self._send(status, f"<html><body>{phrase}</body></html>".encode(), "text/html")
                fixed = site.override(path)
                if fixed is not None:
                    return self._send(200, *fixed)
                file = site.resolve(path)
                gz = file is None and path.endswith(".gz") and (file := site.resolve(path[:-3])) is not None
                if file is None:
                    return self._send(404, b"<html><body>Not Found</body></html>", "text/html")
                ctype = TEXT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                body = file.read_bytes()
                if ctype.startswith(("text/", "application/xml", "application/json")):
                    body = body.replace(b"{{BASE}}", site.base_url.encode())
                if gz:
                    body, ctype = gzip.compress(body), "application/gzip"
                self._send(200, body, ctype)

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"site-{self.root.name}", daemon=True)

    def before_answer(self, path: str, raw_path: str, user_agent: str) -> int | None:
        """Called for every request before it is answered: an HTTP status to answer with instead of
        the file, or None to serve it. The demo serves everything."""
        return None

    def override(self, path: str) -> tuple[bytes, str] | None:
        """A body and content type to answer with instead of the file (the tests' hook), or None."""
        return None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def resolve(self, path: str) -> Path | None:
        """The file for a URL path (``dir/`` -> ``dir/index.html``), never outside the root."""
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root):
            return None
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def start(self) -> StaticSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StaticSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_sites(root: Path = FIXTURE_SITES, site: type[StaticSite] = StaticSite) -> dict[str, StaticSite]:
    """Start one server (of class ``site``) per sub-directory of ``root`` that holds a site; the caller
    stops them."""
    return {d.name: site(d).start() for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith(".")}


def render_sources(template: Path, sites: dict[str, StaticSite]) -> str:
    """``sources.yaml`` text from a template whose ``{{site}}`` placeholders become base URLs."""
    text = template.read_text(encoding="utf-8")
    for name, site in sites.items():
        text = text.replace("{{" + name + "}}", site.base_url)
    return text
