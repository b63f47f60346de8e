"""The daily crawl: APScheduler 3.x with a persistent SQLite job store and a crash-proof crawl lock.

* Job store: ``SQLAlchemyJobStore`` in its own SQLite file beside the database
  (``<database>-jobs.db`` unless ``schedule.jobs_db`` says otherwise), so the scheduler's
  SQLAlchemy connections never hold the main database's write lock.
* ``job_defaults``: ``coalesce=True``, ``max_instances=1``, ``misfire_grace_time`` from
  ``schedule.misfire_grace_seconds``: a machine that slept through the hour runs the missed crawl
  once when it wakes, not once per missed firing.
* The job has a fixed id; on start-up an existing job with the same trigger is kept (so a crawl
  missed while the service was down still fires, within the grace time), a changed one replaced.
* Two services on one database: each has its own scheduler, but the crawl itself runs under the
  ``crawl`` :class:`~newswatch.service.lock.DbLock`, so they never crawl at the same time.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psutil
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from ..config import ScheduleSettings
from ..errors import ConfigError
from ..models import utcnow
from ..store import open_db
from .lock import DbLock

log = logging.getLogger(__name__)

JOB_ID = "newswatch-crawl"
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

# The persistent job names its function by import path and cannot carry live objects, so the job
# function finds this process's crawl runner here (one entry per running service, by name).
_RUNNERS: dict[str, CrawlRunner] = {}


def _crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler day names (0 = Monday there)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step_s = part.partition("/")
        step = int(step_s) if step_s else 1
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            lo, hi = _day_number(a), _day_number(b)
        else:
            lo = hi = _day_number(rng)
        if hi < lo:
            hi += 7
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(DAYS[d] for d in sorted(days))


def _day_number(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit():
        return int(token) % 7
    if token[:3] in DAYS:
        return DAYS.index(token[:3])
    raise ValueError(f"bad day of week {token!r}")


def build_trigger(schedule: ScheduleSettings, source: str = "settings.yaml") -> CronTrigger:
    """The crawl's trigger from ``schedule.cron`` (5 crontab fields, or 6 with seconds first)."""
    try:
        tz = ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            source,
            "schedule.timezone",
            f"unknown time zone {schedule.timezone!r}",
            "use an IANA name such as UTC or Europe/Berlin",
        ) from None
    fields = schedule.cron.split()
    try:
        if len(fields) == 5:
            minute, hour, day, month, dow = fields
            second = "0"
        elif len(fields) == 6:
            second, minute, hour, day, month, dow = fields
        else:
            raise ValueError(f"expected 5 fields (or 6 with seconds first), got {len(fields)}")
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_crontab_weekdays(dow),
            timezone=tz,
        )
    except ValueError as exc:
        raise ConfigError(
            source,
            "schedule.cron",
            f"invalid cron expression {schedule.cron!r}: {exc}",
            "write a 5-field crontab 'minute hour day month weekday' like '0 6 * * *' "
            "(06:00 daily), or 6 fields with seconds first",
        ) from None


def next_run_times(trigger: CronTrigger, count: int = 5, after: datetime | None = None) -> list[datetime]:
    """The next ``count`` fire times of ``trigger`` after ``after`` (default now)."""
    now = after or datetime.now(trigger.timezone)
    out: list[datetime] = []
    prev = None
    for _ in range(count):
        nxt = trigger.get_next_fire_time(prev, now)
        if nxt is None:
            break
        out.append(nxt)
        prev, now = nxt, nxt
    return out


def jobs_db_path(db_path: Path, schedule: ScheduleSettings) -> Path:
    """Where the APScheduler job store lives."""
    if schedule.jobs_db:
        p = Path(schedule.jobs_db)
        return p if p.is_absolute() else db_path.parent / p
    return db_path.with_name(db_path.stem + "-jobs.db")


