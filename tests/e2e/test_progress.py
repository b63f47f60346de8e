"""Progress bars for people at a terminal: imports, deliveries and crawls draw one line on stderr
with counts and a rate when stderr is a terminal (a real pseudo-terminal here), and nothing of it
when stderr is a pipe, so what tools read stays as it was. Real CLI processes, real Slack test
server, real fixture web."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.support.alerts import ingest
from tests.support.fixture_web import fixture_web, write_config
from tests.support.paths import FIXTURES
from tests.support.slack_server import SlackServer

SDN = FIXTURES / "watchlists" / "sdn.csv"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSWATCH_"))}
    return {**env, "TERM": "xterm", **extra}


def on_terminal(args: list[str], env: dict[str, str], timeout: float = 240) -> tuple[int, str, str]:
    """Run ``newswatch ARGS`` with stderr on a pseudo-terminal: (exit code, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newswatch", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    shown = bytearray()
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            proc.kill()
            raise AssertionError(f"no terminal output for {timeout}s: {shown.decode(errors='replace')}")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    out = proc.stdout.read().decode() if proc.stdout else ""
    return proc.wait(timeout), out, shown.decode(errors="replace")


def last_bar(shown: str, label: str) -> str:
    """The last drawing of the bar that starts with ``label``."""
    drawings = [part for line in shown.split("\n") for part in line.split("\r") if part.startswith(label)]
    assert drawings, shown
    return drawings[-1].replace("\x1b[K", "")


def test_an_import_at_a_terminal_shows_a_bar_with_counts_and_rate(tmp_path: Path) -> None:
    db = tmp_path / "nw.db"
    args = ["--db", str(db), "watchlist", "import", str(SDN), "--format", "ofac-sdn", "--name", "ofac"]
    code, out, shown = on_terminal(args, _env())
    assert code == 0, shown
    bar = last_bar(shown, "import ofac")
    count = int(out.split(": ")[1].split()[0])  # "list ofac: N entities imported ..."
    assert count > 0
    assert f"{count}/{count} entities (100%)" in bar and "[" + "#" * 24 + "]" in bar
    assert "/s" in bar
    assert "\r" not in out and "\x1b" not in out  # stdout (a pipe) is as it always was


def test_an_import_into_a_pipe_draws_no_bar(tmp_path: Path) -> None:
    db = tmp_path / "nw.db"
    args = ["--db", str(db), "watchlist", "import", str(SDN), "--format", "ofac-sdn", "--name", "ofac"]
    r = subprocess.run(
        [sys.executable, "-m", "newswatch", *args], capture_output=True, text=True, env=_env(), timeout=240
    )
    assert r.returncode == 0, r.stderr
    assert "import ofac" not in r.stderr and "\r" not in r.stderr and "\x1b" not in r.stderr
    assert r.stdout.startswith("list ofac:")


def test_a_delivery_at_a_terminal_counts_alerts_by_outcome(
    runner: CliRunner, tmp_path: Path, slack_server: SlackServer
) -> None:
    db = tmp_path / "nw.db"
    ingest(runner, db)  # the founding case, no token: three pending alerts
    env = _env(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_CHANNEL="#risk-test", SLACK_API_URL=slack_server.base_url)
    code, out, shown = on_terminal(["--db", str(db), "alerts", "deliver"], env)
    assert code == 0, shown
    bar = last_bar(shown, "deliver")
    assert "3/3 alerts (100%)" in bar and "sent 3" in bar and "/s" in bar
    assert '"sent": 3' in out
    assert len(slack_server.messages) == 3


def test_a_crawl_at_a_terminal_counts_pages_under_the_event_lines(tmp_path: Path) -> None:
    db = tmp_path / "nw.db"
    with fixture_web() as sites:
        cfg = write_config(tmp_path / "config", sites, enable=["technews-feed"])
        code, out, shown = on_terminal(["--config", str(cfg), "--db", str(db), "crawl"], _env())
    assert code == 0, shown
    bar = last_bar(shown, "crawl ")
    new = shown.count("[technews-feed] new ")  # one event line per page, each on its own line
    assert new > 0
    assert f"crawl  {new} pages" in bar and f"new {new}" in bar and "/s" in bar
    assert "[technews-feed] feed source started\r\n" in shown
    assert out.startswith("crawl run 1:")  # the run's table on stdout, untouched
