"""Dataclasses at the borders between stages.

fetch -> :class:`FetchedPage` -> extract -> :class:`Article` -> annotate -> :class:`Mention`
-> ties -> :class:`Finding` -> rules -> :class:`Decision` / :class:`AlertDraft` -> store / outbox.
:class:`Prepared` is a page read and decided but not yet stored (what a page worker hands back);
:class:`IngestResult` is what storing it produced (the ``ingest --json`` contract).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Tie = Literal["blacklist", "delisting", "award"]
TIES: tuple[str, ...] = ("blacklist", "delisting", "award")
EntityType = Literal["ORG", "PERSON"]
SourceKind = Literal["news", "filing", "on-demand"]
ALERT_STATUSES: tuple[str, ...] = ("pending", "sending", "sent", "failed", "silenced")


def iso_us(ts: float) -> str:
    """ISO 8601 UTC with microseconds for a POSIX time: the claims, leases and locks the code
    compares (fixed width, so the text sorts as the times do)."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def epoch(value: str | float | None) -> float | None:
    """POSIX time of a stored timestamp: ISO 8601 text (UTC when no offset is given), or a number
    as a file written before timestamps were ISO holds it (also as text). None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)  # seconds written as text (a TEXT column given a number)
    except ValueError:
        pass
    dt = datetime.fromisoformat(value)
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def utcnow() -> str:
    """Current UTC time as an ISO-8601 string with seconds precision."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class FetchedPage:
    """A page as fetched, before anything is read from it."""

    url: str
    body: bytes
    status: int = 200
    content_type: str = "text/html"
    final_url: str | None = None
    fetched_at: str = field(default_factory=utcnow)
    source: str = "ingest"
    source_kind: SourceKind = "on-demand"
    fetch_seconds: float | None = None  # download latency, when the fetcher knows it


@dataclass
class Article:
    """What extraction read from a page. ``error`` says why ``text`` is empty, if it is."""

    url: str
    canonical_url: str
    text: str
    title: str | None = None
    published: str | None = None
    author: str | None = None
    language: str | None = None
    error: str | None = None

    def public(self) -> dict[str, Any]:
        """The ``article`` object of the ``ingest --json`` contract."""
        return {k: getattr(self, k) for k in ("url", "title", "published", "author", "language", "text")}


@dataclass
class Mention:
    """A named span in the article text: character offsets into :attr:`Article.text`."""

    text: str
    label: str
    start: int
    end: int
    sentence: str
    sentence_index: int
    entity_id: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "entity_id": self.entity_id,
        }


@dataclass
class Finding:
    """A tie between an entity and a list or award, with the sentence that proves it.

    ``explain`` records how it was found (trigger, role, reason source, confidence parts).
    """

    entity: str
    entity_type: EntityType
    tie: Tie
    reason: str
    evidence: str
    via: str | None = None
    confidence: float = 0.0
    entity_id: str | None = None
    source: str = "text"
    sentence_index: int = -1
    explain: dict[str, Any] = field(default_factory=dict)

    @property
    def entity_key(self) -> str:
        """Identity of the entity for grouping: the watchlist id, else the folded name."""
        return self.entity_id or f"name:{' '.join(self.entity.casefold().split())}"

    def public(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "entity_type": self.entity_type,
            "tie": self.tie,
            "reason": self.reason,
            "evidence": self.evidence,
            "via": self.via,
            "confidence": round(self.confidence, 3),
        }


@dataclass
class Decision:
    """What the rules decided for one finding."""

    action: Literal["alert", "drop", "none"]
    rule: str | None = None
    channel: str | None = None
    severity: str = "medium"
    mention: str | None = None
    why: str = ""


@dataclass
class AlertDraft:
    """An alert to be written to the outbox together with its finding."""

    key: str
    finding: Finding
    decision: Decision
    text: str
    status: str = "pending"


@dataclass
class Prepared:
    """A page read, annotated and decided, not yet stored: what :meth:`Pipeline.prepare` hands to
    :func:`commit`. Plain data (picklable), so preparing can run in a worker process."""

    page: FetchedPage
    article: Article
    content_hash: str
    mentions: list[Mention] = field(default_factory=list)
    decided: list[tuple[Finding, Decision]] = field(default_factory=list)
    drafts: list[AlertDraft] = field(default_factory=list)
    unchanged_id: int | None = None  # the stored article's id when its content has not changed
    force: bool = False  # store even if the stored content hash is the same
    timings: dict[str, float] = field(default_factory=dict)
    nlp: dict[str, Any] = field(default_factory=dict)  # what the full NLP pipeline read, and why (the cascade)


@dataclass
class IngestResult:
    """What processing one page produced; :meth:`to_json` is the ``ingest --json`` contract."""

    article: Article
    mentions: list[Mention] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    article_id: int | None = None
    status: str = "new"  # new | updated | unchanged | error
    new_alert_keys: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (see newswatch.pipeline.STAGES)

    def to_json(self) -> dict[str, Any]:
        return {
            "article": self.article.public(),
            "entities": [m.public() for m in self.mentions],
            "findings": [f.public() for f in self.findings],
            "alerts": [{"key": a["key"], "status": a["status"], "text": a["text"]} for a in self.alerts],
        }


def alert_key(f: Finding) -> str:
    """One alert per (entity, tie, reason): a stable key from the three."""
    raw = "|".join([f.entity_key, f.tie, " ".join(f.reason.casefold().split())])
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def content_hash(article: Article) -> str:
    """Hash of what was read (title + text): page chrome changing does not count as a change."""
    return hashlib.sha256(f"{article.title or ''}\n{article.text}".encode()).hexdigest()


@dataclass(frozen=True)
class WatchName:
    """A watched name the NER must tag as ORG or PERSON whatever the statistical model thinks."""

    text: str
    label: str  # ORG or PERSON
    entity_id: str
