"""Schema versions of the store: ordered steps that upgrade a database in place, never losing a row.

``PRAGMA user_version`` holds the number of the last step applied. :func:`migrate` runs on every
open (from :func:`newswatch.store.ensure_schema`, after the tables and columns of ``SCHEMA`` exist)
and applies the steps a file lacks inside one ``BEGIN IMMEDIATE`` transaction, with foreign-key
enforcement off while tables are rebuilt; a file at the latest version is only read.

Steps:

1. **keys**: foreign keys on every id link (SQLite adds them only by rebuilding a table), an integer
   ``alert_id`` beside the text ``alert_key`` where a table joins alerts, filled and kept current by
   triggers (the writers go on writing keys). New links are ``DEFERRABLE INITIALLY DEFERRED``
   (checked at commit, so writers may insert in any order within their transaction); a link to a
   finding is ``ON DELETE SET NULL`` (a re-ingested page replaces its findings). A dangling id (a
   finding deleted before this step) is set to NULL, and counted in the log.
2. **search**: FTS5 on ``articles(title, text)`` and ``findings(entity, reason, evidence)``, kept
   current by triggers.
3. **timestamps**: every epoch-seconds column (claims, leases, locks) becomes ISO 8601 UTC text
   (microseconds, ``+00:00``, so it sorts as it compares); see :func:`newswatch.models.iso_us`.
4. **views**: ``alert_overview``, ``entity_timeline``, ``open_alerts``, ``triage_log``,
   ``source_overview`` (dropped and made again by every later step that changes them).

The store knows tables, not stages: nothing here imports a stage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Link:
    """``table.column`` references ``parent.parent_column``."""

    column: str
    parent: str
    parent_column: str = "id"
    on_delete: str = "NO ACTION"


# Every id link of the store. Links a table already had (sqlite-utils ``foreign_keys`` in SCHEMA)
# are kept as they are.
LINKS: dict[str, list[Link]] = {
    "findings": [Link("alert_id", "alerts", on_delete="SET NULL")],
    "alerts": [Link("finding_id", "findings", on_delete="SET NULL"), Link("silence_id", "silences")],
    "alert_sources": [
        Link("alert_id", "alerts"),
        Link("article_id", "articles"),
        Link("finding_id", "findings", on_delete="SET NULL"),
    ],
    "alert_actions": [Link("alert_id", "alerts")],
    "feedback": [Link("alert_id", "alerts")],
    "crawl_urls": [Link("article_id", "articles"), Link("run_id", "crawl_runs")],
    "ingest_requests": [Link("article_id", "articles")],
    "watch_entities": [Link("list", "watchlists", "name")],
}

# Tables that join alerts by key: their integer alert_id follows alert_key.
ALERT_KEYED = ("findings", "alert_sources", "alert_actions", "feedback")

# Full-text search: table -> columns.
FTS: dict[str, list[str]] = {"articles": ["title", "text"], "findings": ["entity", "reason", "evidence"]}

# Epoch-seconds columns made ISO 8601 UTC by step 3.
EPOCH_COLUMNS: dict[str, list[str]] = {
    "alerts": ["claimed_at", "first_attempt_at"],
    "alert_sources": ["claimed_at", "first_attempt_at"],
    "ingest_requests": ["created_ts", "lease_until"],
    "service_locks": ["started", "acquired_at", "heartbeat_at", "expires_at"],
}

VIEWS: dict[str, str] = {
    "alert_overview": """
select
  a.key, a.created_at, a.entity, a.tie, a.reason, f.evidence, f.via, a.status, a.severity,
  ar.title as article_title, ar.source, ar.published, f.confidence, f.rule, f.source as finding_source,
  ar.url as article_url, coalesce(a.sources, 1) as sources,
  (select group_concat(x.action || ' by ' || coalesce(x.user_name, x.user_id, 'someone') || ' at ' || x.at, '; ')
     from alert_actions x where x.alert_id = a.id) as triage,
  a.channel, a.sent_at, a.id as alert_id, f.id as finding_id, a.article_id
