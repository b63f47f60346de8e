"""Silences: "do not post alerts about this entity (tie, reason) until then, because ...".

A silenced finding is still stored; its alert gets status ``silenced`` and the silence id, and
is never posted. Matching: entity by watchlist id or folded name (the name given to
``silence add`` is resolved the same way), tie exactly, reason as a glob (``*`` allowed).
"""

from __future__ import annotations

import fnmatch
import time
from typing import Any

import sqlite_utils

from ..errors import InputError
from ..models import TIES, utcnow
from ..store import write_transaction
from ..watchlists.normalize import normalize_name
from .duration import iso, parse_duration


def _fold(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def _names(text: str | None) -> set[str]:
    """Forms a name is compared in: folded, and the watchlist's normalized form ("Xiaomi Corp." -> "xiaomi")."""
    return {_fold(text), normalize_name(text or "")} - {""}


def add_silence(
    db: sqlite_utils.Database,
    *,
    entity: str,
    duration: str,
    why: str,
    tie: str | None = None,
    reason: str | None = None,
    created_by: str = "cli",
    now: float | None = None,
) -> dict[str, Any]:
    """Store a silence and return its row. ``entity`` is a name or a watchlist id."""
    if not entity.strip():
        raise InputError("silence: --entity must not be empty")
    if not why.strip():
        raise InputError("silence: --why must say why (it is shown in `silence ls`)")
    if tie is not None and tie not in TIES:
        raise InputError(f"silence: --tie must be one of {', '.join(TIES)}, not {tie!r}")
    seconds = parse_duration(duration, "--for")
    if seconds <= 0:
        raise InputError("silence: --for must be longer than zero")
    t = time.time() if now is None else now
    row = {
        "entity": entity.strip(),
        "tie": tie,
        "reason": reason,
        "why": why.strip(),
        "created_by": created_by,
        "created_at": utcnow(),
        "expires_at": iso(t + seconds),
        "removed_at": None,
    }
    with write_transaction(db):
        row["id"] = db.table("silences").insert(row).last_pk
    return row


def silence_active(db: sqlite_utils.Database, silence_id: int, now: float | None = None) -> bool:
    """Is silence ``silence_id`` in force (not removed, not expired)?"""
    stamp = iso(time.time() if now is None else now)
    rows = list(db.table("silences").rows_where("id = ?", [silence_id], limit=1))
    return bool(rows) and not rows[0]["removed_at"] and rows[0]["expires_at"] > stamp


def active_silence(
    db: sqlite_utils.Database, entity: str, tie: str | None = None, reason: str | None = None
) -> dict[str, Any] | None:
    """A silence in force with exactly this entity, tie and reason (None: any), if one exists."""
    for r in list_silences(db):
        if r["entity"] == entity.strip() and r["tie"] == tie and r["reason"] == reason:
            return r
    return None


def list_silences(
    db: sqlite_utils.Database, *, include_inactive: bool = False, now: float | None = None
) -> list[dict[str, Any]]:
    """Silences, newest first; by default only those in force."""
    rows = [dict(r) for r in db.table("silences").rows_where(order_by="id desc")]
    stamp = iso(time.time() if now is None else now)
    for r in rows:
        r["active"] = not r["removed_at"] and r["expires_at"] > stamp
    return rows if include_inactive else [r for r in rows if r["active"]]


def remove_silence(db: sqlite_utils.Database, silence_id: int) -> dict[str, Any]:
    """End a silence now (the row stays, with ``removed_at``)."""
    rows = list(db.table("silences").rows_where("id = ?", [silence_id]))
    if not rows:
        raise InputError(f"silence {silence_id}: no such silence (see `newswatch silence ls`)")
    if rows[0]["removed_at"]:
        raise InputError(f"silence {silence_id}: already removed at {rows[0]['removed_at']}")
    with write_transaction(db):
        db.table("silences").update(silence_id, {"removed_at": utcnow()})
    return {**rows[0], "removed_at": utcnow()}


def matching_silence(
    db: sqlite_utils.Database, *, entity: str, entity_id: str | None, tie: str, reason: str, now: float | None = None
) -> dict[str, Any] | None:
    """The silence in force that covers this (entity, tie, reason), if any."""
    stamp = iso(time.time() if now is None else now)
    names = _names(entity) | ({_fold(entity_id)} if entity_id else set())
    for s in db.query("select * from silences where removed_at is null and expires_at > ? order by id", [stamp]):
        if not (_names(s["entity"]) & names):
            continue
        if s["tie"] and s["tie"] != tie:
            continue
        if s["reason"] and not fnmatch.fnmatchcase(_fold(reason), _fold(s["reason"])):
            continue
        return dict(s)
    return None
