"""Importers: one small function per list format, each reading a file into :class:`ImportResult`.

Formats: US Consolidated Screening List CSV (``csl-csv``) and JSON (``csl-json``), OFAC SDN
``sdn.csv`` + ``alt.csv`` (``ofac-sdn``), OpenSanctions FollowTheMoney JSON lines (``ftm``) and
``targets.simple.csv`` (``os-simple``), plain YAML (``yaml``, see ``config/watchlist.yaml``).

A row that cannot be used (no name, a vessel, a bad line) is never dropped silently: it is counted
and described in :attr:`ImportResult.skipped` as ``file:line: field: problem``. A file that cannot
be read at all (missing, wrong columns, not JSON) raises :class:`~newswatch.errors.InputError`.
A CSV record that runs over more than one line (an unterminated quote swallows the rows after
it) is reported as broken and never imported: the reader starts again at the next line, so the
rows after it are read as they are written.

Aliases: OFAC remarks ``a.k.a. '…'``, ``f.k.a. '…'``, ``n.k.a. '…'`` and ``alt.csv``; CSL
``alt_names``; FtM ``alias``/``previousName`` (``weakAlias`` is kept apart as a weak alias). A
one-word alias of a person ("a.k.a. 'BOUTOV'") is another spelling of the surname: it is stored as
"BOUTOV, Viktor Anatolijevitch" (with the entry's given names), never as a bare word. The quoted
name inside an organisation's name ("PRIVATE MILITARY COMPANY 'WAGNER'") becomes a weak alias.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..config import Strict, read_yaml, validate
from ..errors import ConfigError, InputError
from .model import WatchEntity

FORMATS = ("csl-csv", "csl-json", "ofac-sdn", "ftm", "os-simple", "yaml")

COMPANY_TYPES = {"entity", "company", "organization", "organisation", "legalentity", "publicbody", ""}
PERSON_TYPES = {"individual", "person"}
FTM_COMPANY = {"Company", "Organization", "LegalEntity", "PublicBody"}
CSL_REQUIRED = {"source", "name", "type", "programs", "alt_names"}
OS_SIMPLE_REQUIRED = {"id", "schema", "name", "aliases", "countries", "sanctions", "dataset"}
OFAC_EMPTY = "-0-"
# a.k.a. 'NAME'; the closing quote is the one followed by ';', '.' + space or the end of the remarks
OFAC_AKA_RE = re.compile(r"\b[afn]\.k\.a\.\s+'(.+?)'(?=;|\.?\s*$|\.\s)")
QUOTED_NAME_RE = re.compile(r"['\"«“‘]([^'\"«»“”‘’]{3,})['\"»”’]")


@dataclass
class ImportResult:
    """Entities read from one file, plus every row that was skipped and why."""

    entities: list[WatchEntity] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rows: int = 0

    def skip(self, file: Path, line: int | str, fld: str, problem: str) -> None:
        self.skipped.append(f"{file.name}:{line}: {fld}: {problem}")


def _split(value: Any, sep: str = ";") -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(sep) if v.strip()]


def _kind(raw: str | None) -> str | None:
    t = (raw or "").strip().casefold().replace(" ", "")
    if t in PERSON_TYPES:
        return "person"
    if t in COMPANY_TYPES:
        return "company"
    return None


def _open_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        # OFAC and older exports are Windows-1252/Latin-1; reading them as such loses nothing.
        return path.read_text(encoding="cp1252", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc}") from None


def _csv_records(
    path: Path, lines: list[str], result: ImportResult | None, start: int = 1
) -> Iterable[tuple[int, list[str]]]:
    """CSV records with their line numbers, one physical line each.

    A record the csv module would read over several lines (a quote opened and not closed on its
    line) is reported with ``result.skip`` as broken and dropped; reading starts again at the next
    line, so one stray quote costs one row, not every row after it. (Lists in these formats write
    each record on one line; a line break inside a quoted field is not used by them.)"""
    for n, line in enumerate(lines, start=start):
        try:
            recs = list(csv.reader([line]))
        except csv.Error as exc:
            if result is not None:
                result.rows += 1
                result.skip(path, n, "row", f"broken line ({exc})")
            continue
        if not recs:
            yield n, []
            continue
        rec = recs[0]
        if _unterminated(line):
            if result is not None:
                result.rows += 1
                result.skip(path, n, "row", "unterminated quote: the field runs past the end of the line")
            continue
        yield n, rec


def _unterminated(line: str) -> bool:
    """True when a quoted CSV field opened on ``line`` is not closed on it."""
    inside = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            if inside and i + 1 < len(line) and line[i + 1] == '"':
                i += 2
                continue
            if inside or i == 0 or line[i - 1] == ",":
                inside = not inside
        i += 1
    return inside


def _dict_rows(path: Path, required: set[str], result: ImportResult) -> Iterable[tuple[int, dict[str, str]]]:
    lines = _open_text(path).splitlines()
    header = next(iter(csv.reader(lines[:1])), []) if lines else []
    have = {h.strip() for h in header}
    missing = required - have
    if missing:
        raise InputError(
            f"{path}: line 1: missing column(s) {', '.join(sorted(missing))} "
            f"(found: {', '.join(sorted(have)) or 'nothing'}); is this the right --format?"
        )
    names = [h.strip() for h in header]
    for line, rec in _csv_records(path, lines[1:], result, start=2):
        if not rec:
            continue
        yield line, dict(zip(names, rec + [""] * (len(names) - len(rec)), strict=False))


def _country_from_addresses(value: Any) -> str | None:
    """Country of the first address: a dict's ``country`` or the last part of "street, city, CN"."""
    if isinstance(value, list) and value:
        first = value[0]
        if isinstance(first, dict):
            return first.get("country") or None
        value = str(first)
    if isinstance(value, str) and value.strip():
        last = value.split(";")[0].split(",")[-1].strip()
        return last if 2 <= len(last) <= 3 and last.isalpha() else None
    return None