class CrawlRunner:
    """Runs one crawl at a time under the database crawl lock, and can stop it at a safe point."""

    def __init__(
        self,
        config_dir: Path,
        db_path: Path,
        lease_seconds: float,
        crawl: Callable[..., Any] | None = None,
        nice: int = 10,
    ) -> None:
        self.config_dir = config_dir
        self.db_path = db_path
        self.lease = lease_seconds
        self._crawl = crawl
        self.stop_event: Any = None
        self.running = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.last: dict[str, Any] | None = None
        self.pages_seen = 0
        self.nice = nice

    def crawl_fn(self) -> Callable[..., Any]:
        if self._crawl is None:
            from ..crawler import run_crawl  # imported here: Scrapy loads only when a crawl runs

            self._crawl = run_crawl
        return self._crawl

    def _progress(self, event: dict[str, Any]) -> None:
        self.pages_seen += 1

    def run(self) -> dict[str, Any]:
        """Crawl now unless another process holds the lock; returns what happened (also kept in ``last``)."""
        db = open_db(self.db_path)
        lock = DbLock(db, "crawl", self.lease)
        try:
            info = lock.acquire()
            if info is None:
                held = lock.current() or {}
                self.last = {
                    "status": "skipped",
                    "at": utcnow(),
                    "reason": f"crawl lock held by {held.get('holder')} (pid {held.get('pid')})",
                }
                log.warning("crawl skipped: lock held by %s", held.get("holder"))
                return self.last
            if info.taken_over:
                log.warning("crawl lock taken over from %s", info.taken_over)
            self.stop_event = multiprocessing.get_context("spawn").Event()
            self.idle.clear()
            self.running.set()
            log.warning("crawl started (lock holder %s)", info.holder)
            deprioritizer = threading.Thread(target=self._deprioritize, name="crawl-nice", daemon=True)
            deprioritizer.start()
            try:
                run = self.crawl_fn()(
                    self.config_dir, self.db_path, stop_event=self.stop_event, progress=self._progress
                )
                self.last = {
                    "status": getattr(run, "status", "done"),
                    "at": utcnow(),
                    "run": run.to_json() if hasattr(run, "to_json") else None,
                }
            except Exception as exc:  # noqa: BLE001 - a failed crawl is reported, the service goes on
                log.exception("crawl failed")
                self.last = {"status": "failed", "at": utcnow(), "error": f"{type(exc).__name__}: {exc}"}
            finally:
                self.running.clear()
                lock.release()
                self.idle.set()
            log.warning("crawl finished: %s", self.last["status"])
            return self.last
        finally:
            db.conn.close()

    def _deprioritize(self) -> None:
        """While the crawl runs, keep its child processes at ``nice`` so on-demand ingests (in this
        process, at normal priority) get the CPU first."""
        me = psutil.Process()
        while self.running.is_set():
            for child in me.children(recursive=True):
                try:
                    if child.nice() < self.nice:
                        child.nice(self.nice)
                        log.info("crawl child %d reniced to %d", child.pid, self.nice)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.idle.wait(0.5)

    def stop(self) -> None:
        """Ask a running crawl to stop at its next safe point."""
        if self.stop_event is not None:
            self.stop_event.set()


def scheduled_crawl(runner_name: str) -> None:
    """The job function APScheduler stores (by import path): runs the crawl of this process's service."""
    runner = _RUNNERS.get(runner_name)
    if runner is None:
        raise RuntimeError(f"no crawl runner {runner_name!r} registered in this process")
    runner.run()


