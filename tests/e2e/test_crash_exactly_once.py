"""Crashes: ``newswatch crawl`` and ``newswatch alerts deliver`` are killed with SIGKILL at random
points, many times over, while they run side by side; after a final crawl and delivery every article
is stored once, every alert is ``sent``, the Slack-compatible test server got each alert exactly
once, and the alerts are the ones a clean, uninterrupted crawl produces.

The kill points come from a seeded RNG (seed printed; set ``NEWSWATCH_CRASH_SEED`` to replay one).
One post is deterministically "accepted by Slack, answer lost" (``server.hang``) and the deliverer
killed while it waits: the next deliverer must find that message instead of posting it again. One
post is rate-limited (429, Retry-After slept out inside the call, where kills may land) and one is
accepted and its connection dropped before the answer (``server.accept_then``): neither may
become two messages. ``NEWSWATCH_CRASH_SEED`` varies the kill points.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

from newswatch.crawler import run_crawl
from newswatch.crawler.sources import CrawlSettings
from tests.support.fixture_web import fixture_web, write_config
from tests.support.slack_server import SlackServer

ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("NEWSWATCH_CRASH_SEED", "20261125"))
CRAWL_KILLS = 6  # kill attempts on the crawl (the CLI process or its crawl child)
PAGE_DELAY = 0.2  # seconds each fixture page takes while the kills go on (room to land mid-crawl)
DELIVERERS = 2  # deliverer loops running side by side
POST_DELAY = 0.25  # seconds the Slack test server takes to answer a post (room to land mid-post)


def _env(server: SlackServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSWATCH_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_CHANNEL": "#risk-test",
            "SLACK_API_URL": server.base_url,
        }
    )
    return env


def _query(db_file: Path, sql: str) -> list[tuple]:
    try:
        with sqlite3.connect(db_file, timeout=10) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def _count(db_file: Path, table_where: str) -> int:
    rows = _query(db_file, f"select count(*) from {table_where}")
    return rows[0][0] if rows else 0


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _kill(proc: subprocess.Popen, target: str = "cli") -> bool:
    """SIGKILL the CLI process (``cli``) or its crawl child (``child``); True if something was killed."""
    if proc.poll() is not None:
        return False
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    crawl_children = [c.pid for c in children if "spawn_main" in " ".join(_cmdline(c))]
    victim = crawl_children[0] if target == "child" and crawl_children else proc.pid
    try:
        os.kill(victim, signal.SIGKILL)
    except ProcessLookupError:
        return False
    if victim == proc.pid:
        proc.wait(30)
        for child in children:  # the crawl child dies with its parent (PR_SET_PDEATHSIG)
            try:
                child.wait(30)
            except psutil.NoSuchProcess:
                pass
    else:
        proc.wait(60)  # the CLI notices its child died, books the run failed and exits
    return True


class Deliverer(threading.Thread):
    """Starts ``newswatch alerts deliver --now`` again and again, killing each after a random delay."""

    def __init__(self, base: list[str], env: dict[str, str], rng: random.Random, db_file: Path) -> None:
        super().__init__(daemon=True)
        self.base, self.env, self.rng, self.db_file = base, env, rng, db_file
        self.stop = threading.Event()
        self.kills = 0
        self.kills_mid_send = 0  # kills that left an alert 'sending' (claimed, post maybe accepted)
        self.completed = 0
        self.errors: list[str] = []
        self.longest_run = 3.5  # seconds before a run is killed, at most (raised once the crawls are done)

    def run(self) -> None:
        while not self.stop.is_set():
            proc = subprocess.Popen(
                [*self.base, "alerts", "deliver", "--now"],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            deadline = time.monotonic() + self.rng.uniform(0.8, self.longest_run)
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            if _kill(proc):
                self.kills += 1
                if _count(self.db_file, "alerts where status = 'sending'"):
                    self.kills_mid_send += 1
            else:
                out, err = proc.communicate()
                # 5: the run reported alerts it could not deliver this time (the injected 429, the
                # hung or dropped post); anything else (a traceback, a usage error) is an error
                if proc.returncode in (0, 5):
                    self.completed += 1
                else:
                    self.errors.append(err.decode()[-500:])
            for pipe in (proc.stdout, proc.stderr):
                if pipe and not pipe.closed:
                    pipe.close()
            self.stop.wait(self.rng.uniform(1.5, 3.5))  # leave CPU to the crawl (2 cores)


def test_random_sigkills_of_crawl_and_delivery_store_and_send_everything_exactly_once(tmp_path: Path) -> None:
    print(f"\ncrash test seed: {SEED} (replay with NEWSWATCH_CRASH_SEED={SEED})")
    started = time.monotonic()
    rng = random.Random(SEED)
    with fixture_web() as web, SlackServer() as server:
        # The expected result: one clean, uninterrupted crawl of the same fixture web into another DB.
        clean_cfg = write_config(tmp_path / "clean-config", web)
        clean_db = tmp_path / "clean.db"
        clean = run_crawl(clean_cfg, clean_db)
        assert clean.status == "finished"
        print(f"clean crawl done at {time.monotonic() - started:.1f} s")
        want_articles = {r[0] for r in _query(clean_db, "select canonical_url from articles")}
        want_alerts = {r[0]: r[1:] for r in _query(clean_db, "select key, entity, tie, reason from alerts")}
        assert len(want_articles) >= 10 and len(want_alerts) >= 8  # the fixture web: news + filings

        crawl = {"concurrency_per_domain": 1}
        # With page workers: one worker, one page per batch, so articles are committed one by one
        # and a kill after "something new was stored" lands with more still to come.
        crawl.update({k: 1 for k in ("workers", "worker_batch") if k in CrawlSettings.model_fields})
        cfg = write_config(tmp_path / "config", web, crawl=crawl)
        db_file = tmp_path / "n.db"
        env = _env(server)
        base = [sys.executable, "-m", "newswatch", "--config", str(cfg), "--db", str(db_file)]
        for site in web.values():
            site.slow_all = PAGE_DELAY
        server.state.post_delay = POST_DELAY
        server.hang("chat.postMessage")  # the first post is accepted and never answered
        server.state.retry_after = 2
        server.fail_next("chat.postMessage", [429])  # ... but first rate-limited: slept out in the call
        server.accept_then("chat.postMessage", ["drop"])  # a later post: accepted, connection dropped

        # Two deliverer loops, so runs overlap too (as the service's outbox and a CLI run may):
        # a post in flight by a live deliverer must be left alone, an interrupted one recovered.
        deliverers = [Deliverer(base, env, random.Random(rng.random()), db_file) for _ in range(DELIVERERS)]
        for d in deliverers:
            d.start()
        crawl_kills, log = 0, []
        try:
            for n in range(CRAWL_KILLS):
                before = _count(db_file, "articles")
                proc = subprocess.Popen(
                    [*base, "crawl", "--quiet"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
                )
                target = rng.choice(["cli", "child"])
                if n % 2:  # at a random time (startup, fetching, storing, shutting down)
                    deadline = time.monotonic() + rng.uniform(0.5, 6.0)
                    while proc.poll() is None and time.monotonic() < deadline:
                        time.sleep(0.02)
                else:  # right after the crawl stored something new, so it dies mid-stream
                    # (pages wait for the page worker's start-up and then commit in a burst of a
                    # few tenths of a second: the kill must come within it)
                    pause = rng.uniform(0.0, 0.06)
                    deadline = time.monotonic() + 60
                    while proc.poll() is None and _count(db_file, "articles") == before and time.monotonic() < deadline:
                        time.sleep(0.01)
                    time.sleep(pause)
                killed = _kill(proc, target)
                crawl_kills += killed
                log.append(
                    (
                        n,
                        target if killed else "finished first",
                        _count(db_file, "articles"),
                        round(time.monotonic() - started, 1),
                    )
                )
                proc.stderr.close()
            if _count(db_file, "alerts") < 3:
                # On a crowded machine every crawl may have died before storing much: one more crawl,
                # left alone, gives the deliverers alerts to walk into the faults with.
                subprocess.run(
                    [*base, "crawl", "--quiet"], env=env, cwd=ROOT, capture_output=True, timeout=600, check=False
                )
                log.append(
                    ("uninterrupted", "finished", _count(db_file, "articles"), round(time.monotonic() - started, 1))
                )
            # Let the deliverers go on until they have walked into the hung post and the dropped one
            # (needs stored alerts). On a busy machine a run's start-up alone can outlast its kill
            # delay, so from now on runs live longer and get to post (kills still land among posts).
            for d in deliverers:
                d.longest_run = 10.0
            deadline = time.monotonic() + 240

            def pending_faults() -> bool:
                return not server.state.hung.is_set() or bool(server.state.accept_fail["chat.postMessage"])

            while pending_faults() and _count(db_file, "alerts") and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            for d in deliverers:
                d.stop.set()
            for d in deliverers:
                d.join(120)
        kills = sum(d.kills for d in deliverers)
        errors = [e for d in deliverers for e in d.errors]
        print(
            f"crawl kills: {crawl_kills} of {CRAWL_KILLS} ({log}); delivery kills: {kills} "
            f"({sum(d.kills_mid_send for d in deliverers)} with an alert left 'sending'), delivery runs "
            f"completed: {sum(d.completed for d in deliverers)}"
        )
        assert crawl_kills >= CRAWL_KILLS // 2, log  # the kills did land on running crawls
        assert kills >= 3 and not errors, errors
        assert server.state.hung.is_set() and server.count("chat.postMessage", 0) == 1  # accepted, answer lost
        assert server.count("chat.postMessage", 429) == 1 and not server.state.accept_fail["chat.postMessage"]

        # Recovery: one crawl and one delivery run to completion.
        for site in web.values():
            site.slow_all = 0.0
        server.state.post_delay = 0.0
        final = subprocess.run(
            [*base, "crawl", "--json", "--quiet"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
        )
        assert final.returncode == 0, final.stderr[-2000:]
        assert json.loads(final.stdout)["status"] == "finished"
        deliver = subprocess.run(
            [*base, "alerts", "deliver", "--now"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert deliver.returncode == 0, deliver.stderr[-2000:]
        assert json.loads(deliver.stdout.strip().splitlines()[-1])["errors"] == 0

    # Every expected article stored, each exactly once.
    per_url = Counter(r[0] for r in _query(db_file, "select canonical_url from articles"))
    assert set(per_url) == want_articles
    assert [u for u, c in per_url.items() if c != 1] == []
    # The alerts are those of the clean crawl, and every one is sent.
    alerts = {r[0]: r[1:] for r in _query(db_file, "select key, entity, tie, reason from alerts")}
    assert alerts == want_alerts
    statuses = Counter(r[0] for r in _query(db_file, "select status from alerts"))
    assert statuses == {"sent": len(want_alerts)}, statuses
    # Slack got each alert's message exactly once, and nothing else.
    for key in want_alerts:
        assert len(server.posts_for_key(key)) == 1, (key, len(server.posts_for_key(key)))
    top_level = [m for m in server.messages if not m.get("thread_ts")]
    assert len(top_level) == len(want_alerts)
    # Thread replies for later sources (if any source reported an alert twice): each once.
    replies = Counter(
        ((m.get("metadata") or {}).get("event_payload") or {}).get("key") for m in server.messages if m.get("thread_ts")
    )
    assert all(c == 1 for c in replies.values()), replies
    unsent = _query(
        db_file, "select count(*) from alert_sources where reply_status in ('pending', 'sending', 'failed')"
    )
    assert unsent == [(0,)]
    runs = Counter(r[0] for r in _query(db_file, "select status from crawl_runs"))
    assert "running" not in runs and runs["finished"] >= 1, runs  # killed runs are booked, not left running
    # The ts recorded for each alert is the one Slack gave its (only) message.
    for key, ts in _query(db_file, "select key, slack_ts from alerts"):
        assert server.posts_for_key(key)[0]["ts"] == ts
    print(f"crash test: {len(per_url)} articles, {len(alerts)} alerts, {time.monotonic() - started:.1f} s")