def _csl_entity(path: Path, line: int | str, row: dict[str, Any], list_name: str, n: int, result: ImportResult) -> None:
    result.rows += 1
    raw_name = row.get("name")
    if raw_name is not None and not isinstance(raw_name, str):
        result.skip(path, line, "name", f"expected text, got {type(raw_name).__name__}")
        return
    name = (raw_name or "").strip()
    if not name:
        result.skip(path, line, "name", "empty")
        return
    if not isinstance(row.get("type") or "", str):
        result.skip(path, line, "type", f"expected text, got {type(row.get('type')).__name__} ({name})")
        return
    kind = _kind(row.get("type"))
    if kind is None:
        result.skip(path, line, "type", f"'{row.get('type')}' is not a company or person ({name})")
        return
    programs = _split(row.get("programs"))
    source = (row.get("source") or "").strip()
    reason = "; ".join(programs) or source or list_name
    if source and programs and source not in reason:
        reason = f"{source}: {reason}"
    src_id = str(row.get("_id") or row.get("id") or row.get("entity_number") or n)
    result.entities.append(
        WatchEntity(
            id=f"{list_name}:{src_id}",
            name=name,
            type=kind,
            list_name=list_name,
            aliases=[a for a in _split(row.get("alt_names")) if a != name],
            reason=reason,
            country=_country_from_addresses(row.get("addresses")),
        )
    )


def import_csl_csv(path: Path, list_name: str, **_: Any) -> ImportResult:
    """US Consolidated Screening List CSV (``consolidated.csv``): alt_names and programs are
    ``;``-separated, type is Entity/Individual/Vessel/Aircraft (blank on Commerce lists = entity)."""
    result = ImportResult()
    for n, (line, row) in enumerate(_dict_rows(path, CSL_REQUIRED, result)):
        _csl_entity(path, line, row, list_name, n, result)
    return result


