"""A small list of coined people and companies that share first names, surnames and words, and
queries against it (exact, misspelt, reordered, initials, legal forms): the matcher's tests read
the same list whether it is in memory or stored."""

from __future__ import annotations

from newswatch.watchlists.model import WatchEntity

QUERIES = [
    ("Kalomir Ostrava", "PERSON"),
    ("Kalomyr Ostrava", "PERSON"),
    ("Ostrava Kalomir", None),
    ("Kalomir Belluno Trading", "ORG"),
    ("Kalomir Bellunno", "ORG"),
    ("Zendaro Casradi", "ORG"),
    ("K. Dunmore", "PERSON"),
    ("Pirasko Eskalon Trading Ltd", None),
    ("Veltorin Mordevan", "PERSON"),
]


def look_alike_entities(prefix: str = "") -> list[WatchEntity]:
    """Every first name with every surname, as a person ("OSTRAVA, Kalomir Ivanovich") and as a
    company ("Kalomir Ostrava Trading Ltd"); ids start with ``prefix``."""
    out = []
    firsts = ["Kalomir", "Veltorin", "Zendaro", "Pirasko", "Mordevan"]
    lasts = ["Ostrava", "Belluno", "Casradi", "Dunmore", "Eskalon"]
    for i, (f, s) in enumerate((f, s) for f in firsts for s in lasts):
        out.append(WatchEntity(id=f"{prefix}p{i}", name=f"{s.upper()}, {f} Ivanovich", type="person", list_name="t"))
        out.append(WatchEntity(id=f"{prefix}c{i}", name=f"{f} {s} Trading Ltd", type="company", list_name="t"))
    return out
