"""Name screening on the real OFAC SDN list: do the names news uses find their list entries?

    .venv/bin/python bench/screening.py                      # our matcher only
    .venv/bin/python bench/screening.py --nk /tmp/nk-venv/bin/python   # + nomenklatura, same run
    .venv/bin/python bench/screening.py --split holdout -v   # one split, every miss printed

The list is read in place (``../shared/data/ofac/sdn.csv``, plus ``alt.csv`` beside it when there is
one) through ``watchlist import``'s own code into a temporary database, then loaded the way
``watchlist match`` loads it. The queries below are news spellings of SDN-listed people and
organisations, written from public reporting (transliteration variants, missing patronymics,
particles, legal forms, one-token/two-token given names), each with the ``ent_num`` of its entry;
and look-alikes that are NOT on the list (other people sharing a first name or a surname, banks
sharing a word) and must match nothing. ``tune`` is the split the matcher was developed on;
``holdout`` was written at the same time and never looked at while tuning.

Figures: recall (the expected entry among the matches at the default threshold), top-1 accuracy,
false matches (a look-alike matching anything, or a spelling matching only other entries), and
time per query. With ``--nk PYTHON`` the same queries are scored by nomenklatura in its own
virtualenv (``python3 -m venv /tmp/nk-venv && /tmp/nk-venv/bin/pip install nomenklatura``; it is
heavy, so it is not a dependency of newswatch): its default algorithm (``DefaultAlgorithm``,
regression-v1) and logic-v2 (what yente uses), both at yente's threshold 0.7, over candidates from
a generous block (entries sharing a token, a metaphone or a token of fuzzy ratio >= 75 with the
query; query and candidates are FtM Person/Organization entities, persons with firstName/lastName
from "LAST, First" as OpenSanctions does).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newswatch.watchlists.db import load_entities

ROOT = Path(__file__).resolve().parent.parent
SDN = ROOT.parent / "shared" / "data" / "ofac" / "sdn.csv"

# (split, query, NER label, ent_num of the SDN entry)
SPELLINGS: list[tuple[str, str, str, int]] = [
    ("tune", "Vladimir Putin", "PERSON", 35096),
    ("tune", "Oleg Deripaska", "PERSON", 24283),
    ("tune", "Viktor Bout", "PERSON", 8279),
    ("tune", "Ramzan Kadyrov", "PERSON", 23343),
    ("tune", "Nicolas Maduro", "PERSON", 22790),
    ("tune", "Nicolás Maduro", "PERSON", 22790),
    ("tune", "Osama bin Laden", "PERSON", 6365),
    ("tune", "Yevgeny Prigozhin", "PERSON", 21171),
    ("tune", "Evgeny Prigozhin", "PERSON", 21171),
    ("tune", "Alexander Lukashenko", "PERSON", 9760),
    ("tune", "Qassem Soleimani", "PERSON", 10481),
    ("tune", "Hassan Nasrallah", "PERSON", 2686),
    ("tune", "Kim Jong Un", "PERSON", 20157),
    ("tune", "Kim Jong-un", "PERSON", 20157),
    ("tune", "Arkady Rotenberg", "PERSON", 16669),
    ("tune", "Igor Sechin", "PERSON", 16692),
    ("tune", "Yury Kovalchuk", "PERSON", 16680),
    ("tune", "Alisher Usmanov", "PERSON", 35283),
    ("tune", "Viktor Vekselberg", "PERSON", 24306),
    ("tune", "Gennady Timchenko", "PERSON", 16666),
    ("tune", "Dmitry Medvedev", "PERSON", 36407),
    ("tune", "Sergei Lavrov", "PERSON", 35233),
    ("tune", "Sergei Shoigu", "PERSON", 35173),
    ("tune", "Dmitry Peskov", "PERSON", 35320),
    ("tune", "Alina Kabaeva", "PERSON", 36408),
    ("tune", "Ayatollah Ali Khamenei", "PERSON", 26945),
    ("tune", "Diosdado Cabello", "PERSON", 24424),
    ("tune", "Tareck El Aissami", "PERSON", 20250),
    ("tune", "Joaquín Guzmán", "PERSON", 6861),
    ("tune", "Mikhail Fridman", "PERSON", 44291),
    ("tune", "Pyotr Aven", "PERSON", 44290),
    ("tune", "Suleiman Kerimov", "PERSON", 24325),
    ("tune", "Andrei Kostin", "PERSON", 24063),
    ("tune", "Alexei Mordashov", "PERSON", 37499),
    ("tune", "Sergei Naryshkin", "PERSON", 16691),
    ("tune", "Nikolai Patrushev", "PERSON", 24309),
    ("tune", "Valentina Matvienko", "PERSON", 16660),
    ("tune", "Mikhail Mishustin", "PERSON", 35282),
    ("tune", "Delcy Rodríguez", "PERSON", 25077),
    ("tune", "Min Aung Hlaing", "PERSON", 27225),
    ("tune", "Viktor Yanukovych", "PERSON", 16641),
    ("tune", "Bashar al-Assad", "PERSON", 12735),
    ("tune", "Ayman al-Zawahiri", "PERSON", 2676),
    ("tune", "Abu Mahdi al-Muhandis", "PERSON", 11461),
    ("tune", "Rafael Caro Quintero", "PERSON", 6707),
    ("tune", "Mohammad Javad Zarif", "PERSON", 26950),
    ("tune", "Wagner Group", "ORG", 22543),
    ("tune", "VTB Bank", "ORG", 17013),
    ("tune", "Hezbollah", "ORG", 4697),
    ("tune", "al-Qaeda", "ORG", 6366),
    ("tune", "Hamas", "ORG", 4695),
    ("tune", "the Taliban", "ORG", 6636),
    ("tune", "Sberbank of Russia", "ORG", 17018),
    ("tune", "Alfa-Bank", "ORG", 34682),
    ("tune", "Rostec", "ORG", 17260),
    ("tune", "Sovcomflot", "ORG", 34741),
    ("tune", "Bank Rossiya", "ORG", 16681),
    ("tune", "Alrosa", "ORG", 34644),
    ("tune", "United Aircraft Corporation", "ORG", 36431),
    ("tune", "Russian Direct Investment Fund", "ORG", 34036),
    ("tune", "Vnesheconombank", "ORG", 17015),
    ("tune", "Internet Research Agency", "ORG", 23943),
    ("tune", "Bank Melli", "ORG", 25578),
    ("tune", "National Iranian Oil Company", "ORG", 11317),
    ("tune", "Mahan Air", "ORG", 12927),
    ("tune", "Lazarus Group", "ORG", 27307),
    ("tune", "Sinaloa Cartel", "ORG", 11440),
    ("tune", "Boko Haram", "ORG", 16363),
    ("tune", "Lashkar-e-Taiba", "ORG", 7140),
    ("tune", "al-Shabaab", "ORG", 10761),
    ("tune", "Houthi group", "ORG", 47664),
    ("tune", "Petróleos de Venezuela S.A.", "ORG", 26367),
    ("tune", "Kataib Hezbollah", "ORG", 11462),
    ("tune", "PJSC Severstal", "ORG", 37503),
    # never tuned on
    ("holdout", "Usama bin Ladin", "PERSON", 6365),
    ("holdout", "Yevgeniy Prigozhin", "PERSON", 21171),
    ("holdout", "Aleksandr Lukashenko", "PERSON", 9760),
    ("holdout", "Qasem Soleimani", "PERSON", 10481),
    ("holdout", "Kim Yo-jong", "PERSON", 21444),
    ("holdout", "Yuri Kovalchuk", "PERSON", 16680),
    ("holdout", "Gennadiy Timchenko", "PERSON", 16666),
    ("holdout", "Sergey Lavrov", "PERSON", 35233),
    ("holdout", "Alina Kabayeva", "PERSON", 36408),
    ("holdout", "Petr Aven", "PERSON", 44290),
    ("holdout", "Andrey Melnichenko", "PERSON", 38238),
    ("holdout", "Herman Gref", "PERSON", 34796),
    ("holdout", "Kirill Dmitriev", "PERSON", 34336),
    ("holdout", "Viktor Zolotov", "PERSON", 24326),
    ("holdout", "Alexander Bortnikov", "PERSON", 31126),
    ("holdout", "Sergey Kiriyenko", "PERSON", 31123),
    ("holdout", "Vyacheslav Volodin", "PERSON", 16714),
    ("holdout", "Elvira Nabiullina", "PERSON", 35797),
    ("holdout", "Anton Siluanov", "PERSON", 35243),
    ("holdout", "Vladimir Padrino López", "PERSON", 25080),
    ("holdout", "Emmerson Mnangagwa", "PERSON", 7513),
    ("holdout", "Joseph Kony", "PERSON", 11018),
    ("holdout", "Viktor Medvedchuk", "PERSON", 16663),
    ("holdout", "Ilan Shor", "PERSON", 39597),
    ("holdout", "Ebrahim Raisi", "PERSON", 27844),
    ("holdout", "Qais al-Khazali", "PERSON", 28004),
    ("holdout", "Valery Gerasimov", "PERSON", 35176),
    ("holdout", "Ismael Zambada", "PERSON", 7226),
    ("holdout", "Mojtaba Khamenei", "PERSON", 27848),
    ("holdout", "PMC Wagner", "ORG", 22543),
    ("holdout", "Hizbollah", "ORG", 4697),
    ("holdout", "Al Qaeda", "ORG", 6366),
    ("holdout", "Novikombank", "ORG", 18784),
    ("holdout", "Tactical Missiles Corporation", "ORG", 34876),
    ("holdout", "Concord Catering", "ORG", 22527),
    ("holdout", "Bank Saderat Iran", "ORG", 10368),
    ("holdout", "Iran Air", "ORG", 25237),
    ("holdout", "Jaish-e-Mohammed", "ORG", 6935),
    ("holdout", "Haqqani Network", "ORG", 15484),
    ("holdout", "Cartel de Jalisco Nueva Generación", "ORG", 17671),
    ("holdout", "Islamic Republic of Iran Shipping Lines", "ORG", 25396),
    ("holdout", "Tupolev PJSC", "ORG", 35898),
    ("holdout", "Reconnaissance General Bureau", "ORG", 12210),
    ("holdout", "Evro Polis", "ORG", 23564),
    ("holdout", "Basic Element", "ORG", 24224),
]

# (split, query, label, the SDN entry it resembles): none of these is on the list.
LOOKALIKES: list[tuple[str, str, str, int]] = [
    ("tune", "Viktor Orban", "PERSON", 8279),
    ("tune", "Kim Jong Nam", "PERSON", 20157),
    ("tune", "Bank of America", "ORG", 4642),
    ("tune", "Daniil Medvedev", "PERSON", 36407),
    ("tune", "Vladimir Nabokov", "PERSON", 47742),
    ("tune", "Viktor Yushchenko", "PERSON", 35397),
    ("tune", "Dmitry Muratov", "PERSON", 19029),
    ("tune", "Alexander Lebedev", "PERSON", 21166),
    ("tune", "Boris Johnson", "PERSON", 33653),
    ("tune", "Nicolas Sarkozy", "PERSON", 22790),
    ("tune", "Andrey Rublev", "PERSON", 22505),
    ("tune", "Richard Wagner", "PERSON", 22543),
    ("tune", "Sergey Brin", "PERSON", 35233),
    ("tune", "Al Gore", "PERSON", 6366),
    ("tune", "Alfa Romeo", "ORG", 34682),
    ("tune", "Bank of China", "ORG", 25578),
    ("tune", "Internet Archive", "ORG", 23943),
    ("holdout", "Volodymyr Zelensky", "PERSON", 35096),
    ("holdout", "Alexei Navalny", "PERSON", 37499),
    ("holdout", "Mikhail Gorbachev", "PERSON", 44291),
    ("holdout", "Hassan Rouhani", "PERSON", 2686),
    ("holdout", "Kim Kardashian", "PERSON", 20157),
    ("holdout", "Lazarus Chakwera", "PERSON", 27307),
    ("holdout", "Maria Sharapova", "PERSON", 36408),
    ("holdout", "Juan Guaidó", "PERSON", 22790),
    ("holdout", "Deutsche Bank", "ORG", 4642),
    ("holdout", "Goldman Sachs", "ORG", 17013),
    ("holdout", "Concord Coalition", "ORG", 22527),
    ("holdout", "National Iranian American Council", "ORG", 11317),
    ("holdout", "Korea Exchange Bank", "ORG", 11581),
    ("holdout", "Al Jazeera", "ORG", 6366),
]


def import_sdn(sdn: Path, db_path: Path) -> tuple[float, int, int, str]:
    """Import the real list through the CLI's code; then load it as ``watchlist match`` does."""
    from newswatch.store import open_db
    from newswatch.watchlists.db import save_list
    from newswatch.watchlists.importers import import_file

    alt = sdn.parent / "alt.csv"
    t0 = time.perf_counter()
    result = import_file(sdn, "ofac-sdn", "sdn", alt=alt if alt.is_file() else None)
    db = open_db(db_path)
    save_list(db, "sdn", result.entities, fmt="ofac-sdn", source_file=str(sdn), skipped=len(result.skipped))
    t_import = time.perf_counter() - t0
    db.close()
    return t_import, len(result.entities), len(result.skipped), "alt.csv" if alt.is_file() else "no alt.csv"


