"""The database locked by another writer for a while: work waits, then goes on; nothing lost."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from newswatch.store import open_db
from tests.support.paths import ROOT, SEED_PAGE, SEED_URL


def test_ingest_waits_for_a_locked_database(tmp_path: Path) -> None:
    db_file = tmp_path / "locked.db"
    open_db(db_file).conn.close()
    blocker = sqlite3.connect(db_file, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    blocker.execute(
        "insert into articles (url, canonical_url, fetched_at) values ('https://other/', "
        "'https://other/', '2021-01-01')"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newswatch",
            "--db",
            str(db_file),
            "ingest",
            "--html",
            str(SEED_PAGE),
            "--url",
            SEED_URL,
            "--json",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6)  # spaCy loads, the pipeline runs, then the store waits on the lock
    assert proc.poll() is None, proc.communicate()
    blocker.execute("COMMIT")
    blocker.close()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert len(result["findings"]) >= 3
    con = sqlite3.connect(db_file)
    urls = {r[0] for r in con.execute("select url from articles")}
    assert urls == {"https://other/", SEED_URL}, "both writers' work is kept"
    assert con.execute("select count(*) from alerts").fetchone()[0] == len(result["alerts"]) == 3


OPENER = """
import sys, time
from newswatch.store import open_db
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time() - 0.02))
while time.time() < start:  # the last 20 ms spinning, so the four open within microseconds
    pass
db = open_db(sys.argv[1])
# a write, as the crawl and the outbox make at once
db["crawl_runs"].insert({"started_at": str(time.time()), "status": "test"})
print("opened")
"""


def test_processes_opening_a_new_database_at_once_all_get_in(tmp_path: Path) -> None:
    """A crawl, the outbox and an ingest started together on a file that does not exist yet: each
    creates the schema or waits for the one that does (a bare CREATE in WAL mode failed at once with
    "database is locked" when another process wrote in between)."""
    for round_ in range(3):
        db_file = tmp_path / f"new-{round_}.db"
        start = time.time() + 1.0  # the interpreters are up by then; they open within microseconds
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, str(db_file), str(start)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        outs = [p.communicate(timeout=60) for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, [err[-600:] for _, err in outs]
        con = sqlite3.connect(db_file)
        assert con.execute("select count(*) from crawl_runs").fetchone()[0] == 4
        con.close()
