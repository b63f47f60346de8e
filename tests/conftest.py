"""Shared fixtures: paths, a Slack-compatible server, a fresh database path, a CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from tests.support.paths import CONFIG, FIXTURES, ROOT, SEED_PAGE, SEED_URL
from tests.support.slack_server import SlackServer

__all__ = ["CONFIG", "FIXTURES", "ROOT", "SEED_PAGE", "SEED_URL"]

# Property tests assert behaviour, never speed: Hypothesis' per-example deadline would turn a busy
# two-core machine into failures (speed is measured by the benches in bench/).
settings.register_profile("newswatch", deadline=None)
settings.load_profile("newswatch")


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "newswatch.db"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Slack or newswatch variables leak in from the environment running the tests."""
    for var in (
        "SLACK_BOT_TOKEN",
        "SLACK_CHANNEL",
        "SLACK_API_URL",
        "NEWSWATCH_DB",
        "NEWSWATCH_CONFIG",
        "SLACK_WEBHOOK_URL",
        "SLACK_SIGNING_SECRET",
        "NEWSWATCH_ALERTS_JSONL",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def slack_env(slack_server: SlackServer, monkeypatch: pytest.MonkeyPatch) -> SlackServer:
    """Point newswatch's Slack sink at the test server."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    monkeypatch.setenv("SLACK_CHANNEL", "#risk-test")
    monkeypatch.setenv("SLACK_API_URL", slack_server.base_url)
    return slack_server