def import_csl_json(path: Path, list_name: str, **_: Any) -> ImportResult:
    """US Consolidated Screening List JSON (API/``consolidated.json``): ``{"results": [...]}`` or a
    bare array; alt_names/programs are arrays, addresses are objects with ``country``."""
    try:
        data = json.loads(_open_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not JSON ({exc.msg})") from None
    rows = data.get("results") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise InputError(f"{path}: expected a JSON array or an object with 'results' (an array)")
    result = ImportResult()
    for n, row in enumerate(rows):
        if not isinstance(row, dict):
            result.rows += 1
            result.skip(path, f"results[{n}]", "row", "not an object")
            continue
        _csl_entity(path, f"results[{n}]", row, list_name, n, result)
    return result


def _ofac(value: str | None) -> str:
    v = (value or "").strip()
    return "" if v == OFAC_EMPTY else v


def _person_alias(primary: str, alias: str) -> str:
    """A one-word alias of a person is another spelling of the surname: "BOUTOV" of "BOUT, Viktor
    Anatolijevitch" is "BOUTOV, Viktor Anatolijevitch"."""
    alias = alias.strip()
    if "," in alias or len(alias.split()) != 1 or primary.count(",") != 1:
        return alias
    return f"{alias}, {primary.split(',')[1].strip()}"


def _ofac_remark_aliases(remarks: str) -> list[str]:
    """Aliases written in OFAC remarks: ``a.k.a. 'X'; f.k.a. 'Y'; n.k.a. 'Z'``."""
    return [a.strip(" '") for a in OFAC_AKA_RE.findall(remarks or "") if a.strip(" '")]


def _flip_person(name: str) -> str | None:
    """OFAC writes individuals "LAST, First": the "First LAST" form as an alias."""
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        if last and first:
            return f"{first} {last}"
    return None


def import_ofac_sdn(path: Path, list_name: str, alt: Path | None = None, **_: Any) -> ImportResult:
    """OFAC ``sdn.csv`` (no header: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
    Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks; ``-0-`` = empty; SDN_Type ``-0-`` =
    entity) plus, with ``alt``, ``alt.csv`` (ent_num, alt_num, alt_type, alt_name, alt_remarks)."""
    result = ImportResult()
    by_num: dict[str, WatchEntity] = {}
    for line, row in _csv_records(path, _open_text(path).splitlines(), result):
        if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
            continue  # blank line or the DOS end-of-file mark the real file ends with
        result.rows += 1
        if len(row) < 4:
            result.skip(path, line, "row", f"{len(row)} column(s), sdn.csv rows have 12")
            continue
        num, name, sdn_type, program = (row[0].strip(), _ofac(row[1]), _ofac(row[2]), _ofac(row[3]))
        if not num.isdigit():
            result.skip(path, line, "ent_num", f"'{num}' is not a number")
            continue
        if not name:
            result.skip(path, line, "SDN_Name", "empty")
            continue
        kind = "person" if sdn_type.casefold() == "individual" else ("company" if not sdn_type else None)
        if kind is None:
            result.skip(path, line, "SDN_Type", f"'{sdn_type}' is not a company or person ({name})")
            continue
        programs = [p.strip(" []") for p in program.split("] [")] if program else []
        aliases = [f] if kind == "person" and (f := _flip_person(name)) else []
        for a in _ofac_remark_aliases(_ofac(row[11]) if len(row) > 11 else ""):
            a = _person_alias(name, a) if kind == "person" else a
            aliases.append(a)
            if kind == "person" and (f := _flip_person(a)):
                aliases.append(f)
        ent = WatchEntity(
            id=f"{list_name}:{num}",
            name=name,
            type=kind,
            list_name=list_name,
            aliases=aliases,
            reason="OFAC SDN: " + "; ".join(programs) if programs else "OFAC SDN",
        )
        if num in by_num:
            result.skip(path, line, "ent_num", f"{num} listed twice; first kept")
            continue
        by_num[num] = ent
        result.entities.append(ent)
    if alt is not None:
        for line, row in _csv_records(alt, _open_text(alt).splitlines(), result):
            if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
                continue
            if len(row) < 4:
                result.skip(alt, line, "row", f"{len(row)} column(s), alt.csv rows have 5")
                continue
            target = by_num.get(row[0].strip())
            alt_name = _ofac(row[3])
            if target is None:
                result.skip(alt, line, "ent_num", f"'{row[0].strip()}' is not in {path.name}")
            elif not alt_name:
                result.skip(alt, line, "alt_name", "empty")
            else:
                alt_name = _person_alias(target.name, alt_name) if target.type == "person" else alt_name
                target.aliases.append(alt_name)
                if target.type == "person" and (f := _flip_person(alt_name)):
                    target.aliases.append(f)
    return result


def _ftm_first(props: dict[str, Any], key: str) -> list[str]:
    v = props.get(key) or []
    return [str(x).strip() for x in (v if isinstance(v, list) else [v]) if str(x).strip()]


def import_ftm(path: Path, list_name: str, **_: Any) -> ImportResult:
    """OpenSanctions FollowTheMoney entities, one JSON object per line (``entities.ftm.json``):
    schema Person -> person, Company/Organization/LegalEntity/PublicBody -> company; names from
    ``name``, ``alias``, ``weakAlias``, ``previousName``; reason from ``program`` else ``topics``."""
    result = ImportResult()
    for line, raw in enumerate(_open_text(path).splitlines(), start=1):
        if not raw.strip():
            continue
        result.rows += 1
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            result.skip(path, line, "json", exc.msg)
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("properties"), dict):
            result.skip(path, line, "properties", "missing (not a FollowTheMoney entity)")
            continue
        schema = obj.get("schema")
        kind = "person" if schema == "Person" else ("company" if schema in FTM_COMPANY else None)
        if kind is None:
            result.skip(path, line, "schema", f"'{schema}' is not a company or person")
            continue
        props = obj["properties"]
        names = _ftm_first(props, "name")
        if not names:
            result.skip(path, line, "properties.name", f"empty ({obj.get('id')})")
            continue
        aliases = names[1:] + _ftm_first(props, "alias") + _ftm_first(props, "previousName")
        reason = "; ".join(_ftm_first(props, "program")) or "; ".join(_ftm_first(props, "topics")) or list_name
        countries = (
            _ftm_first(props, "country") or _ftm_first(props, "jurisdiction") or _ftm_first(props, "nationality")
        )
        result.entities.append(
            WatchEntity(
                id=f"{list_name}:{obj.get('id') or line}",
                name=obj.get("caption") or names[0],
                type=kind,
                list_name=list_name,
                aliases=[a for a in dict.fromkeys(names + aliases) if a != obj.get("caption")],
                reason=reason,
                country=countries[0].upper() if countries else None,
                weak_aliases=_ftm_first(props, "weakAlias"),
            )
        )
    return result


