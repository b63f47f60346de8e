"""The one pipeline every page goes through, whether a spider or ``newswatch ingest`` hands it in.

:meth:`Pipeline.process`: extract -> annotate -> detect ties -> resolve names -> rules -> store
(article, mentions, findings and pending alerts in one transaction). Delivery is the outbox's
job (:func:`newswatch.alerts.outbox.deliver_pending`), run by the caller afterwards.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from .alerts.feedback import load_penalties
from .alerts.groups import record_alert
from .alerts.message import alert_text
from .alerts.rules import Rules, load_rules
from .config import Settings, find_config_dir, load_settings, resolve_path
from .models import AlertDraft, Article, FetchedPage, Finding, Mention, utcnow
from .nlp.annotate import build_nlp
from .nlp.extract import extract
from .nlp.lexicon import Lexicon, load_lexicon
from .nlp.ties import detect_ties
from .store import alert_by_key, article_by_canonical, dumps, write_transaction
from .watchlist import Watchlist, load_watchlist_yaml
from .watchlists.db import lists_version, load_entities
from .watchlists.matcher import Match, SpanInfo

log = logging.getLogger(__name__)

SKIP_LABELS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"}
STAGES = ("fetch", "extract", "ner", "ties", "matching", "rules", "store")


@dataclass
class Prepared:
    """A page read, annotated and decided, not yet stored: what :meth:`Pipeline.prepare` hands to
    :func:`commit`. Plain data (picklable), so preparing can run in a worker process."""

    page: FetchedPage
    article: Article
    content_hash: str
    mentions: list[Mention] = field(default_factory=list)
    decided: list[tuple[Finding, Any]] = field(default_factory=list)
    drafts: list[AlertDraft] = field(default_factory=list)
    unchanged_id: int | None = None  # the stored article's id when its content has not changed
    force: bool = False  # store even if the stored content hash is the same
    timings: dict[str, float] = field(default_factory=dict)


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
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (see STAGES)

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


class Pipeline:
    """Everything loaded once per process: settings, lexicon, spaCy, watchlist, rules."""

    def __init__(
        self, config_dir: Path, settings: Settings, lexicon: Lexicon, watchlist: Watchlist, rules: Rules
    ) -> None:
        self.config_dir = config_dir
        self.settings = settings
        self.lexicon = lexicon
        self.watchlist = watchlist
        self.rules = rules
        self.nlp = build_nlp(settings.nlp.model, lexicon, watchlist.watch_names())
        self.base_entities = list(watchlist.entities.values())  # bundled YAML lists (in the NER ruler)
        self._lists_version: tuple[Any, ...] | None = None

    @classmethod
    def from_config(cls, config_dir: str | Path | None = None) -> Pipeline:
        cdir = find_config_dir(config_dir)
        settings = load_settings(cdir)
        lexicon = load_lexicon(resolve_path(cdir, settings.nlp.lexicon))
        entities = []
        for name in settings.watchlists:
            entities += load_watchlist_yaml(resolve_path(cdir, name))
        rules = load_rules(resolve_path(cdir, settings.rules))
        return cls(cdir, settings, lexicon, Watchlist.from_settings(entities, settings.matching), rules)

    def sync_watchlists(self, db: sqlite_utils.Database) -> None:
        """Load the lists imported into ``db`` (``newswatch watchlist import``) next to the bundled
        ones; reloaded only when an import changed them. They are matched by the gazetteer and the
        name matcher, not put into the NER ruler (a million patterns would not fit there)."""
        version = lists_version(db)
        if version == self._lists_version:
            return
        imported = load_entities(db)
        self.watchlist = Watchlist.from_settings(self.base_entities + imported, self.settings.matching)
        self._lists_version = version
        log.info("watchlists loaded: %d bundled + %d imported entities", len(self.base_entities), len(imported))

    # -- stages -----------------------------------------------------------------------------

    def analyse(
        self, article: Article, timings: dict[str, float] | None = None, doc: Any = None
    ) -> tuple[list[Mention], list[Finding]]:
        """NER, tie detection and name resolution for an extracted article (no I/O).

        ``doc``: the text already run through ``self.nlp`` (batched by :meth:`prepare_many`).
        ``timings`` (if given) receives seconds spent in ``ner``, ``ties`` and ``matching``."""
        t = timings if timings is not None else {}
        if not article.text:
            return [], []
        t0 = time.perf_counter()
        if doc is None:
            doc = self.nlp(article.text)
        t1 = time.perf_counter()
        t["ner"] = t.get("ner", 0.0) + t1 - t0
        tie_seconds = 0.0
        sent_index = {}
        for n, s in enumerate(doc.sents):
            sent_index[s.start] = n
        mentions: list[Mention] = []
        matches: dict[int, list[Match]] = {}  # id(mention) -> entity matches
        for ent in doc.ents:
            if ent.label_ in SKIP_LABELS:
                continue
            eid = None
            if ent.label_ in ("ORG", "PERSON"):
                # the NER's own label counts as corroboration of a common-word name, but not at a
                # sentence start (capitalised for grammar) nor when our ruler put it there
                by_ner = not ent.ent_id_ and not ent[0].is_sent_start
                found = self.watchlist.match(ent.text, ent.label_, from_ner=by_ner)
                found = [m for m in found if m.features.get("type_agree") is not False]
                watched = self.watchlist.get(ent.ent_id_) or (found[0].entity if found else None)
                eid = watched.id if watched else None
            sent = ent.sent
            m = Mention(
                text=ent.text,
                label=ent.label_,
                start=ent.start_char,
                end=ent.end_char,
                sentence=sent.text.strip(),
                sentence_index=sent_index.get(sent.start, -1),
                entity_id=eid,
            )
            mentions.append(m)
            if eid:
                matches[id(m)] = found or []
        self._gazetteer_mentions(doc, mentions, matches, sent_index)
        findings = []
        t2 = time.perf_counter()
        detected = detect_ties(doc, self.lexicon)
        tie_seconds = time.perf_counter() - t2
        for f in detected:
            watched = self.watchlist.get(f.entity_id) or self.watchlist.resolve(f.entity, f.entity_type)
            f.explain["as_written"] = f.entity
            if watched:
                f.entity_id, f.entity = watched.id, watched.name
            else:
                f.entity_id = None
            findings.append(f)
        findings += self._list_findings(mentions, matches, findings)
        t["ties"] = t.get("ties", 0.0) + tie_seconds
        t["matching"] = t.get("matching", 0.0) + time.perf_counter() - t1 - tie_seconds
        return mentions, findings

    def _gazetteer_mentions(
        self, doc: Any, mentions: list[Mention], matches: dict[int, list[Match]], sent_index: dict[int, int]
    ) -> None:
        """Listed names the NER missed (or labelled without an entity) become mentions with their id."""
        spans = [SpanInfo(e.start_char, e.end_char, e.label_, ruler=bool(e.ent_id_)) for e in doc.ents]
        for hit in self.watchlist.find_in_text(doc.text, spans):
            best = hit.matches[0].entity
            over = [m for m in mentions if m.start < hit.end and hit.start < m.end]
            if over:
                for m in over:
                    if m.entity_id is None and m.label == best.label:
                        m.entity_id = best.id
                        matches[id(m)] = hit.matches
                    elif m.entity_id and id(m) in matches:
                        known = {x.entity.id for x in matches[id(m)]}
                        matches[id(m)] += [x for x in hit.matches if x.entity.id not in known]
                continue
            span = doc.char_span(hit.start, hit.end, alignment_mode="expand")
            sent = span.sent if span is not None else None
            m = Mention(
                text=hit.text,
                label=best.label,
                start=hit.start,
                end=hit.end,
                sentence=sent.text.strip() if sent is not None else hit.text,
                sentence_index=sent_index.get(sent.start, -1) if sent is not None else -1,
                entity_id=best.id,
            )
            mentions.append(m)
            matches[id(m)] = hit.matches
        mentions.sort(key=lambda m: m.start)

    def _list_findings(
        self, mentions: list[Mention], matches: dict[int, list[Match]], text_findings: list[Finding]
    ) -> list[Finding]:
        """A mention resolved to a listed entity (one with a reason, on a list that is not a
        monitored-entities list) is a ``blacklist`` finding from source ``watchlist``: the list's data
        ties it. One per entity per article; none when the text already ties it to the same reason."""
        said = {(f.entity_id, f.tie, " ".join(f.reason.casefold().split())) for f in text_findings}
        out: list[Finding] = []
        done: set[str] = set()
        for mention in mentions:
            found = matches.get(id(mention)) or []
            if not found and mention.entity_id and self.watchlist.get(mention.entity_id):
                found = [Match(self.watchlist.get(mention.entity_id), mention.text, 1.0, {"ruler": True})]
            monitored = [m.entity.id for m in found if m.entity.monitored]
            for m in found:
                e = m.entity
                if e.monitored or not e.reason or e.id in done:
                    continue
                done.add(e.id)
                if (e.id, "blacklist", " ".join(e.reason.casefold().split())) in said:
                    continue
                out.append(
                    Finding(
                        entity=e.name,
                        entity_type=e.label,
                        tie="blacklist",
                        reason=e.reason,
                        evidence=mention.sentence,
                        confidence=min(1.0, m.score),
                        entity_id=e.id,
                        source="watchlist",
                        sentence_index=mention.sentence_index,
                        explain={
                            "as_written": mention.text,
                            "list": e.list_name,
                            "alias": m.alias,
                            "score": round(m.score, 3),
                            "features": m.features,
                            "monitored": bool(monitored),
                            "monitored_entities": monitored,
                        },
                    )
                )
        return out

    def decide(
        self,
        findings: list[Finding],
        source_kind: str,
        penalties: list | None = None,
        traces: list[list[str]] | None = None,
    ) -> list[tuple[Finding, Any]]:
        """Apply the rules to each finding (``penalties``: false-positive feedback, see alerts.feedback)."""
        out = []
        for f in findings:
            entity = self.watchlist.get(f.entity_id) if f.entity_id else None
            trace: list[str] | None = [] if traces is not None else None
            out.append(
                (
                    f,
                    self.rules.decide(
                        f,
                        watched=f.entity_id is not None,
                        source_kind=source_kind,
                        watchlists=[entity.list_name] if entity else [],
                        penalties=penalties,
                        trace=trace,
                        monitored=self._monitored(f),
                    ),
                )
            )
            if traces is not None:
                traces.append(trace or [])
        return out

    def _monitored(self, f: Finding) -> bool:
        """Is the finding's entity on a monitored-entities list (itself, or a same-named entry)?"""
        if f.explain.get("monitored") or self.watchlist.is_monitored(f.entity_id):
            return True
        return any(
            m.entity.monitored for m in self.watchlist.match(f.explain.get("as_written") or f.entity, f.entity_type)
        )

    # -- the whole way ----------------------------------------------------------------------

    def process(
        self, page: FetchedPage, db: sqlite_utils.Database, *, dry_run: bool = False, force: bool = False
    ) -> IngestResult:
        """Run one fetched page through every stage and store the outcome in one transaction.

        An unchanged page (same canonical URL, same content hash) is not reprocessed: its stored
        result is returned with status ``unchanged``. ``dry_run`` writes and sends nothing.
        This is :meth:`prepare` (reads only) then :func:`commit` (one write transaction).
        """
        prepared = self.prepare(page, db, force=force or dry_run)
        if dry_run:
            stored = article_by_canonical(db, prepared.article.canonical_url)
            result = IngestResult(
                article=prepared.article,
                mentions=prepared.mentions,
                findings=[f for f, _ in prepared.decided],
                status="updated" if stored else "new",
                timings=prepared.timings,
            )
            for dr in prepared.drafts:
                prior = alert_by_key(db, dr.key)
                result.alerts.append(
                    {
                        "key": dr.key,
                        "status": f"dry-run ({prior['status']} already)" if prior else "dry-run (would be new)",
                        "text": dr.text,
                    }
                )
            return result
        return commit(db, prepared, self.settings.alerts)

    def prepare(self, page: FetchedPage, db: sqlite_utils.Database, *, force: bool = False) -> Prepared:
        """Extract, annotate, resolve and decide one page; reads ``db`` (imported lists, the stored
        article's hash, false-positive feedback) but writes nothing. Safe in a worker process."""
        return self.prepare_many([page], db, force=force)[0]

    def prepare_many(
        self, pages: list[FetchedPage], db: sqlite_utils.Database, *, force: bool = False
    ) -> list[Prepared]:
        """:meth:`prepare` for a batch: the texts go through spaCy together (``nlp.pipe``), which is
        cheaper per page than one call each. Same results as one by one, in the same order."""
        self.sync_watchlists(db)
        penalties = load_penalties(db, self.settings.alerts.false_positive_penalty)
        out: list[Prepared] = []
        todo: list[Prepared] = []
        for page in pages:
            timings: dict[str, float] = {"fetch": page.fetch_seconds or 0.0}
            t0 = time.perf_counter()
            article = extract(page)
            chash = content_hash(article)
            timings["extract"] = time.perf_counter() - t0
            existing = article_by_canonical(db, article.canonical_url)
            prepared = Prepared(page=page, article=article, content_hash=chash, force=force, timings=timings)
            if existing and existing["content_hash"] == chash and not force:
                prepared.unchanged_id = existing["id"]
            elif article.text:
                todo.append(prepared)
            out.append(prepared)
        t0 = time.perf_counter()
        docs = list(self.nlp.pipe([p.article.text for p in todo], batch_size=max(1, len(todo))))
        ner_each = (time.perf_counter() - t0) / max(1, len(todo))
        by_id = {id(p): doc for p, doc in zip(todo, docs, strict=True)}
        for prepared in out:
            if prepared.unchanged_id is not None:
                continue
            prepared.timings["ner"] = ner_each if id(prepared) in by_id else 0.0
            prepared.mentions, findings = self.analyse(prepared.article, prepared.timings, doc=by_id.get(id(prepared)))
            t1 = time.perf_counter()
            prepared.decided = self.decide(findings, prepared.page.source_kind, penalties=penalties)
            prepared.drafts = [
                AlertDraft(key=alert_key(f), finding=f, decision=d, text=alert_text(f.entity, f.tie, f.reason))
                for f, d in prepared.decided
                if d.action == "alert"
            ]
            prepared.timings["rules"] = time.perf_counter() - t1
        return out

    def load_result(self, db: sqlite_utils.Database, article_id: int, status: str) -> IngestResult:
        """Rebuild an :class:`IngestResult` from what is stored for an article."""
        return load_result(db, article_id, status)


