"""Alert rules: ordered, validated at load, first match decides, every decision explained."""

from __future__ import annotations

import fnmatch
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ..config import Settings, Strict, read_yaml, resolve_path, validate
from ..errors import ConfigError
from ..models import Decision, Finding

Severity = Literal["low", "medium", "high", "critical"]


class When(Strict):
    tie: list[Literal["blacklist", "delisting", "award"]] | None = None
    reason: str | None = None
    entity: str | None = None  # glob / "re:" on the entity name, or "monitored" (a monitored list)
    watchlist: list[str] | None = None  # names of watchlists the entity must be on
    watched: bool | None = None
    monitored: bool | None = None  # the entity is on a monitored-entities list
    source: list[Literal["text", "watchlist"]] | None = None  # what ties it: the text or list data
    source_kind: list[Literal["news", "filing", "on-demand"]] | None = None
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    max_confidence: float | None = Field(default=None, ge=0, le=1)

    @field_validator("reason", "entity")
    @classmethod
    def _pattern_compiles(cls, v: str | None) -> str | None:
        if v and v.startswith("re:"):
            try:
                re.compile(v[3:])
            except re.error as exc:
                raise ValueError(
                    f"expected a valid regular expression after 're:' (this is an invalid regular expression: {exc})"
                ) from None
            if NESTED_QUANTIFIER.search(v[3:]):
                raise ValueError(
                    "expected a regular expression without a repeated group that itself repeats, such as (a+)+: "
                    "on page-derived names it can take exponential time; write it without the nesting"
                )
        return v


# A group holding a quantifier, itself quantified: "(a+)+", "(\w*)*", "(x|y+){2,}" backtrack
# catastrophically on a near-miss name.
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d*,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d*,)")


class Then(Strict):
    action: Literal["alert", "drop"]
    channel: str | None = None
    severity: Severity = "medium"
    mention: str | None = None

    @field_validator("mention")
    @classmethod
    def _mention_form(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"!subteam\^[A-Z0-9]+|!here|!channel|@[UW][A-Z0-9]+", v):
            raise ValueError("mention must be '!subteam^S123' (user group), '!here', '!channel' or '@U123' (user id)")
        return v

    @field_validator("channel")
    @classmethod
    def _channel_form(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"#[a-z0-9._-]{1,80}|[CGD][A-Z0-9]{6,}", v):
            raise ValueError("channel must be '#name' (lower case) or a channel id like C0123ABCD")
        return v


class Penalty(Strict):
    """A false-positive mark that lowers a finding's confidence before the rules look at it."""

    feedback_id: int
    entity_key: str
    tie: str
    pattern: str
    amount: float


class Rule(Strict):
    name: str
    when: When = When()
    then: Then


class RuleFile(Strict):
    rules: list[Rule]


def _text_match(pattern: str, value: str) -> bool:
    if pattern.startswith("re:"):
        return re.search(pattern[3:], value) is not None
    return fnmatch.fnmatchcase(value.casefold(), pattern.casefold())