def import_os_simple(path: Path, list_name: str, **_: Any) -> ImportResult:
    """OpenSanctions ``targets.simple.csv`` (id, schema, name, aliases, birth_date, countries,
    addresses, identifiers, sanctions, phones, emails, dataset, first_seen, last_seen, last_change);
    multi-valued cells are ``;``-separated."""
    result = ImportResult()
    for line, row in _dict_rows(path, OS_SIMPLE_REQUIRED, result):
        result.rows += 1
        schema = (row.get("schema") or "").strip()
        kind = "person" if schema == "Person" else ("company" if schema in FTM_COMPANY else None)
        name = (row.get("name") or "").strip()
        if kind is None:
            result.skip(path, line, "schema", f"'{schema}' is not a company or person ({name})")
            continue
        if not name:
            result.skip(path, line, "name", f"empty ({row.get('id')})")
            continue
        sanctions = _split(row.get("sanctions"))
        countries = _split(row.get("countries"))
        result.entities.append(
            WatchEntity(
                id=f"{list_name}:{row.get('id') or line}",
                name=name,
                type=kind,
                list_name=list_name,
                aliases=[a for a in _split(row.get("aliases")) if a != name],
                reason=sanctions[0] if sanctions else ((row.get("dataset") or "").strip() or list_name),
                country=countries[0].upper() if countries else None,
            )
        )
    return result


