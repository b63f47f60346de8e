"""How long the UI's views and searches take, and the migration of an old store, at scale.

    .venv/bin/python bench/ui_queries.py [--articles 20000]

Starts from ``fixtures/db/v0.db`` (the schema before migrations), adds generated articles (our own
words, ~2 kB each), 3 findings each, an alert per finding group, their sources and crawl URLs,
then times ``open_db`` (the migration: table rebuilds for the keys, FTS5 indexing, ISO timestamps,
views) and the queries the UI runs (datasette's page of 51 rows, its count, a search, the facets).
Prints one line per measure (median of 5 runs, milliseconds).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newswatch.store import open_db  # noqa: E402

WORDS = (
    "ministry commerce department added removed list export controls company holdings group shares "
    "chairman award ceremony state media supplier chips devices quarter revenue court ruling filing "
    "defence contractor sanctions review analysts investors market report statement officials"
).split()
TIES = [("blacklist", "Entity List"), ("delisting", "DoD Chinese Military Companies List"), ("award", "Labour Medal")]
SOURCES = ["technews-feed", "technews-sitemap", "technews-tech", "sec-edgar", "fedreg-entity-list"]


def fill(path: Path, articles: int, seed: int = 7, offset: int = 0) -> None:
    rnd = random.Random(seed)
    con = sqlite3.connect(path)
    names = [f"Quorvex {i + offset} Holdings Ltd" for i in range(articles // 10 + 10)] + ["Xiaomi Corporation"]
    run = con.execute("insert into crawl_runs (started_at, status) values ('2026-01-01T06:00:00+00:00', 'finished')")
    run_id = run.lastrowid
    for s in SOURCES:
        con.execute(
            "insert into crawl_run_sources (run_id, source, kind, status, fetched, new) "
            "values (?, ?, 'feed', 'finished', 9, 9)",
            [run_id, s],
        )
    base = con.execute("select coalesce(max(id), 0) from articles").fetchone()[0] + offset
    for i in range(articles):
        aid = base + i + 1
        ents = rnd.sample(names, 3)
        text = " ".join(rnd.choice(WORDS) for _ in range(320)) + " " + " and ".join(ents) + "."
        url = f"https://news.example/{aid}"
        day = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
        con.execute(
            "insert into articles (id, url, canonical_url, source, source_kind, fetched_at, title, published, text) "
            "values (?, ?, ?, ?, 'news', ?, ?, ?, ?)",
            [aid, url, url, SOURCES[i % 5], f"{day}T06:00:00+00:00", f"{ents[0]} report {i}", day, text],
        )
        con.execute(
            "insert into crawl_urls (canonical_url, url, source, status, article_id, run_id, first_seen, last_seen) "
            "values (?, ?, ?, 'stored', ?, ?, ?, ?)",
            [url, url, SOURCES[i % 5], aid, run_id, day, day],
        )
        for e in ents:
            tie, reason = rnd.choice(TIES)
            key = f"k{abs(hash((e, tie))) % 10**12}"
            fid = con.execute(
                "insert into findings (article_id, entity, tie, reason, evidence, confidence, source, rule, decision, "
                "alert_key, created_at) values (?, ?, ?, ?, ?, 0.9, 'text', 'r', 'alert', ?, ?)",
                [aid, e, tie, reason, f"Officials said {e} was put on the {reason}.", key, f"{day}T06:00:00+00:00"],
            ).lastrowid
            if not con.execute("select 1 from alerts where key = ?", [key]).fetchone():
                con.execute(
                    "insert into alerts (key, status, entity, tie, reason, article_id, finding_id, created_at, "
                    "claimed_at, sources) values (?, 'sent', ?, ?, ?, ?, ?, ?, ?, 1)",
                    [key, e, tie, reason, aid, fid, f"{day}T06:00:00+00:00", time.time()],
                )
            con.execute(
                "insert or ignore into alert_sources (alert_key, article_id, finding_id, url, evidence, added_at, "
                "reply_status) values (?, ?, ?, ?, 'x', ?, 'sent')",
                [key, aid, fid, url, day],
            )
    con.commit()
    con.close()


def timed(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.db"
        shutil.copy(ROOT / "fixtures" / "db" / "v0.db", path)
        t = time.perf_counter()
        fill(path, args.articles)
        print(f"generated {args.articles} articles in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        db = open_db(path)
        print(f"migration (open_db of the old file): {(time.perf_counter() - t) * 1000:.0f} ms")
        counts = {x: db.table(x).count for x in ("articles", "findings", "alerts", "alert_sources")}
        print("rows:", counts, f"file {path.stat().st_size / 1e6:.0f} MB")
        q = db.execute
        subject = q("select entity from findings where entity like 'Quorvex 7 %' limit 1").fetchone()[0]
        measures = {
            "alert_overview: first page (51 rows)": lambda: q("select * from alert_overview limit 51").fetchall(),
            "alert_overview: count": lambda: q("select count(*) from alert_overview").fetchall(),
            "alert_overview: search 'Xiaomi' (findings_fts)": lambda: q(
                "select * from alert_overview where finding_id in "
                "(select rowid from findings_fts where findings_fts match 'Xiaomi') limit 51"
            ).fetchall(),
            "alert_overview: facet tie": lambda: q("select tie, count(*) from alert_overview group by tie").fetchall(),
            "articles: search 'Quorvex' (articles_fts), page": lambda: q(
                "select id, title from articles where rowid in "
                "(select rowid from articles_fts where articles_fts match 'Quorvex') limit 51"
            ).fetchall(),
            f"entity_timeline: subject = {subject!r}": lambda: q(
                "select * from entity_timeline where subject = ?", [subject]
            ).fetchall(),
            "open_alerts: first page": lambda: q("select * from open_alerts limit 51").fetchall(),
            "source_overview: all": lambda: q("select * from source_overview").fetchall(),
        }
        for name, fn in measures.items():
            print(f"{name}: {timed(fn):.1f} ms")
        db.conn.close()
        # what the search triggers cost the store stage: the same pages into a file without them
        plain = Path(tmp) / "plain.db"
        shutil.copy(ROOT / "fixtures" / "db" / "v0.db", plain)
        for label, target in (("without FTS triggers (old schema)", plain), ("with FTS triggers", path)):
            t = time.perf_counter()
            fill(target, 1000, seed=11, offset=10**6)
            print(f"1000 articles written {label}: {(time.perf_counter() - t):.2f} s")


if __name__ == "__main__":
    main()
