"""The fixture web (``fixtures/sites/``) on 127.0.0.1 for crawler tests, and a config dir pointing at it.

The server is :class:`newswatch.crawler.localweb.StaticSite` (ThreadingHTTPServer, ephemeral port,
hit counts per path, 500 for chosen paths, slow paths); this module adds the test wiring.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from newswatch.crawler.localweb import FIXTURE_SITES, StaticSite, render_sources, serve_sites

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES_TEMPLATE = FIXTURE_SITES / "sources.yaml"

__all__ = ["FIXTURE_SITES", "StaticSite", "fixture_web", "write_config"]


@contextmanager
def fixture_web() -> Iterator[dict[str, StaticSite]]:
    """Serve every fixture site; yields ``{"technews": site, "edgar": site, "federalregister": site}``."""
    sites = serve_sites(FIXTURE_SITES)
    try:
        yield sites
    finally:
        for s in sites.values():
            s.stop()


def write_config(
    dest: Path, sites: dict[str, StaticSite], *, enable: list[str] | None = None, crawl: dict | None = None
) -> Path:
    """A config dir: the repo's config files plus the fixture ``sources.yaml`` pointed at ``sites``.

    ``enable`` keeps only those sources enabled; ``crawl`` overrides crawl settings. Pages are
    processed in the crawl process (``workers: 0``) unless ``crawl`` names ``workers``: tests that
    are not about page workers skip their start-up (each loads spaCy). With workers: the demo, the
    hostile crawl, the crash test, the killed-crawl and the dead-worker tests.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for f in (ROOT / "config").glob("*.yaml"):
        if f.name != "sources.yaml":
            shutil.copy(f, dest / f.name)
    data = yaml.safe_load(render_sources(SOURCES_TEMPLATE, sites))
    if enable is not None:
        for s in data["sources"]:
            s["enabled"] = s["name"] in enable
    data["crawl"].update({"workers": 0, **(crawl or {})})
    (dest / "sources.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return dest
