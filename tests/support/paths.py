"""Paths the tests share: the repository, its fixtures and config, the founding-case page."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "fixtures"
CONFIG = ROOT / "config"
SEED_PAGE = FIXTURES / "pages" / "xiaomi-blacklist-award.html"
SEED_URL = "https://techpulse.example/2021/05/12/the-real-reason-why-the-us-blacklisted-xiaomi/"
