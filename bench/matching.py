"""Watchlist matching at scale: index build time, memory and matching speed from 1k to 1M aliases.

    .venv/bin/python bench/matching.py                 # 1k, 10k, 100k, 1M aliases
    .venv/bin/python bench/matching.py --sizes 1000 10000

Each size runs in its own child process (so memory figures are that index's alone): synthetic
company and person names (two aliases per entity: the name and a variant; words of 3-4 random
syllables, so names are mostly distinct as in real lists, while tokens such as legal forms and
"Trading" repeat), then

* build: seconds to normalize every alias and build key/rare-token indexes and the Aho-Corasick automaton;
* memory: peak RSS of the child minus its RSS before building (psutil / ru_maxrss), in MiB;
* match: NER-style names resolved per second through :meth:`NameIndex.match` (half listed with
  other casing/legal forms, half unlisted), and the microseconds per mention;
* gazetteer: listed names found per second by one Aho-Corasick pass over news-like text.

The goal is a per-mention cost that stays flat (within 2x) from 1k to 1M aliases.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import time

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


def run_size(n: int, q: mp.Queue) -> None:
    from newswatch.watchlists.matcher import NameIndex

    ents = make_entities(n)
    qs = queries(ents, 4000)
    text = news_text(ents, 2000)
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    t0 = time.perf_counter()
    index = NameIndex(ents)
    _ = index.automaton
    build = time.perf_counter() - t0
    rss1 = proc.memory_info().rss
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    for name, label in qs[:200]:  # warm caches
        index.match(name, label)
    t0 = time.perf_counter()
    found = sum(1 for name, label in qs if index.match(name, label))
    dt = time.perf_counter() - t0
    t1 = time.perf_counter()
    hits = index.gazetteer(text)
    gdt = time.perf_counter() - t1
    q.put(
        {
            "aliases": len(index),
            "entities": len(ents),
            "build_s": build,
            "rss_mib": (rss1 - rss0) / 2**20,
            "peak_rss_mib": peak / 2**20,
            "match_per_s": len(qs) / dt,
            "us_per_match": dt / len(qs) * 1e6,
            "matched": found,
            "queries": len(qs),
            "gaz_hits": len(hits),
            "gaz_per_s": len(hits) / gdt,
            "us_per_gaz_hit": gdt / max(1, len(hits)) * 1e6,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    print(
        f"{'aliases':>9} {'build s':>8} {'index MiB':>9} {'peak MiB':>9} {'match/s':>9} {'us/match':>9} "
        f"{'listed':>7} {'gaz hit/s':>10} {'us/hit':>7}"
    )
    first = None
    for n in args.sizes:
        q = ctx.Queue()
        p = ctx.Process(target=run_size, args=(n, q))
        p.start()
        r = q.get()
        p.join()
        first = first or r
        print(
            f"{r['aliases']:>9} {r['build_s']:>8.1f} {r['rss_mib']:>9.0f} {r['peak_rss_mib']:>9.0f} "
            f"{r['match_per_s']:>9.0f} {r['us_per_match']:>9.1f} {r['matched']:>4}/{r['queries']} "
            f"{r['gaz_per_s']:>10.0f} {r['us_per_gaz_hit']:>7.1f}",
            flush=True,
        )
    print(
        f"per-mention cost, largest vs smallest: match x{r['us_per_match'] / first['us_per_match']:.2f}, "
        f"gazetteer x{r['us_per_gaz_hit'] / first['us_per_gaz_hit']:.2f} (goal: within 2x)"
    )


if __name__ == "__main__":
    main()
