"""Paths the tests share: the repository, its fixtures and config, the founding-case page."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "fixtures"
CONFIG = ROOT / "newswatch" / "defaults"  # the bundled default config (package data)
DEMO_PAGES = ROOT / "newswatch" / "demo" / "pages"  # the demo's founding-case pages
SEED_PAGE = DEMO_PAGES / "xiaomi-blacklist-award.html"
SEED_URL = "https://techpulse.example/2021/05/12/the-real-reason-why-the-us-blacklisted-xiaomi/"