from alerts a
-- its finding; after a page was re-ingested (finding_id cleared) the finding that now names it
left join findings f on f.id = coalesce(a.finding_id, (select min(g.id) from findings g where g.alert_id = a.id))
left join articles ar on ar.id = a.article_id
order by a.created_at desc, a.id desc""",
    "entity_timeline": """
with about as (
  -- the entity's own findings
  select f.entity as subject, f.entity_id as subject_id, 'itself' as role, f.id as finding_id
  from findings f
  union all
  -- findings about the people it is tied through (Xiaomi -> its CEO's award)
  select distinct s.entity, s.entity_id, 'through ' || s.via, f.id
  from findings s join findings f on lower(f.entity) = lower(s.via)
  where coalesce(s.via, '') != '' and lower(s.via) != lower(s.entity)
)
select
  coalesce(ar.published, substr(f.created_at, 1, 10)) as reported, about.role,
  f.entity, f.tie, f.reason, f.evidence, f.via, ar.title as article_title, ar.source, f.confidence,
  f.source as finding_source, f.rule, f.decision, f.alert_key, ar.url as article_url, f.created_at as found_at,
  about.subject, about.subject_id, f.alert_id, f.article_id, f.id as finding_id
from about
join findings f on f.id = about.finding_id
left join articles ar on ar.id = f.article_id
order by about.subject, reported, f.created_at, f.id""",
    "open_alerts": """
select o.* from alert_overview o
where o.status != 'silenced'
  and not exists (select 1 from alert_actions x where x.alert_id = o.alert_id)
order by o.created_at desc, o.alert_id desc""",
    "triage_log": """
select
  x.at, x.action, coalesce(x.user_name, x.user_id) as who, x.user_id,
  a.entity, a.tie, a.reason, a.severity, x.alert_key, x.alert_id,
  (select fb.pattern from feedback fb where fb.alert_id = x.alert_id order by fb.id desc limit 1) as feedback_pattern,
  f.rule, x.detail, x.id as action_id
from alert_actions x
left join alerts a on a.id = x.alert_id
left join findings f on f.id = a.finding_id
order by x.at desc, x.id desc""",
    "source_overview": """
with runs as (
  select s.source, s.kind, r.id as run_id, r.started_at, r.ended_at, s.status, s.fetched, s.new, s.updated,
         s.unchanged, s.failed, s.skipped, s.alerts, s.finish_reason, s.found, s.last_error,
         row_number() over (partition by s.source order by r.started_at desc, s.id desc) as n,
         count(*) over (partition by s.source) as run_count
  from crawl_run_sources s join crawl_runs r on r.id = s.run_id
),
urls as (
  select source, count(*) as urls, sum(status = 'failed') as failed_urls, sum(status = 'blocked') as blocked_urls,
         max(last_seen) as last_url_seen
  from crawl_urls group by source
),
arts as (
  select source, count(*) as articles, max(fetched_at) as last_article_at from articles group by source
)
select
  runs.source, runs.kind, h.state, h.bad_runs, h.since as state_since, h.alert_key as health_alert,
  runs.started_at as last_run_at, runs.status as last_run_status, runs.found as last_run_links,
  runs.fetched as last_run_fetched, runs.new as last_run_new, runs.failed as last_run_failed,
  runs.skipped as last_run_skipped, runs.alerts as last_run_alerts, runs.finish_reason, runs.run_count as runs,
  coalesce(arts.articles, 0) as articles, arts.last_article_at,
  coalesce(urls.urls, 0) as urls, coalesce(urls.failed_urls, 0) as failed_urls,
  coalesce(urls.blocked_urls, 0) as blocked_urls, urls.last_url_seen,
  coalesce(runs.last_error, h.last_error) as last_error
from runs
left join urls on urls.source = runs.source
left join arts on arts.source = runs.source
left join source_health h on h.source = runs.source  -- the state newswatch.alerts.health keeps
where runs.n = 1
order by runs.source""",
}


def iso_from_epoch(value: object) -> object:
    """An epoch-seconds value as ISO 8601 UTC text (microseconds); anything else as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC).isoformat(timespec="microseconds")
    return value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _step_keys(db: sqlite_utils.Database) -> None:
    for table in ALERT_KEYED:
        db.execute(
            f"update {table} set alert_id = (select a.id from alerts a where a.key = {table}.alert_key) "
            "where alert_key is not null"
        )
    for table, links in LINKS.items():
        _rebuild_with_links(db, table, links)
    for table, links in LINKS.items():
        for link in links:
            _null_dangling(db, table, link)
    for table in ALERT_KEYED:
        _alert_id_triggers(db, table)
        db.execute(f"create index if not exists {table}_alert_id on {table} (alert_id)")
    # a finding deleted (a re-ingested page) clears the links to it: found by index, not by a scan
    for table in ("alerts", "alert_sources"):
        db.execute(f"create index if not exists {table}_finding_id on {table} (finding_id)")


