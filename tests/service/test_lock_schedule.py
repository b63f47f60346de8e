"""The crawl lock (real SQLite file, real processes) and the schedule's trigger, misfire and coalescing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

from newswatch.commands import cli
from newswatch.config import ScheduleSettings
from newswatch.errors import ConfigError
from newswatch.models import epoch
from newswatch.service.lock import DbLock
from newswatch.service.scheduler import CrawlRunner, CrawlScheduler, build_trigger, jobs_db_path, next_run_times
from newswatch.store import open_db
from tests.support.service import make_config


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    db_file = tmp_path / "n.db"
    a, b = DbLock(open_db(db_file), "crawl", 30), DbLock(open_db(db_file), "crawl", 30)
    assert a.acquire() is not None
    assert b.acquire() is None  # a live holder (this very process) keeps it
    a.release()
    info = b.acquire()
    assert info is not None and info.taken_over is None
    b.release()
    assert open_db(db_file)["service_locks"].count == 0


def test_a_dead_holders_lock_is_taken_over(tmp_path: Path) -> None:
    """A process takes the lock and is killed without releasing it: the next one takes it over at once."""
    db_file = tmp_path / "n.db"
    code = (
        "import sys, os, time; from newswatch.store import open_db; from newswatch.service.lock import DbLock; "
        f"l = DbLock(open_db({str(db_file)!r}), 'crawl', 3600); assert l.acquire(); print('held', flush=True); "
        "time.sleep(600)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        lock = DbLock(open_db(db_file), "crawl", 30)
        assert lock.acquire() is None, "the holder is alive"
        proc.kill()
        proc.wait()
        info = lock.acquire()
        assert info is not None and "holder process is gone" in info.taken_over and str(proc.pid) in info.taken_over
        lock.release()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_an_expired_lease_is_taken_over(tmp_path: Path) -> None:
    db_file = tmp_path / "n.db"
    db = open_db(db_file)
    # a holder on another host (pid liveness unknowable) whose lease ran out
    db["service_locks"].insert(
        {
            "name": "crawl",
            "holder": "otherhost:1:x",
            "pid": 1,
            "host": "otherhost",
            "started": 0.0,
            "acquired_at": 0.0,
            "heartbeat_at": 0.0,
            "expires_at": time.time() - 1,
        }
    )
    info = DbLock(open_db(db_file), "crawl", 30).acquire()
    assert info is not None and "lease expired" in info.taken_over
    db["service_locks"].update("crawl", {"holder": "otherhost:1:y", "expires_at": time.time() + 60})
    assert DbLock(open_db(db_file), "crawl", 30).acquire() is None  # live lease on another host: respected


def test_heartbeat_keeps_the_lease_and_notices_a_lost_lock(tmp_path: Path) -> None:
    db_file = tmp_path / "n.db"
    lost = threading.Event()
    lock = DbLock(open_db(db_file), "crawl", 0.6, on_lost=lost.set)
    first = lock.acquire()
    time.sleep(1.0)
    row = lock.current()
    assert epoch(row["expires_at"]) > first.expires_at  # renewed (ISO 8601 UTC in the file)
    open_db(db_file).execute("update service_locks set holder = 'thief' where name = 'crawl'")
    assert lost.wait(2), "a lock taken by someone else is noticed"


@pytest.mark.parametrize(
    "cron,tz,after,want",
    [
        ("0 6 * * *", "UTC", "2026-03-01T07:00:00+00:00", "2026-03-02T06:00:00+00:00"),
        ("30 6 * * 1-5", "Europe/Berlin", "2026-03-06T07:00:00+01:00", "2026-03-09T06:30:00+01:00"),  # Fri -> Mon
        ("0 9 * * 0", "UTC", "2026-03-02T00:00:00+00:00", "2026-03-08T09:00:00+00:00"),  # crontab 0 = Sunday
        ("0 9 * * 7", "UTC", "2026-03-02T00:00:00+00:00", "2026-03-08T09:00:00+00:00"),  # and so is 7
        ("*/10 * * * * *", "UTC", "2026-03-02T00:00:01+00:00", "2026-03-02T00:00:10+00:00"),  # seconds field
        ("0 2 * * *", "Europe/Berlin", "2026-03-28T03:00:00+01:00", "2026-03-29T03:00:00+02:00"),  # DST gap
    ],
)
def test_trigger_from_config(cron: str, tz: str, after: str, want: str) -> None:
    trigger = build_trigger(ScheduleSettings(cron=cron, timezone=tz))
    got = next_run_times(trigger, 1, after=datetime.fromisoformat(after).astimezone(ZoneInfo(tz)))
    assert got[0].timestamp() == datetime.fromisoformat(want).timestamp()  # (a gap time never compares ==)


@pytest.mark.parametrize(
    "cron,tz,where,why",
    [
        ("61 * * * *", "UTC", "schedule.cron", "invalid cron"),
        ("* * *", "UTC", "schedule.cron", "expected 5 fields"),
        ("0 6 * * *", "Mars/Olympus", "schedule.timezone", "unknown time zone"),
    ],
)
def test_bad_schedule_is_a_config_error(cron: str, tz: str, where: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as err:
        build_trigger(ScheduleSettings(cron=cron, timezone=tz))
    assert err.value.place == where


def test_schedule_command_prints_next_runs(tmp_path: Path, runner) -> None:  # noqa: ANN001
    cfg = make_config(tmp_path / "config", schedule={"cron": "15 4 * * *", "timezone": "Asia/Tokyo"})
    res = runner.invoke(cli, ["--config", str(cfg), "schedule", "-n", "3", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["cron"] == "15 4 * * *" and len(data["next"]) == 3
    times = [datetime.fromisoformat(t) for t in data["next"]]
    assert all(t.hour == 4 and t.minute == 15 and t.utcoffset().total_seconds() == 9 * 3600 for t in times)
    assert (times[1] - times[0]).days == 1
    bad = make_config(tmp_path / "bad", schedule={"cron": "every day"})
    res = runner.invoke(cli, ["--config", str(bad), "schedule"])
    assert res.exit_code == 2 and "schedule.cron" in res.output and "invalid cron" in res.output


class Recorder:
    """A crawl function that records its calls (the real crawl is exercised by the service tests)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, config_dir, db_path, stop_event=None, progress=None):  # noqa: ANN001, ANN204
        self.calls.append(time.time())


