"""The fixture web (``newswatch/demo/sites/``) on 127.0.0.1 for crawler tests, and a config dir pointing at it.

:class:`TestSite` is the demo's :class:`newswatch.crawler.localweb.StaticSite` (ThreadingHTTPServer,
ephemeral port) with the tests' hooks: ``hits`` counts requests per path and ``requests`` keeps
them with their User-Agent; ``fail`` makes paths answer 500; ``slow`` delays paths (seconds) and
``slow_all`` every path but robots.txt, so a crawl can be killed half-way; ``hold`` keeps a path's
answer back until its event is set (at most a minute).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import yaml

from newswatch.crawler.localweb import FIXTURE_SITES, StaticSite, render_sources, serve_sites
from tests.support.paths import CONFIG

SOURCES_TEMPLATE = FIXTURE_SITES / "sources.yaml"
# the article paths the fixture web's sitemap source (technews-sitemap) lists: seven articles
SITEMAP_ARTICLES = frozenset(
    {
        "/2025/03/25/commerce-adds-inspur-subsidiaries-to-entity-list/",
        "/2025/03/20/lei-jun-may-day-medal/",
        "/2025/03/18/pentagon-removes-hesai-from-list/",
        "/2025/03/15/smartphone-shipments-q4/",
        "/2025/03/12/lawmakers-urge-cxmt-action/",
        "/2025/03/10/review-ultrabook-14/",
        "/2025/03/05/treasury-sanctions-sinno/",
    }
)

__all__ = ["FIXTURE_SITES", "TestSite", "fixture_web", "write_config"]


class TestSite(StaticSite):
    """A fixture site with the tests' hooks (see the module docstring)."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, root: Path) -> None:
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []  # (raw path with query, User-Agent)
        self.fail: set[str] = set()
        self.slow: dict[str, float] = {}
        self.slow_all = 0.0
        self.hold: dict[str, threading.Event] = {}
        self.bodies: dict[str, tuple[bytes, str]] = {}  # path -> (body, content type) served instead
        self._lock = threading.Lock()
        super().__init__(root)

    def override(self, path: str) -> tuple[bytes, str] | None:
        return self.bodies.get(path)

    def before_answer(self, path: str, raw_path: str, user_agent: str) -> int | None:
        with self._lock:
            self.hits[path] += 1
            self.requests.append((raw_path, user_agent))
        delay = self.slow.get(path, self.slow_all if path != "/robots.txt" else 0.0)
        if delay:
            time.sleep(delay)
        if path in self.hold:
            self.hold[path].wait(60)
        return 500 if path in self.fail else None


@contextmanager
def fixture_web(root: Path = FIXTURE_SITES) -> Iterator[dict[str, TestSite]]:
    """Serve every fixture site; yields ``{"technews": site, "edgar": site, "federalregister": site}``."""
    sites = cast(dict[str, TestSite], serve_sites(root, TestSite))
    try:
        yield sites
    finally:
        for s in sites.values():
            s.stop()


def write_config(
    dest: Path, sites: dict[str, TestSite], *, enable: list[str] | None = None, crawl: dict | None = None
) -> Path:
    """A config dir: the repo's config files plus the fixture ``sources.yaml`` pointed at ``sites``.

    ``enable`` keeps only those sources enabled; ``crawl`` overrides crawl settings. Pages are
    processed in the crawl process (``workers: 0``) unless ``crawl`` names ``workers``: tests that
    are not about page workers skip their start-up (each loads spaCy). With workers: the demo, the
    hostile crawl, the crash test, the killed-crawl and the dead-worker tests.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for f in CONFIG.glob("*.yaml"):
        if f.name != "sources.yaml":
            shutil.copy(f, dest / f.name)
    data = yaml.safe_load(render_sources(SOURCES_TEMPLATE, sites))
    if enable is not None:
        for s in data["sources"]:
            s["enabled"] = s["name"] in enable
    data["crawl"].update({"workers": 0, **(crawl or {})})
    (dest / "sources.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return dest
