"""Article rows: an article with its mentions and findings, written and read back.

Beside the store: it knows the ``articles``, ``mentions`` and ``findings`` tables and the border
types of :mod:`newswatch.models`, no stage. :func:`save_article` runs inside the caller's write
transaction (the pipeline's commit, which records the alerts in the same transaction).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from .models import AlertDraft, Article, Decision, Finding, IngestResult, Mention, Prepared, utcnow
from .store import dumps


@dataclass
class SavedFinding:
    """A finding as stored: its row id, the rules' decision, and its alert draft if it alerts."""

    finding: Finding
    decision: Decision
    finding_id: int
    draft: AlertDraft | None


def article_row(prepared: Prepared) -> dict[str, Any]:
    """The ``articles`` row of a prepared page."""
    page, article = prepared.page, prepared.article
    return {
        "url": page.url,
        "canonical_url": article.canonical_url,
        "source": page.source,
        "source_kind": page.source_kind,
        "fetched_at": page.fetched_at,
        "http_status": page.status,
        "content_type": page.content_type,
        "content_hash": prepared.content_hash,
        "title": article.title,
        "published": article.published,
        "author": article.author,
        "language": article.language,
        "text": article.text,
        "error": article.error,
        "processed_at": utcnow(),
        "nlp": dumps(prepared.nlp) if prepared.nlp else None,
    }


def save_article(
    db: sqlite_utils.Database, prepared: Prepared, existing: dict[str, Any] | None, row: dict[str, Any]
) -> tuple[int, list[SavedFinding]]:
    """Write the article ``row`` (replacing ``existing``'s mentions and findings), its mentions and
    its findings; the caller holds the write transaction. Returns the article id and the findings
    with their row ids, decisions and drafts (``alert_key`` set to the draft's key for now)."""
    if existing:
        article_id = int(existing["id"])
        db.table("articles").update(article_id, row)
        db.execute("delete from mentions where article_id = ?", [article_id])
        db.execute("delete from findings where article_id = ?", [article_id])
    else:
        article_id = int(db.table("articles").insert(row).last_pk or 0)
    if prepared.mentions:
        db.table("mentions").insert_all(
            {
                "article_id": article_id,
                "text": m.text,
                "label": m.label,
                "start": m.start,
                "end": m.end,
                "entity_id": m.entity_id,
                "sentence": m.sentence,
            }
            for m in prepared.mentions
        )
    draft_by_finding = {id(d.finding): d for d in prepared.drafts}
    now = utcnow()
    saved: list[SavedFinding] = []
    for f, d in prepared.decided:
        draft = draft_by_finding.get(id(f))
        finding_id = (
            db.table("findings")
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
        saved.append(SavedFinding(f, d, int(finding_id or 0), draft))
    return article_id, saved


def set_finding_alert(db: sqlite_utils.Database, finding_id: int, alert_key: str) -> None:
    """Point a stored finding at the alert its group used (a repeat key such as ``<group>-2``)."""
    db.table("findings").update(finding_id, {"alert_key": alert_key})


def load_result(db: sqlite_utils.Database, article_id: int, status: str) -> IngestResult:
    """Rebuild an :class:`IngestResult` from what is stored for an article."""
    a = db.table("articles").get(article_id)
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
        for m in db.table("mentions").rows_where("article_id = ?", [article_id], order_by="id")
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
        for f in db.table("findings").rows_where("article_id = ?", [article_id], order_by="id")
    ]
    return IngestResult(
        article=article,
        mentions=mentions,
        findings=findings,
        alerts=alerts_for_article(db, article_id),
        article_id=article_id,
        status=status,
    )


def article_meta(db: sqlite_utils.Database, article_id: int) -> dict[str, Any] | None:
    """Where an article came from (source, kind, fetch time, canonical URL), or None if unknown."""
    rows = list(
        db.query("select id, source, source_kind, fetched_at, canonical_url from articles where id = ?", [article_id])
    )
    return rows[0] if rows else None


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
