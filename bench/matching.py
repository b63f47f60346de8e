"""Watchlist matching at scale: import, start-up and matching cost from 1k to 1M aliases.

    .venv/bin/python bench/matching.py                 # 1k, 10k, 100k, 1M aliases
    .venv/bin/python bench/matching.py --sizes 1000 10000
    .venv/bin/python bench/matching.py --keep /tmp/nw-bench   # keep (and reuse) the databases

Each size runs in its own child process: synthetic company and person names (two aliases per
entity: the name and a variant; words of 3-4 random syllables, so names are mostly distinct as in
real lists, while tokens such as legal forms and "Trading" repeat) imported into a fresh database
file the way ``watchlist import`` does (names analysed and their posting keys stored once), then

* import: seconds for ``save_list`` (normalize + analyse every alias, write names and postings);
* start: seconds to open the lists as ``watchlist match``/``ingest`` do (``Watchlist.from_db``,
  on a fresh connection) and answer a first query;
* match: NER-style names resolved per CPU second through ``Watchlist.match`` (half listed with
  other casing/legal forms, half unlisted), and the CPU microseconds per mention (CPU time: the
  machine is shared, wall time moves with the other jobs);
* gazetteer: listed names found per second in news-like text (stored-key n-gram lookups);
* memory: peak RSS of the child after matching minus before opening, in MiB; db: the database
  file's size in MiB (the stored index is most of it);
* cli: wall and CPU seconds of a whole ``newswatch watchlist match NAME`` process on that
  database (interpreter start, imports, opening the lists, one query).

The goal is a per-mention cost that stays flat (within 2x) from 1k to 1M aliases and a start-up
under 3 s at 1M.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SYL = [
    "ka",
    "lo",
    "mi",
    "ra",
    "zen",
    "tor",
    "vel",
    "shi",
    "dan",
    "qua",
    "bri",
    "sto",
    "nek",
    "ul",
    "par",
    "gri",
    "fen",
    "hox",
    "jil",
    "wem",
    "yat",
    "cro",
    "dru",
    "plin",
    "sav",
    "tem",
    "vor",
    "xan",
    "zul",
    "mor",
    "bel",
    "cas",
    "dor",
    "eth",
    "fal",
    "gan",
    "hul",
    "ix",
    "jor",
    "kel",
    "lum",
    "nar",
    "ost",
    "pim",
    "rud",
    "sel",
]
SUFFIX = ["Ltd", "Co., Ltd.", "Inc.", "Corporation", "GmbH", "LLC", "S.A.", "Group Holdings", "有限公司", ""]
FILLER = (
    "The ministry said on Tuesday that exports had risen for the third month in a row while analysts "
    "expected further growth in the second half of the year despite weaker demand "
).split()


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYL) for _ in range(rng.choice((3, 3, 4)))).capitalize()


def make_entities(n_aliases: int, seed: int = 7) -> list:
    from newswatch.watchlists.model import WatchEntity

    rng = random.Random(seed)
    out = []
    for i in range(n_aliases // 2):
        if i % 4 == 0:
            first, last = word(rng), word(rng)
            out.append(
                WatchEntity(
                    id=f"p{i}",
                    name=f"{last.upper()}, {first}",
                    type="person",
                    list_name="bench",
                    aliases=[f"{first} {last}"],
                    reason="SYNTH",
                )
            )
        else:
            core = " ".join(word(rng) for _ in range(rng.choice((1, 2, 2, 3))))
            out.append(
                WatchEntity(
                    id=f"c{i}",
                    name=f"{core} {rng.choice(SUFFIX)}".strip(),
                    type="company",
                    list_name="bench",
                    aliases=[f"{core} {word(rng)}"],
                    reason="SYNTH",
                )
            )
    return out


def queries(entities: list, n: int, seed: int = 11) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        if k % 2 == 0:
            e = rng.choice(entities)
            name = rng.choice([e.name, *e.aliases])
            name = name.upper() if k % 4 == 0 else name
            out.append((name, e.label))
        else:
            out.append((" ".join(word(rng) for _ in range(2)) + " Trading Ltd", "ORG"))
    return out


def news_text(entities: list, n_names: int, seed: int = 13) -> str:
    rng = random.Random(seed)
    parts = []
    for _ in range(n_names):
        parts += rng.sample(FILLER, 12)
        parts.append(rng.choice(entities).aliases[0])
        parts.append(".")
    return " ".join(parts)


def run_size(n: int, db_path: str, q: mp.Queue, reuse: bool = False) -> None:
    from newswatch.config import MatchSettings
    from newswatch.store import open_db
    from newswatch.watchlists import Watchlist
    from newswatch.watchlists.db import save_list

    ents = make_entities(n)
    qs = queries(ents, 4000)
    text = news_text(ents, 2000)
    db = open_db(db_path)
    t0 = time.perf_counter()
    if reuse:
        import_s = float("nan")  # imported by an earlier run (--keep)
    else:
        save_list(db, "bench", ents, fmt="yaml", source_file="synthetic")
        import_s = time.perf_counter() - t0
    n_names = db.execute("select count(*) from watch_names").fetchone()[0]
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    db_mib = Path(db_path).stat().st_size / 2**20
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    t0 = time.perf_counter()
    wl = Watchlist.from_db(open_db(db_path), MatchSettings())
    wl.match(qs[0][0], qs[0][1])
    start = time.perf_counter() - t0
    for name, label in qs[:200]:  # warm caches
        wl.match(name, label)
    # CPU seconds of this process (the machine is shared: wall time moves with the others' load)
    t0 = time.process_time()
    found = sum(1 for name, label in qs[200:] if wl.match(name, label))
    dt = time.process_time() - t0
    t1 = time.process_time()
    hits = wl.find_in_text(text)
    gdt = time.process_time() - t1
    rss1 = proc.memory_info().rss
    q.put(
        {
            "aliases": n_names,
            "entities": len(ents),
            "import_s": import_s,
            "start_s": start,
            "rss_mib": (rss1 - rss0) / 2**20,
            "db_mib": db_mib,
            "match_per_s": (len(qs) - 200) / dt,
            "us_per_match": dt / (len(qs) - 200) * 1e6,
            "matched": found,
            "queries": len(qs) - 200,
            "gaz_hits": len(hits),
            "gaz_per_s": len(hits) / gdt,
            "us_per_gaz_hit": gdt / max(1, len(hits)) * 1e6,
        }
    )


def cli_start(db_path: str, name: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``newswatch watchlist match`` process on ``db_path`` (CPU = user +
    system of the child: what the machine's other load does not inflate)."""
    exe = Path(sys.executable).with_name("newswatch")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [str(exe), "--db", db_path, "watchlist", "match", name],  # the bundled config
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    ap.add_argument(
        "--keep",
        metavar="DIR",
        help="keep each size's database in DIR and reuse it on the next run (no import figure then; "
        "delete DIR when the stored index format changes)",
    )
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    print(
        f"{'aliases':>9} {'import s':>9} {'db MiB':>7} {'start s':>8} {'MiB':>6} {'match/s':>8} {'us/match':>9} "
        f"{'listed':>9} {'gaz hit/s':>10} {'us/hit':>7} {'cli s':>6} {'cli cpu':>7}",
        flush=True,
    )
    first = r = None
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(args.keep or tmp)
            base.mkdir(parents=True, exist_ok=True)
            db_path = str(base / f"bench-{n}.db")
            reuse = bool(args.keep) and Path(db_path).exists() and Path(db_path + ".done").exists()
            q = ctx.Queue()
            p = ctx.Process(target=run_size, args=(n, db_path, q, reuse))
            p.start()
            r = q.get()
            p.join()
            Path(db_path + ".done").touch()
            cli, cpu = cli_start(db_path, make_entities(2)[0].aliases[0])
        first = first or r
        print(
            f"{r['aliases']:>9} {r['import_s']:>9.1f} {r['db_mib']:>7.0f} {r['start_s']:>8.2f} {r['rss_mib']:>6.0f} "
            f"{r['match_per_s']:>8.0f} {r['us_per_match']:>9.1f} {r['matched']:>4}/{r['queries']} "
            f"{r['gaz_per_s']:>10.0f} {r['us_per_gaz_hit']:>7.1f} {cli:>6.2f} {cpu:>7.2f}",
            flush=True,
        )
    if first and r:
        print(
            f"per-mention cost, largest vs smallest: match x{r['us_per_match'] / first['us_per_match']:.2f}, "
            f"gazetteer x{r['us_per_gaz_hit'] / first['us_per_gaz_hit']:.2f} (goal: within 2x)"
        )


if __name__ == "__main__":
    main()
