"""Alert rules: ordered, validated at load, first match decides, every decision explained."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ..config import Strict, read_yaml, validate
from ..errors import ConfigError
from ..models import Decision, Finding

Severity = Literal["low", "medium", "high", "critical"]


class When(Strict):
    tie: list[Literal["blacklist", "delisting", "award"]] | None = None
    reason: str | None = None
    entity: str | None = None
    watched: bool | None = None
    monitored: bool | None = None  # the entity is on a monitored-entities list (issue 4)
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
                raise ValueError(f"invalid regular expression: {exc}") from None
        return v


class Then(Strict):
    action: Literal["alert", "drop"]
    channel: str | None = None
    severity: Severity = "medium"
    mention: str | None = None


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

    def __init__(self, rules: list[Rule], default_channel: str | None = None) -> None:
        self.rules = rules
        self.default_channel = default_channel

    def decide(self, f: Finding, *, watched: bool, source_kind: str, monitored: bool = False) -> Decision:
        for rule in self.rules:
            w = rule.when
            checks: list[str] = []
            if w.tie is not None:
                if f.tie not in w.tie:
                    continue
                checks.append(f"tie={f.tie}")
            if w.reason is not None:
                if not _text_match(w.reason, f.reason):
                    continue
                checks.append(f"reason~{w.reason}")
            if w.entity is not None:
                if not _text_match(w.entity, f.entity):
                    continue
                checks.append(f"entity~{w.entity}")
            if w.watched is not None:
                if watched != w.watched:
                    continue
                checks.append(f"watched={watched}")
            if w.monitored is not None:
                if monitored != w.monitored:
                    continue
                checks.append(f"monitored={monitored}")
            if w.source is not None:
                if f.source not in w.source:
                    continue
                checks.append(f"source={f.source}")
            if w.source_kind is not None:
                if source_kind not in w.source_kind:
                    continue
                checks.append(f"source_kind={source_kind}")
            if w.min_confidence is not None:
                if f.confidence < w.min_confidence:
                    continue
                checks.append(f"confidence {f.confidence:.2f}>={w.min_confidence}")
            if w.max_confidence is not None:
                if f.confidence >= w.max_confidence:
                    continue
                checks.append(f"confidence {f.confidence:.2f}<{w.max_confidence}")
            t = rule.then
            return Decision(action=t.action, rule=rule.name, channel=t.channel or self.default_channel,
                            severity=t.severity, mention=t.mention,
                            why=f"rule '{rule.name}': " + (", ".join(checks) or "matches everything"))
        return Decision(action="none", why="no rule matched")


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
    return Rules(parsed.rules, default_channel)
