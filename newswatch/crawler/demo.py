"""The demo crawl: serve ``newswatch/demo/sites/`` on 127.0.0.1 (ephemeral ports, threads) and crawl
it with every source in its ``sources.yaml``, using the active config for everything else."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .localweb import FIXTURE_SITES, render_sources, serve_sites
from .process import Progress, run_crawl
from .state import CrawlRun


def crawl_fixture_web(
    config_dir: Path, db_path: Path, sites_root: Path | None = None, progress: Progress | None = None
) -> CrawlRun:
    """Crawl the fixture web into ``db_path``; returns the run (alerts are left pending)."""
    root = Path(sites_root) if sites_root else FIXTURE_SITES
    template = root / "sources.yaml"
    sites = serve_sites(root)
    try:
        with tempfile.TemporaryDirectory(prefix="newswatch-demo-") as tmp:
            cfg = Path(tmp)
            for f in Path(config_dir).glob("*.yaml"):
                if f.name != "sources.yaml":
                    shutil.copy(f, cfg / f.name)
            (cfg / "sources.yaml").write_text(render_sources(template, sites), encoding="utf-8")
            return run_crawl(cfg, db_path, progress=progress)
    finally:
        for s in sites.values():
            s.stop()