# -- plain YAML lists (config/watchlist.yaml and `--format yaml`) ------------------------------


class Role(Strict):
    title: str
    of: str


class EntityEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    aliases: list[str] = []
    type: str = "company"
    reason: str | None = None
    country: str | None = None
    role: Role | None = None


class WatchlistFile(Strict):
    name: str
    monitored: bool = False  # a monitored-entities list: the team's own portfolio or suppliers
    entities: list[EntityEntry] = []


def load_watchlist_yaml(path: Path, list_name: str | None = None) -> list[WatchEntity]:
    """Read a plain YAML watchlist (see ``config/watchlist.yaml``); ``list_name`` overrides its name."""
    data = validate(WatchlistFile, read_yaml(path), path)
    for i, e in enumerate(data.entities):
        if e.type not in ("company", "person"):
            raise ConfigError(
                str(path),
                f"entities.{i}.type",
                f"'{e.type}' is not company or person",
                "use type: company or type: person",
            )
    return [
        WatchEntity(
            id=e.id,
            name=e.name,
            type=e.type,
            list_name=list_name or data.name,
            aliases=list(e.aliases),
            reason=e.reason,
            country=e.country,
            leads=e.role.of if e.role else None,
            monitored=data.monitored,
        )
        for e in data.entities
    ]


def import_yaml(path: Path, list_name: str, **_: Any) -> ImportResult:
    """Plain YAML list (``name``, ``monitored``, ``entities``: id, name, aliases, type, reason,
    country, role) — the format of ``config/watchlist.yaml``. Invalid entries are config errors."""
    ents = load_watchlist_yaml(path, list_name=list_name)
    for e in ents:
        e.id = e.id if e.id.startswith(f"{list_name}:") else f"{list_name}:{e.id}"
        if e.leads and not e.leads.startswith(f"{list_name}:"):
            e.leads = f"{list_name}:{e.leads}"
    return ImportResult(entities=ents, rows=len(ents))


IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    "csl-csv": import_csl_csv,
    "csl-json": import_csl_json,
    "ofac-sdn": import_ofac_sdn,
    "ftm": import_ftm,
    "os-simple": import_os_simple,
    "yaml": import_yaml,
}


def import_file(
    path: Path, fmt: str, list_name: str, *, alt: Path | None = None, monitored: bool = False
) -> ImportResult:
    """Read ``path`` in format ``fmt`` as list ``list_name``; ``monitored`` marks every entity."""
    if fmt not in IMPORTERS:
        raise InputError(f"unknown format '{fmt}' (one of: {', '.join(FORMATS)})")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if alt is not None and fmt != "ofac-sdn":
        raise InputError("--alt is only for --format ofac-sdn (OFAC alt.csv)")
    if alt is not None and not alt.is_file():
        raise InputError(f"{alt}: no such file")
    try:
        result = IMPORTERS[fmt](path, list_name, alt=alt)
    except csv.Error as exc:
        # A field beyond the csv module's limit, a NUL byte, ...: the file is not a list we can read.
        raise InputError(f"{path}: not a readable CSV file ({exc}); nothing imported") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply to be a list; nothing imported") from None
    ids: set[str] = set()
    unique = []
    for e in result.entities:
        if monitored:
            e.monitored = True
        if e.id in ids:
            result.skipped.append(f"{path.name}: id: '{e.id}' appears twice; first kept")
            continue
        ids.add(e.id)
        e.aliases = [a for a in dict.fromkeys(a.strip() for a in e.aliases) if a and a != e.name]
        if e.type == "company":
            for n in e.all_names():
                e.weak_aliases += [q.strip() for q in QUOTED_NAME_RE.findall(n) if q.strip() != n.strip()]
        e.weak_aliases = [a for a in dict.fromkeys(a.strip() for a in e.weak_aliases) if a and a not in e.all_names()]
        unique.append(e)
    result.entities = unique
    return result