def _scheduler(tmp_path: Path, rec: Recorder, grace: int) -> tuple[CrawlScheduler, list]:
    sched = ScheduleSettings(cron="*/2 * * * * *", misfire_grace_seconds=grace, lock_lease_seconds=30)
    db_file = tmp_path / "n.db"
    s = CrawlScheduler(CrawlRunner(tmp_path, db_file, 30, crawl=rec), sched, jobs_db_path(db_file, sched))
    events: list = []
    return s, events


def _run_after_a_missed_period(tmp_path: Path, grace: int, down: float) -> tuple[list, float]:
    """Start, stop, stay down past two firings, start again: what ran for the missed ones?"""
    rec = Recorder()
    first, _ = _scheduler(tmp_path, rec, grace)
    first.start()
    nxt = first.next_run_time
    first.shutdown()
    assert rec.calls == [] or rec.calls[0] >= nxt.timestamp()  # nothing fired during shutdown
    time.sleep(max(0.0, nxt.timestamp() + down - time.time()))  # firings at nxt and nxt+2 are missed
    rec.calls.clear()
    second, _ = _scheduler(tmp_path, rec, grace)
    events: list = []
    restart = time.time()
    second.start()
    second.scheduler.add_listener(lambda e: events.append(e), EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    time.sleep(0.8)
    second.shutdown()
    return events, restart


def test_missed_runs_within_grace_run_once(tmp_path: Path) -> None:
    events, restart = _run_after_a_missed_period(tmp_path, grace=60, down=2.5)
    catch_up = [e for e in events if e.code == EVENT_JOB_EXECUTED and e.scheduled_run_time.timestamp() < restart]
    assert len(catch_up) == 1, [(e.code, e.scheduled_run_time) for e in events]  # coalesced: once, not twice


def test_missed_runs_past_grace_are_skipped(tmp_path: Path) -> None:
    # the latest missed firing is ~1.4 s late when the service comes back: past a 1 s grace
    events, restart = _run_after_a_missed_period(tmp_path, grace=1, down=3.4)
    late = [e for e in events if e.scheduled_run_time.timestamp() < restart]
    assert late and all(e.code == EVENT_JOB_MISSED for e in late)