class Rules:
    """The rule list; :meth:`decide` applies it to one finding."""

    def __init__(self, rules: list[Rule], default_channel: str | None = None, path: Path | None = None) -> None:
        self.rules = rules
        self.default_channel = default_channel
        self.path = path

    @staticmethod
    def check(
        rule: Rule,
        f: Finding,
        *,
        watched: bool,
        source_kind: str,
        confidence: float,
        watchlists: list[str],
        monitored: bool = False,
    ) -> tuple[bool, list[str]]:
        """(matches, explanation): the checks that held, or the first one that failed."""
        w = rule.when
        checks: list[str] = []
        if w.tie is not None:
            if f.tie not in w.tie:
                return False, [f"tie {f.tie} not in {w.tie}"]
            checks.append(f"tie={f.tie}")
        if w.reason is not None:
            if not _text_match(w.reason, f.reason):
                return False, [f"reason '{f.reason}' does not match {w.reason}"]
            checks.append(f"reason~{w.reason}")
        if w.entity is not None:
            if w.entity == "monitored":
                if not monitored:
                    return False, [f"entity '{f.entity}' is not monitored"]
                checks.append("entity monitored")
            elif not _text_match(w.entity, f.entity):
                return False, [f"entity '{f.entity}' does not match {w.entity}"]
            else:
                checks.append(f"entity~{w.entity}")
        if w.watchlist is not None:
            hit = [n for n in watchlists if n in w.watchlist]
            if not hit:
                return False, [f"entity not on watchlist {w.watchlist}"]
            checks.append(f"watchlist={hit[0]}")
        if w.watched is not None:
            if watched != w.watched:
                return False, [f"watched={watched}"]
            checks.append(f"watched={watched}")
        if w.monitored is not None:
            if monitored != w.monitored:
                return False, [f"monitored={monitored}"]
            checks.append(f"monitored={monitored}")
        if w.source is not None:
            if f.source not in w.source:
                return False, [f"source {f.source} not in {w.source}"]
            checks.append(f"source={f.source}")
        if w.source_kind is not None:
            if source_kind not in w.source_kind:
                return False, [f"source_kind {source_kind} not in {w.source_kind}"]
            checks.append(f"source_kind={source_kind}")
        if w.min_confidence is not None:
            if confidence < w.min_confidence:
                return False, [f"confidence {confidence:.2f}<{w.min_confidence}"]
            checks.append(f"confidence {confidence:.2f}>={w.min_confidence}")
        if w.max_confidence is not None:
            if confidence >= w.max_confidence:
                return False, [f"confidence {confidence:.2f}>={w.max_confidence}"]
            checks.append(f"confidence {confidence:.2f}<{w.max_confidence}")
        return True, checks

    def decide(
        self,
        f: Finding,
        *,
        watched: bool,
        source_kind: str,
        watchlists: list[str] | None = None,
        penalties: list[Penalty] | None = None,
        trace: list[str] | None = None,
        monitored: bool = False,
    ) -> Decision:
        """First matching rule decides. False-positive ``penalties`` that fit this finding lower its
        confidence first (shown in ``why``); ``trace`` (if given) collects one line per rule tried."""
        confidence = f.confidence
        notes: list[str] = []
        pattern = evidence_pattern(f)
        for p in penalties or []:
            if p.entity_key == f.entity_key and p.tie == f.tie and p.pattern == pattern:
                before, confidence = confidence, max(0.0, confidence - p.amount)
                notes.append(
                    f"false-positive feedback #{p.feedback_id} on '{pattern}': "
                    f"confidence {before:.2f} -> {confidence:.2f}"
                )
        prefix = ("; ".join(notes) + "; ") if notes else ""
        for rule in self.rules:
            ok, checks = self.check(
                rule,
                f,
                watched=watched,
                source_kind=source_kind,
                confidence=confidence,
                watchlists=watchlists or [],
                monitored=monitored,
            )
            if trace is not None:
                trace.append(
                    f"{rule.name}: " + ("MATCH " if ok else "no: ") + (", ".join(checks) or "matches everything")
                )
            if not ok:
                continue
            t = rule.then
            return Decision(
                action=t.action,
                rule=rule.name,
                channel=t.channel or self.default_channel,
                severity=t.severity,
                mention=t.mention,
                why=prefix + f"rule '{rule.name}': " + (", ".join(checks) or "matches everything"),
            )
        return Decision(action="none", why=prefix + "no rule matched")


def evidence_pattern(f: Finding) -> str:
    """What a false positive is remembered by, beside entity and tie: the trigger word that fired
    (e.g. ``tie:blacklist trigger:put``), else the folded reason."""
    trig = str(f.explain.get("trigger") or "").casefold().strip()
    return f"{f.tie}:trigger:{trig}" if trig else f"{f.tie}:reason:{' '.join(f.reason.casefold().split())}"


def load_rules(path: Path, default_channel: str | None = None) -> Rules:
    """Load and validate ``rules.yaml``; errors name the file, the rule and the field."""
    data = read_yaml(path)
    if isinstance(data, dict) and isinstance(data.get("rules"), list):
        for i, raw in enumerate(data["rules"]):
            name = raw.get("name", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
            validate(Rule, raw, path, prefix=f"rules[{i}] ('{name}')")
    parsed = validate(RuleFile, data, path)
    names = [r.name for r in parsed.rules]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ConfigError(str(path), f"rule '{sorted(dup)[0]}'", "rule name used twice", "give each rule its own name")
    return Rules(parsed.rules, default_channel, path)


def check_rule_lists(rules: Rules, known: Iterable[str], path: Path | None = None) -> None:
    """Every list a rule names in ``when.watchlist`` must exist: bundled (settings ``watchlists:``)
    or imported into the database. A missing one is a ConfigError naming the rule and the known lists."""
    names = sorted(set(known))
    for i, rule in enumerate(rules.rules):
        for name in rule.when.watchlist or []:
            if name not in names:
                raise ConfigError(
                    str(path or rules.path or "rules.yaml"),
                    f"rules[{i}] ('{rule.name}').when.watchlist",
                    f"no watchlist named {name!r}",
                    f"use one of the known lists: {', '.join(names) or 'none'}; bundled lists are the "
                    "'name:' of the files in settings.yaml watchlists:, import more with "
                    "`newswatch watchlist import FILE --name NAME`",
                )


def imported_list_names(db_file: Path) -> list[str]:
    """Names of the lists imported into ``db_file`` (read-only; no file, no lists)."""
    if not Path(db_file).is_file():
        return []
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=30)
    try:
        return [r[0] for r in conn.execute("select name from watchlists")]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def verify_rule_lists(
    config_dir: Path, settings: Settings, db_file: Path | None, rules_path: Path | None = None
) -> Rules:
    """Load the configured rules (or ``rules_path``) and check the lists they name against the bundled watchlists and
    those imported into ``db_file``: commands that apply rules call this before they start."""
    from ..watchlists.importers import load_watchlist_yaml

    rules = load_rules(rules_path or resolve_path(config_dir, settings.rules))
    if any(r.when.watchlist for r in rules.rules):
        known = {
            e.list_name for name in settings.watchlists for e in load_watchlist_yaml(resolve_path(config_dir, name))
        }
        known.update(imported_list_names(db_file) if db_file else [])
        check_rule_lists(rules, known)
    return rules