def commit(db: sqlite_utils.Database, prepared: Prepared, alert_settings: Any) -> IngestResult:
    """Store a :class:`Prepared` page: article, mentions, findings and pending alerts in ONE write
    transaction. The stored article is looked up again inside the transaction, so the same content
    prepared twice at once (two workers) is stored once; the second becomes ``unchanged``."""
    t0 = time.perf_counter()
    if prepared.unchanged_id is not None:
        result = load_result(db, prepared.unchanged_id, status="unchanged")
    else:
        with write_transaction(db):
            existing = article_by_canonical(db, prepared.article.canonical_url)
            if existing and existing["content_hash"] == prepared.content_hash and not prepared.force:
                result = load_result(db, existing["id"], status="unchanged")
            else:
                result = IngestResult(
                    article=prepared.article,
                    mentions=prepared.mentions,
                    findings=[f for f, _ in prepared.decided],
                    status="updated" if existing else "new",
                )
                result.article_id = _store(db, prepared, existing, result, alert_settings)
    result.timings = {**prepared.timings, "store": time.perf_counter() - t0}
    return result


def _store(
    db: sqlite_utils.Database,
    prepared: Prepared,
    existing: dict[str, Any] | None,
    result: IngestResult,
    alert_settings: Any,
) -> int:
    """The writes of :func:`commit` (the caller holds the transaction)."""
    page, article, chash = prepared.page, prepared.article, prepared.content_hash
    mentions, decided, drafts = prepared.mentions, prepared.decided, prepared.drafts
    row = {
        "url": page.url,
        "canonical_url": article.canonical_url,
        "source": page.source,
        "source_kind": page.source_kind,
        "fetched_at": page.fetched_at,
        "http_status": page.status,
        "content_type": page.content_type,
        "content_hash": chash,
        "title": article.title,
        "published": article.published,
        "author": article.author,
        "language": article.language,
        "text": article.text,
        "error": article.error,
        "processed_at": utcnow(),
    }
    if existing:
        article_id = existing["id"]
        db["articles"].update(article_id, row)
        db.execute("delete from mentions where article_id = ?", [article_id])
        db.execute("delete from findings where article_id = ?", [article_id])
    else:
        article_id = db["articles"].insert(row).last_pk
    if mentions:
        db["mentions"].insert_all(
            {
                "article_id": article_id,
                "text": m.text,
                "label": m.label,
                "start": m.start,
                "end": m.end,
                "entity_id": m.entity_id,
                "sentence": m.sentence,
            }
            for m in mentions
        )
    draft_by_finding = {id(d.finding): d for d in drafts}
    now = utcnow()
    for f, d in decided:
        draft = draft_by_finding.get(id(f))
        finding_id = (
            db["findings"]
            .insert(
                {
                    "article_id": article_id,
                    "entity": f.entity,
                    "entity_id": f.entity_id,
                    "entity_type": f.entity_type,
                    "tie": f.tie,
                    "reason": f.reason,
                    "evidence": f.evidence,
                    "via": f.via,
                    "confidence": f.confidence,
                    "source": f.source,
                    "explain": dumps(f.explain),
                    "alert_key": draft.key if draft else None,
                    "rule": d.rule,
                    "decision": d.action,
                    "created_at": now,
                }
            )
            .last_pk
        )
        if not draft:
            continue
        # issue 5: grouping, repeat interval and silences (newswatch/alerts/groups.py)
        key, what = record_alert(
            db,
            group=draft.key,
            finding=f,
            finding_id=finding_id,
            decision=d,
            article_id=article_id,
            article={**row, "url": page.final_url or page.url},
            text=draft.text,
            settings=alert_settings,
        )
        if key != draft.key:
            db["findings"].update(finding_id, {"alert_key": key})
        if what in ("new", "source-added"):
            result.new_alert_keys.append(key)
    result.alerts = alerts_for_article(db, article_id)
    return article_id