def load_watchlist(db_path: Path):  # noqa: ANN201
    from newswatch.config import MatchSettings
    from newswatch.store import open_db
    from newswatch.watchlists import Watchlist

    db = open_db(db_path)
    return Watchlist.from_db(db, MatchSettings()), db


def run_ours(wl, queries: list[tuple[str, str, str]]) -> list[dict]:  # noqa: ANN001
    out = []
    for q, label, _ in queries:
        t0 = time.perf_counter()
        found = wl.match(q, label, limit=5)
        dt = time.perf_counter() - t0
        out.append(
            {
                "ids": [m.entity.id.split(":", 1)[1] for m in found],
                "scores": [round(m.score, 3) for m in found],
                "names": [m.entity.name for m in found],
                "seconds": dt,
            }
        )
    return out


def summarize(name: str, queries: list[tuple[str, str, str]], kinds: list[str], results: list[dict], verbose: bool):
    """Recall/top-1 over spellings, false matches over look-alikes and wrong-only matches."""
    spell = [(q, r) for q, k, r in zip(queries, kinds, results, strict=True) if k == "spelling"]
    looks = [(q, r) for q, k, r in zip(queries, kinds, results, strict=True) if k == "lookalike"]
    hit = sum(1 for (q, r) in spell if q[2] in r["ids"])
    top1 = sum(1 for (q, r) in spell if r["ids"][:1] == [q[2]])
    wrong_only = [(q, r) for (q, r) in spell if r["ids"] and q[2] not in r["ids"]]
    false_look = [(q, r) for (q, r) in looks if r["ids"]]
    times = sorted(r["seconds"] for r in results)
    med = times[len(times) // 2] * 1000 if times else 0.0
    mean = sum(times) / max(1, len(times)) * 1000
    print(
        f"  {name:<26} recall {hit / max(1, len(spell)):.3f} ({hit}/{len(spell)})"
        f"  top-1 {top1 / max(1, len(spell)):.3f}"
        f"  look-alikes matched {len(false_look)}/{len(looks)}  spellings matching only others {len(wrong_only)}"
        f"  ms/query median {med:.1f} mean {mean:.1f}"
    )
    if verbose:
        for q, r in spell:
            if q[2] not in r["ids"]:
                print(f"      MISS  {q[0]!r}: got {list(zip(r['names'], r['scores'], strict=True))[:3]}")
        for q, r in false_look:
            print(f"      FALSE {q[0]!r}: {list(zip(r['names'], r['scores'], strict=True))[:3]}")


NK_WORKER = r"""
import json, sys, time
from followthemoney import model
from nomenklatura.matching import DefaultAlgorithm, LogicV2
from rapidfuzz import process, fuzz
from rigour.text import metaphone
from normality import ascii_text

ents = json.load(open(sys.argv[1]))
queries = json.load(open(sys.argv[2]))
proxies, vocab = [], {}
def toks(s):
    return [t for t in (ascii_text(s or "") or "").lower().replace("-", " ").replace("'", "").split() if len(t) > 1]
for i, e in enumerate(ents):
    schema = "Person" if e["type"] == "person" else "Organization"
    p = model.make_entity(schema)
    p.id = e["id"]
    p.add("name", e["names"][0])
    p.add("alias", e["names"][1:])
    if e.get("last"):
        p.add("lastName", e["last"])
        p.add("firstName", e["first"])
    proxies.append(p)
    for n in e["names"]:
        for t in toks(n):
            vocab.setdefault(t, set()).add(i)
            vocab.setdefault("~" + metaphone(t), set()).add(i)
words = [w for w in vocab if not w.startswith("~")]
out = {}
for algo, threshold in ((DefaultAlgorithm, 0.7), (LogicV2, 0.7)):
    cfg = algo.default_config()
    res = []
    for k, (q, label, _) in enumerate(queries):
        t0 = time.perf_counter()
        qp = model.make_entity("Person" if label == "PERSON" else "Organization")
        qp.id = f"query-{algo.NAME}-{k}"  # the matchers cache name analysis per entity id
        qp.add("name", q)
        cands = set()
        for t in toks(q):
            cands |= vocab.get(t, set()) | vocab.get("~" + metaphone(t), set())
            for w, _, _ in process.extract(t, words, scorer=fuzz.ratio, score_cutoff=75, limit=20):
                cands |= vocab[w]
        scored = []
        for i in cands:
            s = algo.compare(qp, proxies[i], cfg).score
            if s >= threshold:
                scored.append((s, i))
        scored.sort(reverse=True)
        dt = time.perf_counter() - t0
        res.append({"ids": [ents[i]["id"].split(":", 1)[1] for s, i in scored[:5]],
                    "scores": [round(s, 3) for s, i in scored[:5]],
                    "names": [ents[i]["names"][0] for s, i in scored[:5]],
                    "seconds": dt, "candidates": len(cands)})
    out[f"{algo.NAME} @ {threshold}"] = res
json.dump(out, sys.stdout)
"""


def run_nk(python: str, entities: list, queries: list[tuple[str, str, str]]) -> dict[str, list[dict]]:
    ents = []
    for e in entities:
        row = {"id": e.id, "type": e.type, "names": e.all_names()}
        if e.type == "person" and e.name.count(",") == 1:
            last, first = (p.strip() for p in e.name.split(","))
            row.update(last=last, first=first)
        ents.append(row)
    with tempfile.TemporaryDirectory() as tmp:
        ef, qf, wf = Path(tmp, "ents.json"), Path(tmp, "queries.json"), Path(tmp, "worker.py")
        ef.write_text(json.dumps(ents))
        qf.write_text(json.dumps(queries))
        wf.write_text(NK_WORKER)
        proc = subprocess.run([python, str(wf), str(ef), str(qf)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"nomenklatura worker failed (rc {proc.returncode})")
    return json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sdn", type=Path, default=SDN, help="OFAC sdn.csv (alt.csv beside it is used if present)")
    ap.add_argument("--split", choices=["tune", "holdout", "all"], default="all")
    ap.add_argument("--nk", metavar="PYTHON", help="python of a virtualenv with nomenklatura installed")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every miss and false match")
    args = ap.parse_args()
    if not args.sdn.is_file():
        raise SystemExit(f"{args.sdn}: no such file (the real list is read in place from ../shared/data/ofac)")
    splits = ["tune", "holdout"] if args.split == "all" else [args.split]
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp, "screen.db")
        t_import, n, skipped, alt = import_sdn(args.sdn, db_path)
        t0 = time.perf_counter()
        wl, db = load_watchlist(db_path)
        t_load = time.perf_counter() - t0
        print(
            f"SDN: {n} entities imported ({skipped} rows skipped, {alt}, {len(wl.index)} names stored) "
            f"in {t_import:.1f} s (names analysed and indexed once, at import); opened as `watchlist match` "
            f"does in {t_load:.2f} s; "
            f"threshold {wl.index.threshold}; machine: {os.cpu_count()} cores"
        )
        for split in splits:
            qs = [(q, lb, str(num)) for s, q, lb, num in SPELLINGS if s == split]
            kinds = ["spelling"] * len(qs)
            qs += [(q, lb, str(num)) for s, q, lb, num in LOOKALIKES if s == split]
            kinds += ["lookalike"] * (len(qs) - len(kinds))
            print(f"split {split}: {kinds.count('spelling')} spellings, {kinds.count('lookalike')} look-alikes")
            wl.match("warm up", "ORG")
            summarize("newswatch", qs, kinds, run_ours(wl, qs), args.verbose)
            if args.nk:
                for name, res in run_nk(args.nk, load_entities(db), qs).items():
                    summarize(f"nomenklatura {name}", qs, kinds, res, args.verbose)


if __name__ == "__main__":
    main()
