"""Helpers shared by the alert tests: config dirs with alert settings, ingesting fixture pages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from newswatch.commands import cli
from tests.support.paths import CONFIG, DEMO_PAGES, SEED_PAGE, SEED_URL

SECOND_PAGE = DEMO_PAGES / "xiaomi-blacklist-second-source.html"
SECOND_URL = "https://harbourwire.example/markets/2021/05/13/pentagon-list-hits-xiaomi-shares"
INJECTION = "<!channel> <@U123> <https://evil|click>"


def config_dir(tmp_path: Path, **alerts: Any) -> Path:
    """A copy of the bundled config with these ``alerts:`` settings."""
    cdir = tmp_path / "config"
    if not cdir.exists():
        shutil.copytree(CONFIG, cdir)
    settings = yaml.safe_load((cdir / "settings.yaml").read_text()) or {}
    settings["alerts"] = {**settings.get("alerts", {}), **alerts}
    (cdir / "settings.yaml").write_text(yaml.safe_dump(settings))
    return cdir


def injection_page(tmp_path: Path) -> Path:
    """The second-source page with a hostile title (``<title>``, og:title and h1)."""
    html = SECOND_PAGE.read_text(encoding="utf-8")
    esc = INJECTION.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    html = html.replace("Pentagon list hits Xiaomi shares", esc)
    path = tmp_path / "injection.html"
    path.write_text(html, encoding="utf-8")
    return path


def ingest(
    runner: CliRunner, db: Path, page: Path = SEED_PAGE, url: str = SEED_URL, *extra: str, config: Path | None = None
) -> dict:
    args = ["--db", str(db)] + (["--config", str(config)] if config else [])
    r = runner.invoke(cli, [*args, "ingest", "--html", str(page), "--url", url, "--json", *extra])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def invoke(runner: CliRunner, db: Path, *args: str, config: Path | None = None, ok: bool = True):
    base = ["--db", str(db)] + (["--config", str(config)] if config else [])
    r = runner.invoke(cli, [*base, *args])
    if ok:
        assert r.exit_code == 0, r.output
    return r