def load_result(db: sqlite_utils.Database, article_id: int, status: str) -> IngestResult:
    """Rebuild an :class:`IngestResult` from what is stored for an article."""
    a = db["articles"].get(article_id)
    article = Article(
        url=a["url"],
        canonical_url=a["canonical_url"],
        text=a["text"] or "",
        title=a["title"],
        published=a["published"],
        author=a["author"],
        language=a["language"],
        error=a["error"],
    )
    mentions = [
        Mention(
            text=m["text"],
            label=m["label"],
            start=m["start"],
            end=m["end"],
            sentence=m["sentence"],
            sentence_index=-1,
            entity_id=m["entity_id"],
        )
        for m in db["mentions"].rows_where("article_id = ?", [article_id], order_by="id")
    ]
    findings = [
        Finding(
            entity=f["entity"],
            entity_type=f["entity_type"],
            tie=f["tie"],
            reason=f["reason"],
            evidence=f["evidence"],
            via=f["via"],
            confidence=f["confidence"],
            entity_id=f["entity_id"],
            source=f["source"],
            explain=json.loads(f["explain"] or "{}"),
        )
        for f in db["findings"].rows_where("article_id = ?", [article_id], order_by="id")
    ]
    return IngestResult(
        article=article,
        mentions=mentions,
        findings=findings,
        alerts=alerts_for_article(db, article_id),
        article_id=article_id,
        status=status,
    )


def alerts_for_article(db: sqlite_utils.Database, article_id: int) -> list[dict[str, Any]]:
    """Alerts raised by an article's findings (including ones first raised by another article)."""
    return [
        dict(r)
        for r in db.query(
            "select distinct a.key, a.status, a.text from findings f join alerts a on a.key = f.alert_key "
            "where f.article_id = ? order by a.id",
            [article_id],
        )
    ]
