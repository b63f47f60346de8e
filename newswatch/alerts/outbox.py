"""The outbox: alerts are written ``pending`` with their findings, then delivered here.

Exactly once across crashes: before posting, an alert is marked ``sending`` (committed); if
the process dies after Slack accepted the message but before ``sent`` was recorded, the next
run finds the alert still ``sending`` and asks Slack (message metadata carries the alert key)
whether it was posted, instead of posting again. Thread replies for later sources of a group
(table ``alert_sources``) go the same way, looked up in the thread.

Retries: inside one attempt slack-sdk's retry handlers deal with 429 (Retry-After), 5xx and
connection errors; an attempt that still fails leaves the alert ``pending`` with
``next_attempt_at`` (exponential backoff from ``alerts.retry_backoff``) and ``last_error``.
Once an alert has failed for ``alerts.give_up_after`` it becomes ``failed`` with the last error.

Failures no retry cures are not retried: a permanent error (:data:`~.sinks.TOKEN_ERRORS`, a channel
that does not exist or the bot is not in, a message Slack refuses) marks the alert ``failed`` with
the reason at once. A token error stops the batch (every call would fail the same way); a channel
error fails that channel's other alerts of the batch too, without posting them; a host that is
unreachable (refused, no address, no answer in time) stops the batch after the first alert met
it, so an outage costs one timeout, not one per alert. What was not tried says why
(:attr:`DeliveryReport.halted`, ``skipped``).

Several deliverers (the service and a CLI run) may share the database: an alert is claimed
with a conditional UPDATE (only one of them wins), and a ``sending`` alert whose claimer
(host:pid:start time in ``claimed_by``) is still alive and within :data:`LEASE` seconds is left
alone, so a post still in flight is never taken for an interrupted one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from ..config import AlertSettings
from ..models import epoch, iso_us, utcnow
from ..procs import Owner
from ..store import database_file, update_alert
from . import health
from .duration import from_iso, iso, parse_duration
from .message import build_blocks, build_reply, record_button, record_url
from .plain import plain_alert
from .sinks import DeliveryError, Sink

log = logging.getLogger(__name__)

MAX_BACKOFF = 3600.0
LEASE = 900.0  # seconds a live deliverer may hold a 'sending' claim


def owner_id() -> str:
    """This thread as ``host:pid:start-time:thread`` (start time guards against a reused pid; the
    thread tells the service's ingest worker and its outbox thread apart)."""
    return str(Owner.current_thread())


def claim_alive(claimed_by: str | None, claimed_at: str | float | None, now: float) -> bool:
    """Is the process that marked a row ``sending`` possibly still posting it?"""
    at = epoch(claimed_at)
    if not claimed_by or not at or now - at >= LEASE:
        return False
    owner = Owner.parse(claimed_by)
    if owner is None:
        return False
    if owner.is_current:  # another thread of this process may be posting it (sleeping out a 429, say)
        return owner.thread_alive()
    return owner.alive()


def _claim(db: sqlite_utils.Database, table: str, row: dict[str, Any], status_col: str, **fields: Any) -> bool:
    """Mark a row ``sending`` only if nobody changed it since we read it; True if we won."""
    sets = ", ".join(f"{k} = ?" for k in fields)
    cur = db.execute(
        f"update {table} set {status_col} = 'sending', {sets} where id = ? and {status_col} = ? "
        "and coalesce(claimed_at, 0) = ?",
        [*fields.values(), row["id"], row[status_col], row.get("claimed_at") or 0],
    )
    return cur.rowcount == 1


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # not tried: the batch had stopped
    halted: str | None = None  # why the batch stopped (a token error, an unreachable host)
    bad_channels: dict[str, str] = field(default_factory=dict)  # channel -> permanent error, this batch

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was left for a reason (backoff waits are fine)."""
        return not (self.failed or self.errors or self.halted)

    def outcome(self, key: str) -> str:
        """What became of alert ``key``, the one just tried in this batch (sent, printed, failed, ...;
        "error" when it will be retried): each alert lands once, last, in one list, so only the
        lists' last entries are read (no scan that grows with the batch)."""
        for name in ("sent", "recovered", "printed", "failed", "skipped", "deferred"):
            done = getattr(self, name)
            if done and done[-1] == key:
                return name
        return "error" if key in self.errors else "unchanged"

    def halt(self, exc: DeliveryError) -> bool:
        """Note a batch-stopping error (token-level or unreachable); True if it stops the batch."""
        if exc.permanent == "token" or (exc.unreachable and not exc.permanent):
            self.halted = self.halted or str(exc)
            return True
        return False


def alert_message(
    db: sqlite_utils.Database, row: dict[str, Any], ui_base_url: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """(text, blocks) of an alert as it should look now (source count, triage state), with a link to
    its record in ``newswatch ui`` when ``ui_base_url`` (setting ``ui.base_url``) is set."""
    payload = json.loads(row["payload"] or "{}")
    record = record_url(ui_base_url, Path(database_file(db)).stem, row.get("id"))
    if payload.get("kind") == health.HEALTH_KIND:
        text, blocks = health.build_blocks(payload, recovered=health.recovered(db, row["key"]))
        button = record_button(record, row["key"])
        return text, blocks + ([{"type": "actions", "elements": [button]}] if button else [])
    actions = (
        [
            dict(r)
            for r in db.query(
                "select action, user_id, user_name, at from alert_actions where alert_key = ? order by id", [row["key"]]
            )
        ]
        if db.table("alert_actions").exists()
        else []
    )
    return build_blocks(
        {**payload, "key": row["key"]},
        sources=row.get("sources") or payload.get("sources") or 1,
        actions=actions,
        record=record,
    )


def _next_try(settings: AlertSettings, attempts: int, now: float) -> float:
    return now + min(MAX_BACKOFF, parse_duration(settings.retry_backoff) * 2 ** max(0, attempts - 1))


def deliver_pending(
    db: sqlite_utils.Database,
    sink: Sink,
    *,
    keys: list[str] | None = None,
    settings: AlertSettings | None = None,
    now: float | None = None,
    ignore_backoff: bool = False,
    ui_base_url: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> DeliveryReport:
    """Deliver every ``pending`` (or interrupted ``sending``) alert, then pending thread replies.
    With ``ui_base_url`` each message links to the alert's record in ``newswatch ui``; ``progress``
    is called after each alert with (alerts done, alerts in the batch, that alert's outcome)."""
    settings = settings or AlertSettings()
    report = DeliveryReport()
    where = "status in ('pending', 'sending')"
    params: list = []
    if keys is not None:
        if not keys:
            return report
        where += f" and key in ({', '.join('?' for _ in keys)})"
        params = list(keys)
    rows = list(db.table("alerts").rows_where(where, params, order_by="id"))
    for done, row in enumerate(rows, 1):
        _deliver_alert(db, sink, row, settings, report, now, ignore_backoff, ui_base_url)
        if progress:
            progress(done, len(rows), report.outcome(row["key"]))
    if not report.halted:
        _deliver_replies(db, sink, settings, report, keys, now, ignore_backoff, ui_base_url)
    if report.halted:
        log.error("delivery stopped: %s; %d alert(s) not tried, left pending", report.halted, len(report.skipped))
    return report


def _channel_key(channel: str | None) -> str:
    return (channel or "").lstrip("#")


def _fail_permanently(
    db: sqlite_utils.Database, row: dict[str, Any], exc: DeliveryError, report: DeliveryReport
) -> None:
    """A permanent error: the alert is ``failed`` with the reason now, not after give_up_after."""
    key = row["key"]
    update_alert(db, row["id"], status="failed", last_error=str(exc), next_attempt_at=None, verify_first=None)
    log.error("alert %s FAILED (permanent, not retried): %s", key, exc)
    report.failed.append(key)
    report.errors[key] = str(exc)
    if exc.permanent == "channel":
        report.bad_channels[_channel_key(row["channel"])] = str(exc)
    report.halt(exc)


def _deliver_alert(
    db: sqlite_utils.Database,
    sink: Sink,
    row: dict[str, Any],
    settings: AlertSettings,
    report: DeliveryReport,
    now: float | None,
    ignore_backoff: bool,
    ui_base_url: str | None = None,
) -> None:
    """One alert of the batch: skipped once the batch has stopped, failed at once when its channel
    failed permanently earlier in the batch, else delivered (or found posted before)."""
    key = row["key"]
    if report.halted:
        report.skipped.append(key)
        if row["status"] == "pending":  # `alerts ls` says why it is still waiting
            update_alert(db, row["id"], last_error=f"not tried: {report.halted}")
        return
    bad = report.bad_channels.get(_channel_key(row["channel"]))
    if bad and sink.marks_sent and row["status"] == "pending" and not row.get("verify_first"):
        err = f"{bad} (not posted: the same channel failed earlier in this batch)"
        update_alert(db, row["id"], status="failed", last_error=err, next_attempt_at=None)
        report.failed.append(key)
        report.errors[key] = err
        return
    t = now if now is not None else time.time()
    due = from_iso(row.get("next_attempt_at"))
    if due and due > t and not ignore_backoff and row["status"] == "pending":
        report.deferred.append(key)
        return
    unsure = bool(row.get("verify_first")) and row["status"] == "pending"  # an earlier post may have arrived
    if (row["status"] == "sending" or unsure) and sink.marks_sent:
        if not unsure and claim_alive(row.get("claimed_by"), row.get("claimed_at"), time.time()):
            report.deferred.append(key)  # another deliverer is posting it right now
            return
        if not sink.can_verify:
            why = row.get("last_error") if unsure else "interrupted while sending"
            err = (
                f"{why}; the {sink.name} sink cannot tell whether the post arrived: check the channel, then "
                "`newswatch alerts retry KEY` if it did not"
            )
            update_alert(db, row["id"], status="failed", last_error=err)
            report.failed.append(key)
            report.errors[key] = err
            return
        try:
            found = sink.find_posted(channel=row["channel"], key=key, since=(epoch(row["claimed_at"]) or 0) - 60)
        except DeliveryError as exc:
            # cannot tell whether it arrived: never post it blindly, even when the channel is gone
            update_alert(db, row["id"], last_error=str(exc))
            report.errors[key] = str(exc)
            report.halt(exc)
            return
        if found:
            update_alert(
                db,
                row["id"],
                status="sent",
                slack_ts=found.ts,
                channel=found.channel,
                sent_at=utcnow(),
                last_error=None,
                verify_first=None,
            )
            report.recovered.append(key)
            log.info("alert %s was posted before an interruption (ts %s): recorded, not posted again", key, found.ts)
            return
    if not sink.marks_sent:  # printed for a person (the terminal): plain text from the alert's fields
        payload = json.loads(row["payload"] or "{}")
        plain = plain_alert(
            {**payload, **{k: row[k] for k in ("entity", "tie", "reason", "severity") if row.get(k)}},
            sources=row.get("sources") or 1,
        )
        sink.post(channel=row["channel"], text=plain, blocks=[], key=key)
        report.printed.append(key)
        return
    text, blocks = alert_message(db, row, ui_base_url)
    attempts = (row["attempts"] or 0) + 1
    first = epoch(row.get("first_attempt_at")) or t
    if not _claim(
        db,
        "alerts",
        row,
        "status",
        attempts=attempts,
        claimed_at=iso_us(time.time()),
        first_attempt_at=iso_us(first),
        claimed_by=owner_id(),
        updated_at=utcnow(),
    ):
        report.deferred.append(key)  # another deliverer took it between our read and our claim
        return
    try:
        posted = sink.post(channel=row["channel"], text=text, blocks=blocks, key=key)
    except DeliveryError as exc:
        t = now if now is not None else time.time()
        if exc.permanent and not exc.uncertain:
            _fail_permanently(db, row, exc, report)
            return
        report.halt(exc)  # unreachable: the rest of the batch is not tried (this alert is kept below)
        if exc.uncertain and not sink.can_verify:
            err = (
                f"{exc}; the {sink.name} sink cannot tell whether the post arrived: check the channel, then "
                "`newswatch alerts retry KEY` if it did not"
            )
            update_alert(db, row["id"], status="failed", last_error=err, next_attempt_at=None)
            log.error("alert %s FAILED, delivery unknown: %s", key, exc)
            report.failed.append(key)
            report.errors[key] = err
            return
        if t - first >= parse_duration(settings.give_up_after):
            err = f"{exc} (it may have arrived: check the channel)" if exc.uncertain else str(exc)
            update_alert(db, row["id"], status="failed", last_error=err, next_attempt_at=None)
            log.error("alert %s FAILED after %d attempts: %s", key, attempts, err)
            report.failed.append(key)
        else:
            # Uncertain: the next attempt looks for the message in the channel before it posts again.
            update_alert(
                db,
                row["id"],
                status="pending",
                verify_first=1 if exc.uncertain else None,
                last_error=str(exc),
                next_attempt_at=iso(_next_try(settings, attempts, t)),
            )
            log.warning("alert %s not delivered (attempt %d), will retry: %s", key, attempts, exc)
        report.errors[key] = str(exc)
        return
    assert posted is not None, "a sink that marks alerts sent says where it posted them"
    update_alert(
        db,
        row["id"],
        status="sent",
        slack_ts=posted.ts,
        channel=posted.channel,
        sent_at=utcnow(),
        last_error=None,
        next_attempt_at=None,
        verify_first=None,
    )
    report.sent.append(key)


def _deliver_replies(
    db: sqlite_utils.Database,
    sink: Sink,
    settings: AlertSettings,
    report: DeliveryReport,
    keys: list[str] | None,
    now: float | None,
    ignore_backoff: bool,
    ui_base_url: str | None = None,
) -> None:
    """Post 'also reported by' thread replies for later sources of sent alerts; update the parents."""
    if not sink.marks_sent:
        return
    sql = (
        "select s.*, a.id as a_id, a.status as a_status, a.slack_ts as a_ts, a.channel as a_channel, "
        "ar.language as language "
        "from alert_sources s join alerts a on a.key = s.alert_key left join articles ar on ar.id = s.article_id "
        "where s.reply_status in ('pending', 'sending')"
    )
    params: list = []
    if keys is not None:
        sql += f" and s.alert_key in ({', '.join('?' for _ in keys)})"
        params = list(keys)
    touched: set[str] = set()
    for src in [dict(r) for r in db.query(sql + " order by s.id", params)]:
        skey = f"{src['alert_key']}:source:{src['id']}"
        if report.halted:
            report.skipped.append(skey)
            continue
        if src["a_status"] == "failed":
            db.table("alert_sources").update(
                src["id"], {"reply_status": "failed", "last_error": "the alert itself failed"}
            )
            continue
        if src["a_status"] != "sent":
            continue  # the parent goes first; its message already counts this source
        t = now if now is not None else time.time()
        due = from_iso(src.get("next_attempt_at"))
        if due and due > t and not ignore_backoff and src["reply_status"] == "pending":
            report.deferred.append(skey)
            continue
        thread = src["a_ts"] if sink.threads and src["a_ts"] else None
        unsure = bool(src.get("verify_first")) and src["reply_status"] == "pending"
        if src["reply_status"] == "sending" or unsure:
            if not unsure and claim_alive(src.get("claimed_by"), src.get("claimed_at"), time.time()):
                report.deferred.append(skey)
                continue
            if not sink.can_verify:
                db.table("alert_sources").update(
                    src["id"], {"reply_status": "failed", "last_error": "interrupted; unknown"}
                )
                report.errors[skey] = "interrupted; unknown whether the reply arrived"
                continue
            try:
                found = sink.find_posted(
                    channel=src["a_channel"], key=skey, since=(epoch(src["claimed_at"]) or 0) - 60, thread_ts=thread
                )
            except DeliveryError as exc:
                report.errors[skey] = str(exc)
                report.halt(exc)
                continue
            if found:
                db.table("alert_sources").update(
                    src["id"], {"reply_status": "sent", "reply_ts": found.ts, "last_error": None, "verify_first": None}
                )
                report.recovered.append(skey)
                touched.add(src["alert_key"])
                continue
        text, blocks = health.build_recovery_reply(src) if src["source"] == health.HEALTH_SOURCE else build_reply(src)
        attempts = (src["attempts"] or 0) + 1
        first = epoch(src.get("first_attempt_at")) or t
        if not _claim(
            db,
            "alert_sources",
            src,
            "reply_status",
            attempts=attempts,
            claimed_at=iso_us(time.time()),
            first_attempt_at=iso_us(first),
            claimed_by=owner_id(),
        ):
            report.deferred.append(skey)
            continue
        try:
            posted = sink.post(channel=src["a_channel"], text=text, blocks=blocks, key=skey, thread_ts=thread)
        except DeliveryError as exc:
            t = now if now is not None else time.time()
            report.halt(exc)
            failed = (
                t - first >= parse_duration(settings.give_up_after)
                or (exc.uncertain and not sink.can_verify)
                or bool(exc.permanent and not exc.uncertain)
            )
            db.table("alert_sources").update(
                src["id"],
                {
                    "reply_status": "failed" if failed else "pending",
                    "verify_first": 1 if exc.uncertain else None,  # looked for before a new post
                    "last_error": str(exc) + (" (it may have arrived: check the thread)" if exc.uncertain else ""),
                    "next_attempt_at": None if failed else iso(_next_try(settings, attempts, t)),
                },
            )
            report.errors[skey] = str(exc)
            if failed:
                report.failed.append(skey)
            continue
        db.table("alert_sources").update(
            src["id"],
            {
                "reply_status": "sent",
                "reply_ts": posted.ts if posted else None,
                "last_error": None,
                "verify_first": None,
            },
        )
        report.replies.append(skey)
        touched.add(src["alert_key"])
    for key in touched:
        refresh_message(db, sink, key, ui_base_url)


def refresh_message(db: sqlite_utils.Database, sink: Sink, key: str, ui_base_url: str | None = None) -> bool:
    """Rewrite a sent alert's message (source count, triage state) with ``chat.update``."""
    rows = list(db.table("alerts").rows_where("key = ?", [key], limit=1))
    if not rows or rows[0]["status"] != "sent" or not rows[0]["slack_ts"]:
        return False
    row = rows[0]
    text, blocks = alert_message(db, row, ui_base_url)
    try:
        sink.update(channel=row["channel"], ts=row["slack_ts"], text=text, blocks=blocks)
    except DeliveryError as exc:
        log.warning("alert %s: message not updated: %s", key, exc)
        update_alert(db, row["id"], last_error=f"update: {exc}")
        return False
    return True


# -- the outbox's rows, as the commands and the API read them ----------------------------------

LISTED_COLUMNS = (
    "id, key, status, attempts, last_error, channel, severity, entity, tie, reason, article_id, text, "
    "created_at, sent_at"
)


def list_alerts(
    db: sqlite_utils.Database,
    status: str | None = None,
    *,
    limit: int | None = None,
    newest_first: bool = False,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """Alert rows without their payload, optionally of one ``status`` and created at or after
    ``since`` (ISO time); oldest first unless ``newest_first``. With ``limit``, only the summary
    columns the API shows."""
    conds, params = [], []
    if status:
        conds.append("status = ?")
        params.append(status)
    if since:
        conds.append("created_at >= ?")
        params.append(since)
    where = ("where " + " and ".join(conds)) if conds else ""
    order = "desc" if newest_first else "asc"
    if limit is None:
        rows = [dict(r) for r in db.query(f"select * from alerts {where} order by id {order}", params)]
        for r in rows:
            r.pop("payload", None)
        return rows
    return [
        dict(r)
        for r in db.query(
            f"select {LISTED_COLUMNS} from alerts {where} order by id {order} limit ?", [*params, int(limit)]
        )
    ]


def status_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """How many alerts are in each status."""
    return {r["status"]: r["n"] for r in db.query("select status, count(*) n from alerts group by status")}


def retry_failed(db: sqlite_utils.Database, key: str) -> None:
    """Put a ``failed`` alert back to ``pending`` with a fresh retry deadline."""
    from ..errors import InputError
    from ..store import write_transaction

    rows = list(db.table("alerts").rows_where("key = ?", [key]))
    if not rows:
        raise InputError(f"alert {key}: no such alert (see `newswatch alerts ls`)")
    if rows[0]["status"] != "failed":
        raise InputError(f"alert {key}: status is {rows[0]['status']}, only failed alerts can be retried")
    with write_transaction(db):
        db.table("alerts").update(
            rows[0]["id"], {"status": "pending", "first_attempt_at": None, "next_attempt_at": None}
        )


class Outbox:
    """A thread that sends pending alerts every ``every`` seconds (crawl findings, retries after
    backoff); the service starts it.

    ``deliver_pending`` claims each alert in the database, so this thread, the ingest worker and a
    ``newswatch alerts deliver`` run at the same time never post an alert twice.
    """

    def __init__(
        self,
        db_path: Path,
        settings: AlertSettings,
        sink_factory: Callable[[], Sink],
        every: float,
        ui_base_url: str | None = None,
    ) -> None:
        self.db_path = db_path
        self.ui_base_url = ui_base_url
        self.settings = settings
        self.sink_factory = sink_factory
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        from ..store import open_db
        from .sinks import TerminalSink

        db = open_db(self.db_path)
        warned = False
        last_check_error: str | None = None
        while not self._stop.wait(self.every):
            try:
                sink = self.sink_factory()
                if isinstance(sink, TerminalSink):
                    if not warned:
                        log.warning(
                            "outbox: no Slack token, webhook or JSON-lines file configured; "
                            "alerts stay pending (see `newswatch alerts ls`)"
                        )
                        warned = True
                    continue
                try:
                    sink.check()  # a bad token or an unreachable Slack: said, and nothing tried
                except DeliveryError as exc:
                    if str(exc) != last_check_error:
                        log.error("outbox: cannot deliver: %s", exc)
                        last_check_error = str(exc)
                    continue
                if last_check_error:
                    log.warning("outbox: delivery works again")
                    last_check_error = None
                report = deliver_pending(db, sink, settings=self.settings, ui_base_url=self.ui_base_url)
                if report.sent or report.failed or report.halted:
                    log.warning("outbox: %s", report)
            except Exception:  # noqa: BLE001 - the outbox keeps going; each alert keeps its own error
                log.exception("outbox pass failed")
