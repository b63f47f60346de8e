"""Reading a database file the way a person checking it would: one short connection per query."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    """Every row of ``sql`` on the file ``db``, read on a connection of its own (closed after)."""
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()