def _alert_id_triggers(db: sqlite_utils.Database, table: str) -> None:
    """``alert_id`` follows ``alert_key``: on insert and on a change of the key, and when the alert
    itself is inserted after the rows that name it (a finding is written before its alert)."""
    lookup = "(select a.id from alerts a where a.key = new.alert_key)"
    db.execute(
        f"create trigger if not exists {table}_alert_id_insert after insert on {table} "
        f"when new.alert_key is not null and new.alert_id is null "
        f"begin update {table} set alert_id = {lookup} where rowid = new.rowid; end"
    )
    db.execute(
        f"create trigger if not exists {table}_alert_id_update after update of alert_key on {table} "
        f"begin update {table} set alert_id = {lookup} where rowid = new.rowid; end"
    )
    db.execute(
        f"create trigger if not exists alerts_fill_{table}_alert_id after insert on alerts "
        f"begin update {table} set alert_id = new.id where alert_key = new.key and alert_id is null; end"
    )


def _rebuild_with_links(db: sqlite_utils.Database, table: str, links: list[Link]) -> None:
    """Make ``table`` again with ``links`` as foreign keys (SQLite's documented way: new table,
    copy, drop, rename), keeping its columns, primary key, other keys, indexes and triggers."""
    have = {(fk[3], fk[2]) for fk in db.execute(f"pragma foreign_key_list({_quote(table)})").fetchall()}
    wanted = [lk for lk in links if (lk.column, lk.parent) not in have]
    if not wanted:
        return
    columns = db.execute(f"pragma table_info({_quote(table)})").fetchall()  # cid, name, type, notnull, dflt, pk
    pks = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]]
    defs = []
    for _, name, ctype, notnull, default, pk in columns:
        col = f"{_quote(name)} {ctype or ''}".rstrip()
        if pk and len(pks) == 1:
            col += " PRIMARY KEY"
        if notnull:
            col += " NOT NULL"
        if default is not None:
            col += f" DEFAULT {default}"
        defs.append(col)
    if len(pks) > 1:
        defs.append(f"PRIMARY KEY ({', '.join(_quote(p) for p in pks)})")
    old_fks: dict[int, list[tuple]] = {}
    for fk in db.execute(f"pragma foreign_key_list({_quote(table)})").fetchall():
        old_fks.setdefault(fk[0], []).append(fk)  # id, seq, table, from, to, on_update, on_delete, match
    for parts in old_fks.values():
        froms = ", ".join(_quote(p[3]) for p in parts)
        tos = ", ".join(_quote(p[4]) for p in parts if p[4])
        clause = f"FOREIGN KEY ({froms}) REFERENCES {_quote(parts[0][2])}" + (f" ({tos})" if tos else "")
        if parts[0][6] and parts[0][6] != "NO ACTION":
            clause += f" ON DELETE {parts[0][6]}"
        defs.append(clause)
    for lk in wanted:
        defs.append(
            f"FOREIGN KEY ({_quote(lk.column)}) REFERENCES {_quote(lk.parent)} ({_quote(lk.parent_column)}) "
            f"ON DELETE {lk.on_delete} DEFERRABLE INITIALLY DEFERRED"
        )
    keep = [
        sql
        for (sql,) in db.execute(
            "select sql from sqlite_master where tbl_name = ? and type in ('index', 'trigger') and sql is not null",
            [table],
        ).fetchall()
    ]
    tmp = f"_{table}_rebuilt"
    names = ", ".join(_quote(c[1]) for c in columns)
    db.execute(f"create table {_quote(tmp)} (\n  " + ",\n  ".join(defs) + "\n)")
    db.execute(f"insert into {_quote(tmp)} ({names}) select {names} from {_quote(table)}")
    db.execute(f"drop table {_quote(table)}")
    db.execute(f"alter table {_quote(tmp)} rename to {_quote(table)}")
    for sql in keep:
        db.execute(sql)
    log.info("store: %s rebuilt with foreign keys %s", table, ", ".join(lk.column for lk in wanted))


