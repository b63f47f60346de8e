"""Bad input: one clear line, a non-zero exit, never a traceback; nothing half-stored."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import CONFIG, ROOT, SEED_PAGE, SEED_URL


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSWATCH_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "newswatch", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=120,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_missing_file(tmp_path: Path) -> None:
    proc = run_cli("--db", str(tmp_path / "x.db"), "ingest", "--html", str(tmp_path / "nope.html"), "--url", SEED_URL)
    assert_one_line_error(proc, "nope.html", "no such file")


def test_not_html(tmp_path: Path) -> None:
    f = tmp_path / "data.bin"
    f.write_bytes(bytes(range(256)) * 10)
    proc = run_cli("--db", str(tmp_path / "x.db"), "ingest", "--html", str(f), "--url", SEED_URL)
    assert_one_line_error(proc, "data.bin", "does not look like HTML")


def test_html_needs_url(tmp_path: Path) -> None:
    proc = run_cli("--db", str(tmp_path / "x.db"), "ingest", "--html", str(SEED_PAGE))
    assert_one_line_error(proc, "--url")


def test_unreachable_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/article"
    proc = run_cli("--db", str(tmp_path / "x.db"), "ingest", url, "--allow-private")  # loopback: say so
    assert_one_line_error(proc, url, "unreachable")


def test_not_http_url(tmp_path: Path) -> None:
    proc = run_cli("--db", str(tmp_path / "x.db"), "ingest", "file:///etc/passwd")
    assert_one_line_error(proc, "only http(s)")


@pytest.mark.parametrize(
    "broken, needles",
    [
        ("rules: [\n  - name: x\n    then: {action: alert\n", ["rules.yaml", "line", "invalid YAML"]),
        ("rules:\n  - name: x\n    then: {action: shout}\n", ["rules.yaml", "rules[0] ('x').then.action"]),
        (
            "rules:\n  - name: x\n    when: {colour: red}\n    then: {action: alert}\n",
            ["rules.yaml", "unknown key 'colour'"],
        ),
        (
            "rules:\n  - name: x\n    when: {reason: 're:(unclosed'}\n    then: {action: alert}\n",
            ["rules.yaml", "invalid regular expression"],
        ),
    ],
)
def test_malformed_config(tmp_path: Path, broken: str, needles: list[str]) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    (cfg / "rules.yaml").write_text(broken)
    proc = run_cli(
        "--config", str(cfg), "--db", str(tmp_path / "x.db"), "ingest", "--html", str(SEED_PAGE), "--url", SEED_URL
    )
    assert_one_line_error(proc, *needles)
    assert proc.returncode == 2


def test_unknown_setting_and_wrong_type(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    (cfg / "settings.yaml").write_text("nlp:\n  modle: en_core_web_sm\n")
    proc = run_cli("--config", str(cfg), "--db", str(tmp_path / "x.db"), "init-db")
    assert_one_line_error(proc, "settings.yaml", "nlp.modle", "unknown key")
    (cfg / "settings.yaml").write_text("fetch:\n  timeout_seconds: soon\n")
    proc = run_cli("--config", str(cfg), "--db", str(tmp_path / "x.db"), "init-db")
    assert_one_line_error(proc, "settings.yaml", "fetch.timeout_seconds")


def test_missing_spacy_model_is_a_config_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    (cfg / "settings.yaml").write_text("nlp:\n  model: en_core_web_nonexistent\n")
    proc = run_cli(
        "--config", str(cfg), "--db", str(tmp_path / "x.db"), "ingest", "--html", str(SEED_PAGE), "--url", SEED_URL
    )
    assert_one_line_error(proc, "nlp.model", "en_core_web_nonexistent")


def test_page_without_text_is_stored_with_reason(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text(
        "<html><head><title>Gallery</title></head><body><nav><a href='/'>Home</a></nav><img src='a.jpg'></body></html>"
    )
    db = tmp_path / "x.db"
    proc = run_cli("--db", str(db), "ingest", "--html", str(page), "--url", "https://example.org/gallery", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["article"]["text"] == "" and out["findings"] == []
    row = sqlite3.connect(db).execute("select url, error from articles").fetchone()
    assert row[0] == "https://example.org/gallery"
    assert "no extractable main text" in row[1]


@pytest.mark.parametrize(
    "args, needles",
    [
        (
            ["silence", "add", "--entity", "X", "--for", "99999999999999999999d", "--why", "w"],
            ["longer than 100 years"],
        ),
        (["silence", "rm", "99999999999999999999999"], ["SILENCE_ID", "range"]),
        (["digest", "--since", "99999999999d", "--print"], ["longer than 100 years"]),
        (["schedule", "-n", "100000000"], ["-n", "range"]),
        (["watchlist", "match", "Xiaomi", "--limit", "-1"], ["--limit", "range"]),
    ],
)
def test_out_of_range_numbers_get_a_clear_error_not_a_traceback(
    tmp_path: Path, args: list[str], needles: list[str]
) -> None:
    proc = run_cli("--db", str(tmp_path / "x.db"), *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (error,) = [line for line in proc.stderr.splitlines() if line.startswith(("Error", "error"))]
    for n in needles:
        assert n in error, error


def test_a_settings_file_nested_thousands_deep_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    (cfg / "settings.yaml").write_text("a: " + "[" * 20000 + "]" * 20000 + "\n")
    proc = run_cli("--config", str(cfg), "--db", str(tmp_path / "x.db"), "rules", "check")
    assert_one_line_error(proc, "settings.yaml", "nested too deeply")


def test_a_rule_regex_that_can_backtrack_for_ever_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: slow\n    when: {entity: 're:(a+)+$'}\n    then: {action: alert}\n", encoding="utf-8"
    )
    proc = run_cli("--db", str(tmp_path / "x.db"), "rules", "check", str(rules))
    assert_one_line_error(proc, "rules.yaml", "repeated group", "(a+)+")


def test_list_files_the_parsers_choke_on_are_one_line_errors(tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    huge.write_text("source,name,type,programs,alt_names\nSRC," + "N" * 140_000 + ",Entity,P,\n")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    db = str(tmp_path / "x.db")
    proc = run_cli("--db", db, "watchlist", "import", str(huge), "--format", "csl-csv", "--name", "t")
    # the broken line is named with the csv module's reason, and a file with nothing usable left
    # replaces no list
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "huge.csv:2: row: broken line (field larger than field limit" in proc.stdout + proc.stderr
    assert "not replaced" in proc.stderr
    for fmt in ("csl-json", "ftm"):
        proc = run_cli("--db", db, "watchlist", "import", str(deep), "--format", fmt, "--name", "t")
        assert_one_line_error(proc, "deep.json", "nested too deeply")


def test_a_list_entry_whose_name_is_not_text_is_skipped_with_its_reason(tmp_path: Path) -> None:
    src = tmp_path / "list.json"
    src.write_text(
        json.dumps(
            [
                {"source": "SRC", "name": 5, "type": "Entity", "programs": "P", "alt_names": ""},
                {"source": "SRC", "name": "Example Optics Ltd", "type": "Entity", "programs": "P", "alt_names": ""},
            ]
        )
    )
    proc = run_cli(
        "--db", str(tmp_path / "x.db"), "watchlist", "import", str(src), "--format", "csl-json", "--name", "t"
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "name: expected text, got int" in proc.stdout + proc.stderr
    assert "1 entities imported" in proc.stdout, proc.stdout
