"""The database locked by another writer for a while: work waits, then goes on; nothing lost."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from newswatch.store import open_db
from tests.conftest import ROOT, SEED_PAGE, SEED_URL


def test_ingest_waits_for_a_locked_database(tmp_path: Path) -> None:
    db_file = tmp_path / "locked.db"
    open_db(db_file).conn.close()
    blocker = sqlite3.connect(db_file, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    blocker.execute("insert into articles (url, canonical_url, fetched_at) values ('https://other/', "
                    "'https://other/', '2021-01-01')")
    proc = subprocess.Popen([sys.executable, "-m", "newswatch", "--db", str(db_file), "ingest", "--html",
                             str(SEED_PAGE), "--url", SEED_URL, "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
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
