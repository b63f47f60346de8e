"""The on-demand queue and the API when storage, callers and URLs misbehave: leases take back
stuck requests, two workers never run one request, one caller cannot fill the queue, health
answers during storage trouble, and malformed input gets a 400 with the reason, not a 500."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from newswatch.alerts.sinks import TerminalSink
from newswatch.config import Settings, load_settings
from newswatch.errors import ConfigError, FetchError
from newswatch.pipeline import Pipeline
from newswatch.service.app import ServiceState, build_app
from newswatch.service.ingest import IngestQueue, QueueFull
from newswatch.service.ssrf import SsrfRefused, UrlGuard, safe_fetch
from newswatch.store import open_db
from tests.e2e.test_bad_input import assert_one_line_error, run_cli
from tests.support.paths import CONFIG
from tests.support.service import FixtureSite, make_config, serve_app

SEED = "xiaomi-blacklist-award.html"
ALLOW = ["127.0.0.2/32:*"]


def _settings(**service: object) -> Settings:
    base = load_settings(CONFIG)
    return base.model_copy(update={"service": base.service.model_copy(update={"allow": ALLOW, **service})})


def _queue(db_path: Path, settings: Settings, pipeline: Pipeline | None = None) -> IngestQueue:
    return IngestQueue(db_path, settings, pipeline, TerminalSink, UrlGuard(allow=settings.service.allow))  # type: ignore[arg-type]


def _row(db: Path, rid: int) -> dict:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return dict(con.execute("select * from ingest_requests where id = ?", [rid]).fetchone())
    finally:
        con.close()


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline.from_config(CONFIG)


def _hold_write_lock(db: Path, seconds: float) -> subprocess.Popen:
    """Another process takes the SQLite write lock and keeps it for ``seconds``."""
    code = (
        "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(float(sys.argv[2])); c.execute('COMMIT')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def _stuck_by_a_storage_fault(tmp_path: Path, pipeline: Pipeline, attempts: int) -> tuple[IngestQueue, Path, int, str]:
    """A request whose outcome could not be written (the write lock held past the busy timeout)."""
    db_path = tmp_path / "n.db"
    q = _queue(db_path, _settings(ingest_lease_seconds=1.0, ingest_attempts=attempts), pipeline)
    worker_db = open_db(db_path)
    worker_db.execute("pragma busy_timeout = 300")  # the worker gives up on a lock after 0.3 s
    # the page answers after 3 s, so the lock is taken while it is fetched even on a loaded machine
    # (starting the holder process can take over a second there), and held 6 s past any parse
    with FixtureSite("127.0.0.2", delay=3.0) as site:
        url = f"{site.base}/{SEED}"
        rid = q.submit(url).id
        worker = threading.Thread(target=q.run_one, args=(worker_db, rid))
        worker.start()
        deadline = time.monotonic() + 10
        while _row(db_path, rid)["state"] != "running" and time.monotonic() < deadline:
            time.sleep(0.02)
        holder = _hold_write_lock(db_path, 6.0)  # taken while the page is being fetched
        worker.join(30)
        holder.wait(30)
    return q, worker_db, rid, url


def test_a_request_whose_outcome_could_not_be_stored_is_taken_back_and_retried(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    q, db, rid, url = _stuck_by_a_storage_fault(tmp_path, pipeline, attempts=3)
    row = _row(tmp_path / "n.db", rid)
    assert row["state"] == "running" and row["attempts"] == 1, row  # stuck: nothing recorded
    time.sleep(1.1)  # its lease runs out
    again = q.submit(url)
    assert not again.duplicate and again.id != rid, "an abandoned request does not hold its URL"
    assert q.reclaim(db) == 1
    row = _row(tmp_path / "n.db", rid)
    assert row["state"] == "queued" and "database is locked" in row["error"], row
    with FixtureSite("127.0.0.2") as site:
        db.table("ingest_requests").update(rid, {"url": f"{site.base}/{SEED}"})  # the same page, served again
        q.run_one(db, rid)
    row = _row(tmp_path / "n.db", rid)
    assert row["state"] == "done" and row["attempts"] == 2 and row["article_id"], row


def test_a_request_that_keeps_failing_to_be_stored_fails_with_its_reason(tmp_path: Path, pipeline: Pipeline) -> None:
    q, db, rid, _ = _stuck_by_a_storage_fault(tmp_path, pipeline, attempts=1)
    time.sleep(1.1)
    q.reclaim(db)
    row = _row(tmp_path / "n.db", rid)
    assert row["state"] == "failed", row
    assert row["error"].startswith("gave up after 1 attempt(s): OperationalError: database is locked"), row


def test_two_workers_never_run_the_same_request(tmp_path: Path) -> None:
    db_path = tmp_path / "n.db"
    settings = _settings()
    first, second = _queue(db_path, settings), _queue(db_path, settings)
    rid = first.submit("http://127.0.0.2:1/a").id
    db1, db2 = open_db(db_path), open_db(db_path)
    assert first._claim(db1, rid) is True
    assert second._claim(db2, rid) is False, "a request running under a live lease is not taken"
    assert second.reclaim(db2) == 0 and _row(db_path, rid)["state"] == "running"


def test_one_caller_cannot_fill_the_queue(tmp_path: Path) -> None:
    q = _queue(tmp_path / "n.db", _settings(max_queue_per_caller=3))
    for i in range(3):
        q.submit(f"http://127.0.0.2:1/p{i}", origin="slack:C1")
    with pytest.raises(QueueFull, match="3 requests from this caller are already waiting"):
        q.submit("http://127.0.0.2:1/p3", origin="slack:C1")
    assert not q.submit("http://127.0.0.2:1/p4", origin="api").duplicate  # others still get in


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, Path, httpx.Client]]:
    settings = _settings()
    db_path = tmp_path / "n.db"
    state = ServiceState(settings, db_path, ingest=_queue(db_path, settings))
    token = "hardening-token-0123456789"
    with serve_app(build_app(state, token)) as url:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=20) as client:
            yield url, db_path, client


def test_health_answers_at_once_and_says_degraded_while_the_database_is_locked(api) -> None:  # noqa: ANN001
    _, db_path, client = api
    holder = _hold_write_lock(db_path, 8.0)
    try:
        t0 = time.monotonic()
        r = client.get("/health")
        took = time.monotonic() - t0
    finally:
        holder.wait(30)
    assert took < 5.0, took
    body = r.json()
    assert r.status_code == 503 and body["status"] == "degraded"
    assert "cannot be written" in body["db"]["error"], body


@pytest.mark.parametrize(
    "body,why",
    [
        (json.dumps({"url": "http://[::1/"}), "not a valid URL"),
        (json.dumps({"url": "http://127.0.0.2/\ud800"}), "not a valid URL"),
        (json.dumps({"url": "http://127.0.0.2/\r\nX-Injected: 1"}), "control characters"),
        ('{"url": 1' + "9" * 5000 + "}", "not valid JSON"),
        ('{"url": ' + "[" * 50_000 + "]" * 50_000 + "}", "not valid JSON"),
    ],
)
def test_malformed_urls_and_bodies_get_a_400_with_the_reason(api, body: str, why: str) -> None:  # noqa: ANN001
    _, _, client = api
    r = client.post(
        "/ingest", content=body.encode("utf-8", "surrogatepass"), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and why in r.json()["error"], r.text


def test_ids_beyond_what_sqlite_holds_are_404(api) -> None:  # noqa: ANN001
    _, _, client = api
    for path in ("/ingest/9223372036854775808", "/articles/99999999999999999999999", "/ingest/-1"):
        assert client.get(path).status_code == 404, path


def test_the_cli_guards_ingested_urls_and_names_a_bad_one_in_one_line(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("--db", str(tmp_path / "x.db"), "ingest", "http://[::1/"), "not a valid URL")
    proc = run_cli("--db", str(tmp_path / "x.db"), "ingest", "http://127.0.0.1:9/admin")
    assert_one_line_error(proc, "127.0.0.1 is a loopback address", "service.allow")


def test_allow_entries_name_a_port_and_never_open_link_local_addresses() -> None:
    guard = UrlGuard(allow=["127.0.0.1:8080", "localhost:*", "169.254.0.0/16:*"])
    assert guard.check("http://127.0.0.1:8080/x") == ["127.0.0.1"]
    with pytest.raises(SsrfRefused, match="loopback"):
        guard.check("http://127.0.0.1:8081/x")  # another port of the same host
    with pytest.raises(SsrfRefused, match="cloud metadata"):
        guard.check("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(SsrfRefused, match="link-local"):
        UrlGuard(allow=["meta.test:*"], resolver=lambda h, p: ["169.254.169.254"]).check("http://meta.test/")


def test_an_allow_entry_without_a_port_is_a_config_error(tmp_path: Path) -> None:
    cfg = make_config(tmp_path / "config", service={"allow": ["127.0.0.2/32"]})
    with pytest.raises(ConfigError, match=r"service\.allow.*names no port"):
        load_settings(cfg)


def test_refusals_do_not_tell_dns_answers_or_echo_the_url() -> None:
    with pytest.raises(SsrfRefused) as err:
        UrlGuard(resolver=lambda h, p: ["10.9.8.7"]).check("http://intranet.example/secret-path?token=abc")
    text = str(err.value)
    assert "intranet.example resolves to a private address" in text
    assert "10.9.8.7" not in text and "secret-path" not in text and "token" not in text


def test_a_redirect_to_a_data_url_fails_with_its_reason() -> None:
    with FixtureSite("127.0.0.2", redirects={"/to-data": "data:text/html,hi"}) as site:
        with pytest.raises(FetchError, match="cannot be fetched|only http"):
            safe_fetch(f"{site.base}/to-data", load_settings(CONFIG).fetch, UrlGuard(allow=ALLOW), 10)