class CrawlScheduler:
    """The crawl schedule of one service, with leadership among services sharing a database.

    Only the service holding the ``scheduler`` :class:`DbLock` runs APScheduler on the shared job
    store (one job store must not be shared by several running schedulers); the others wait in
    standby and take over when the leader stops or dies (lease expiry or dead pid). The crawl
    itself additionally runs under the ``crawl`` lock.
    """

    def __init__(
        self, runner: CrawlRunner, schedule: ScheduleSettings, jobs_db: Path, runner_name: str = "default"
    ) -> None:
        self.runner = runner
        self.schedule = schedule
        self.trigger = build_trigger(schedule)
        self.jobs_db = jobs_db
        self.runner_name = runner_name
        self.role = "stopped"
        self.scheduler: BackgroundScheduler | None = None
        self._db = open_db(runner.db_path)
        self.leader_lock = DbLock(self._db, "scheduler", schedule.lock_lease_seconds, on_lost=self._lost)
        self._stop = threading.Event()
        self._standby: threading.Thread | None = None
        self._mutex = threading.Lock()

    def _new_scheduler(self) -> BackgroundScheduler:
        return BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{self.jobs_db}")},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.schedule.misfire_grace_seconds,
            },
            timezone=self.trigger.timezone,
        )

    def start(self) -> None:
        """Lead now if no other live service leads, else wait in standby (a background thread)."""
        _RUNNERS[self.runner_name] = self.runner
        self._stop.clear()
        if not self._try_lead():
            self.role = "standby"
            held = self.leader_lock.current() or {}
            log.warning("scheduler in standby: %s runs the schedule", held.get("holder"))
            self._standby = threading.Thread(target=self._wait_to_lead, name="scheduler-standby", daemon=True)
            self._standby.start()

    def _wait_to_lead(self) -> None:
        while not self._stop.wait(max(0.2, self.schedule.lock_lease_seconds / 3)):
            if self._try_lead():
                return

    def _try_lead(self) -> bool:
        with self._mutex:
            if self._stop.is_set():
                return False
            info = self.leader_lock.acquire()
            if info is None:
                return False
            if info.taken_over:
                log.warning("scheduler leadership taken over from %s", info.taken_over)
            self.scheduler = self._new_scheduler()
            self.scheduler.start(paused=True)
            job = self.scheduler.get_job(JOB_ID)
            if job is not None and str(job.trigger) == str(self.trigger) and job.args == (self.runner_name,):
                log.info("keeping the stored crawl job (next run %s)", job.next_run_time)
            else:
                self.scheduler.add_job(
                    scheduled_crawl,
                    trigger=self.trigger,
                    args=[self.runner_name],
                    id=JOB_ID,
                    name="crawl",
                    replace_existing=True,
                )
            self.scheduler.resume()
            self.role = "leader"
            log.warning("this service runs the crawl schedule (next run %s)", self.next_run_time)
            return True

    def _lost(self) -> None:
        with self._mutex:
            if self.scheduler and self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            self.scheduler = None
            self.role = "standby"
        if not self._stop.is_set():
            self._standby = threading.Thread(target=self._wait_to_lead, name="scheduler-standby", daemon=True)
            self._standby.start()

    @property
    def next_run_time(self) -> datetime | None:
        sched = self.scheduler
        if sched is None or not sched.running:
            return None
        job = sched.get_job(JOB_ID)
        return job.next_run_time if job else None

    @property
    def running(self) -> bool:
        """True while this service leads or stands by (it is part of the schedule)."""
        return self.role in ("leader", "standby")

    def shutdown(self, wait_seconds: float = 60.0) -> None:
        """Stop firing, ask a running crawl to stop at a safe point, wait for it, hand leadership back."""
        self._stop.set()
        self.runner.stop()
        with self._mutex:
            if self.scheduler and self.scheduler.running:
                self.scheduler.shutdown(wait=False)
        if not self.runner.idle.is_set():
            log.warning("waiting for the running crawl to stop at a safe point")
            if not self.runner.idle.wait(wait_seconds):
                log.error("the crawl did not stop within %gs; its lock lease will expire", wait_seconds)
        if self._standby:
            self._standby.join(timeout=5)
        if self.role == "leader":
            self.leader_lock.release()
        self.role = "stopped"
        _RUNNERS.pop(self.runner_name, None)
