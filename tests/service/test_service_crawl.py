"""`newswatch run` processes crawling the fixture web on their schedule (real Scrapy child, real HTTP,
real SQLite): the schedule fires and crawls; a second service on the same database never crawls at the
same time and takes over when the first dies; an on-demand ingest during a crawl leaves SQLite
consistent; SIGTERM stops a crawl at a safe point and the next run finishes it."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from tests.support.fixture_web import fixture_web, write_config
from tests.support.service import FixtureSite, ServiceProcess

NEWS = ["technews-feed", "technews-sitemap", "technews-tech"]
SEED = "xiaomi-blacklist-award.html"


@pytest.fixture(scope="module")
def web() -> Iterator[dict]:
    with fixture_web() as sites:
        yield sites


@pytest.fixture(scope="module")
def seed_site() -> Iterator[FixtureSite]:
    with FixtureSite("127.0.0.2") as s:
        yield s


def service_config(dest: Path, web: dict, cron: str, lease: float = 3) -> Path:
    cfg = write_config(dest, web, enable=NEWS)
    path = cfg / "settings.yaml"
    data = yaml.safe_load(path.read_text())
    data["schedule"].update({"cron": cron, "lock_lease_seconds": lease, "misfire_grace_seconds": 30})
    data["service"].update({"allow": ["127.0.0.2/32:*"]})
    path.write_text(yaml.safe_dump(data))
    return cfg


def rows(db_file: Path, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db_file, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def wait_for(what: str, check: Callable[[], Any], timeout: float, *services: ServiceProcess) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(s.log()[-3000:] for s in services))


def health(svc: ServiceProcess) -> dict[str, Any]:
    return svc.client.get("/health").json()


def assert_consistent(db_file: Path) -> None:
    assert rows(db_file, "pragma integrity_check") == [{"integrity_check": "ok"}]
    assert rows(db_file, "pragma foreign_key_check") == []
    orphans = rows(db_file, "select count(*) n from findings where article_id not in (select id from articles)")
    assert orphans == [{"n": 0}]
    bad_alerts = rows(
        db_file,
        "select count(*) n from alerts where key not in (select alert_key from findings where alert_key is not null)",
    )
    assert bad_alerts == [{"n": 0}]


def test_two_services_schedule_crawl_ingest_and_take_over(web: dict, seed_site: FixtureSite, tmp_path: Path) -> None:
    web["technews"].slow_all = 0.4  # a crawl of a few seconds, so the ingest lands during it
    cfg = service_config(tmp_path / "config", web, cron="*/3 * * * * *")
    db_file = tmp_path / "shared.db"
    a = ServiceProcess(cfg, db_file, tmp_path / "a.log")
    b = None
    try:
        a.wait_ready()
        b = ServiceProcess(cfg, db_file, tmp_path / "b.log")
        b.wait_ready()
        assert health(a)["scheduler"]["role"] == "leader", a.log()
        assert health(b)["scheduler"]["role"] == "standby" and health(b)["scheduler"]["next_run"] is None
        # the schedule fires on A and a crawl starts; meanwhile B ingests a page on demand
        wait_for("A to crawl", lambda: health(a)["scheduler"]["crawl_running"], 30, a)
        # the crawl child runs at a lower CPU priority than on-demand ingestion
        children = psutil.Process(a.proc.pid).children
        wait_for("a reniced crawl child", lambda: [p for p in children(recursive=True) if p.nice() >= 10], 10, a)
        row = b.ingest_and_wait(f"{seed_site.base}/{SEED}")
        assert row["state"] == "done" and row["result"]["findings"], row
        during = rows(db_file, "select status from crawl_runs order by id desc limit 1")
        first = wait_for(
            "the first crawl to finish",
            lambda: rows(db_file, "select * from crawl_runs where status = 'finished' order by id"),
            120,
            a,
            b,
        )[0]
        assert during and during[0]["status"] == "running", "the ingest finished while the crawl ran"
        assert first["pid"] == a.proc.pid
        by_source = rows(db_file, "select source = 'ingest' on_demand, count(*) n from articles group by 1 order by 1")
        assert by_source == [{"on_demand": 0, "n": 7}, {"on_demand": 1, "n": 1}], by_source  # 7 fixture articles
        assert_consistent(db_file)
        # A dies without cleaning up (kill -9, between crawls); B takes over the schedule and crawls
        wait_for("A idle", lambda: not health(a)["scheduler"]["crawl_running"], 60, a)
        a.stop(signal.SIGKILL)
        wait_for("B to lead", lambda: health(b)["scheduler"]["role"] == "leader", 30, b)
        wait_for(
            "B to crawl",
            lambda: rows(db_file, "select id from crawl_runs where pid = ? and status = 'finished'", (b.proc.pid,)),
            60,
            b,
        )
        assert "taking over from" in b.log() and str(a.proc.pid) in b.log()
        # never two crawls at once: runs are strictly one after the other
        runs = rows(db_file, "select id, pid, status, started_at, ended_at from crawl_runs order by id")
        for prev, nxt in zip(runs, runs[1:], strict=False):
            if prev["ended_at"]:
                assert nxt["started_at"] >= prev["ended_at"], runs
        assert {r["pid"] for r in runs} <= {a.proc.pid, b.proc.pid}
        assert_consistent(db_file)
        assert b.stop() == 0, b.log()
        assert rows(db_file, "select name from service_locks") == []  # B handed both locks back
    finally:
        web["technews"].slow_all = 0.0
        a.stop(signal.SIGKILL)
        if b:
            b.stop(signal.SIGKILL)


def test_sigterm_stops_a_crawl_at_a_safe_point_and_the_next_run_finishes_it(web: dict, tmp_path: Path) -> None:
    web["technews"].slow_all = 1.0
    cfg = service_config(tmp_path / "config", web, cron="*/2 * * * * *")
    db_file = tmp_path / "n.db"
    svc = ServiceProcess(cfg, db_file, tmp_path / "s1.log")
    try:
        svc.wait_ready()
        wait_for("a crawl", lambda: health(svc)["scheduler"]["crawl_running"], 30, svc)
        time.sleep(1.5)
        started = time.monotonic()
        assert svc.stop(signal.SIGTERM) == 0, svc.log()
        took = time.monotonic() - started
        log = svc.log()
        assert "waiting for the running crawl to stop at a safe point" in log and "stopped cleanly" in log, log
        assert "Traceback" not in log, log
        runs = rows(db_file, "select status from crawl_runs order by id")
        assert runs[-1]["status"] == "stopped", (runs, took)
        assert rows(db_file, "select name from service_locks") == []
        assert_consistent(db_file)
        partial = rows(db_file, "select count(*) n from articles")[0]["n"]
    finally:
        web["technews"].slow_all = 0.0
        svc.stop(signal.SIGKILL)
    # next time: the crawl completes what the stopped one left
    again = ServiceProcess(cfg, db_file, tmp_path / "s2.log")
    try:
        again.wait_ready()
        wait_for(
            "a finished crawl", lambda: rows(db_file, "select id from crawl_runs where status = 'finished'"), 120, again
        )
        total = rows(db_file, "select count(*) n from articles")[0]["n"]
        assert total > partial and total >= 7, (partial, total)
        assert again.stop() == 0
    finally:
        again.stop(signal.SIGKILL)