def _null_dangling(db: sqlite_utils.Database, table: str, link: Link) -> None:
    cur = db.execute(
        f"update {_quote(table)} set {_quote(link.column)} = null where {_quote(link.column)} is not null and "
        f"{_quote(link.column)} not in (select {_quote(link.parent_column)} from {_quote(link.parent)})"
    )
    if cur.rowcount:
        log.warning(
            "store: %d %s.%s named no %s row; set to NULL (the rows are kept)",
            cur.rowcount,
            table,
            link.column,
            link.parent,
        )


def _step_search(db: sqlite_utils.Database) -> None:
    for table, columns in FTS.items():
        t = db.table(table)
        if t.detect_fts() is None:
            t.enable_fts(columns, create_triggers=True)  # also indexes the rows there already


def _step_timestamps(db: sqlite_utils.Database) -> None:
    for table, columns in EPOCH_COLUMNS.items():
        for column in columns:
            col = _quote(column)
            rows = db.execute(
                f"select rowid, {col} from {_quote(table)} where typeof({col}) in ('real', 'integer')"
            ).fetchall()
            for rowid, value in rows:
                db.execute(
                    f"update {_quote(table)} set {_quote(column)} = ? where rowid = ?", [iso_from_epoch(value), rowid]
                )


def _step_views(db: sqlite_utils.Database) -> None:
    # the entity timeline looks findings up by name, and by the name a tie goes through
    db.execute("create index if not exists findings_entity on findings (entity)")
    db.execute("create index if not exists findings_entity_lower on findings (lower(entity))")
    for name in VIEWS:
        db.execute(f"drop view if exists {_quote(name)}")
    for name, sql in VIEWS.items():  # in order: open_alerts reads alert_overview
        db.execute(f"create view {_quote(name)} as {sql.strip()}")


STEPS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("foreign keys and integer alert ids", _step_keys),
    ("full-text search on articles and findings", _step_search),
    ("ISO 8601 UTC for epoch-seconds columns", _step_timestamps),
    ("views for analysts", _step_views),
]
LATEST = len(STEPS)


def version(db: sqlite_utils.Database) -> int:
    return int(db.execute("pragma user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the steps ``db`` lacks (none when it is at :data:`LATEST`); returns their names.

    One ``BEGIN IMMEDIATE`` transaction: a process opening the file at the same moment waits, then
    finds it migrated. Foreign keys are checked before the commit; a violation rolls it all back.
    """
    if version(db) >= LATEST:  # also a file a newer newswatch wrote: left as it is
        return []
    enforce = bool(db.execute("pragma foreign_keys").fetchone()[0])
    db.execute("pragma foreign_keys = off")  # table rebuilds; a no-op inside a transaction, hence here
    done: list[str] = []
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            start = version(db)  # again, now that no one else can write: another process may have
            for number, (name, step) in enumerate(STEPS, start=1):
                if number > start:
                    step(db)
                    done.append(name)
            if done:
                problems = db.execute("pragma foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"store migration left foreign keys unmet: {problems[:5]}")
                db.execute(f"pragma user_version = {LATEST}")
        except BaseException:
            db.conn.rollback()
            raise
        db.execute("COMMIT")
    finally:
        if enforce:
            db.execute("pragma foreign_keys = on")
    if done:
        log.info("store: migrated to version %d (%s)", LATEST, "; ".join(done))
    return done
