"""`newswatch run` as a real process on 127.0.0.1: on-demand ingestion, refusals, auth, the read
endpoints, the Slack slash command and a clean SIGTERM shutdown."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner
from slack_sdk.signature import SignatureVerifier

from newswatch.commands import cli
from tests.support.service import PAGES, FixtureSite, ServiceProcess, make_config
from tests.support.slack_server import SlackServer

SEED = "xiaomi-blacklist-award.html"
SECRET = "slack-signing-secret-for-tests"


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with FixtureSite("127.0.0.2") as s:
        yield s


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, site: FixtureSite, slack: SlackServer
) -> Iterator[ServiceProcess]:
    tmp = tmp_path_factory.mktemp("svc")
    # only the fixture site's address is allowlisted: 127.0.0.1 is not
    config = make_config(tmp / "config", service={"allow": ["127.0.0.2/32:*"], "dedupe_seconds": 600})
    site.redirects.update(
        {
            "/to-private": "http://10.0.0.1/admin",
            "/to-loopback": f"http://127.0.0.1:9/{SEED}",
            "/to-metadata": "http://169.254.169.254/latest/meta-data/",
            "/to-seed": f"/{SEED}",
        }
    )
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.base_url,
        "SLACK_CHANNEL": "#risk-test",
        "SLACK_SIGNING_SECRET": SECRET,
    }
    svc = ServiceProcess(config, tmp / "newswatch.db", tmp / "service.log", env=env, args=["--no-scheduler"])
    svc.wait_ready()
    yield svc
    svc.stop()


def test_ingest_of_a_fixture_page_returns_findings_like_the_cli(
    service: ServiceProcess, site: FixtureSite, tmp_path: Path
) -> None:
    url = f"{site.base}/{SEED}"
    row = service.ingest_and_wait(url)
    assert row["state"] == "done", row
    result = row["result"]
    ties = {(f["entity"], f["tie"]) for f in result["findings"]}
    assert ("Xiaomi Corporation", "blacklist") in ties and ("Lei Jun", "award") in ties, ties
    assert result["alerts"], "the findings raise alerts"
    # the same JSON as `newswatch ingest --json` for the same page and URL
    out = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "cli.db"), "ingest", "--html", str(PAGES / SEED), "--url", url, "--json"]
    )
    assert out.exit_code == 0, out.output
    cli_json = json.loads(out.stdout)
    assert set(result) == set(cli_json)
    for key in ("article", "entities", "findings"):
        assert result[key] == cli_json[key], key
    assert [a["key"] for a in result["alerts"]] == [a["key"] for a in cli_json["alerts"]]
    # the article is readable through the API
    art = service.client.get(f"/articles/{row['article_id']}").json()
    assert art["findings"] == result["findings"] and art["source_kind"] == "on-demand"


def test_same_url_within_the_window_returns_the_first_request(service: ServiceProcess, site: FixtureSite) -> None:
    url = f"{site.base}/{SEED}?again"
    first = service.client.post("/ingest", json={"url": url})
    second = service.client.post("/ingest", json={"url": url})
    assert first.status_code == 202 and second.status_code == 200
    assert second.json()["id"] == first.json()["id"] and second.json()["duplicate"] is True
    assert service.wait_request(first.json()["id"])["state"] == "done"


@pytest.mark.parametrize(
    "url,why",
    [
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("http://127.0.0.1:{port}/" + SEED, "127.0.0.1 is a loopback address"),
        ("http://localhost:{port}/" + SEED, "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://10.0.0.1/", "private address"),
        ("gopher://127.0.0.2/", "scheme 'gopher'"),
    ],
)
def test_unsafe_urls_are_refused_at_once(service: ServiceProcess, site: FixtureSite, url: str, why: str) -> None:
    url = url.format(port=site.httpd.server_address[1])
    r = service.client.post("/ingest", json={"url": url})
    assert r.status_code == 400, r.text
    assert why in r.json()["error"] and "refused" in r.json()["error"]


@pytest.mark.parametrize(
    "path,why",
    [
        ("/to-private", r"10.0.0.1 is a private address"),
        ("/to-loopback", "127.0.0.1 is a loopback address"),
        ("/to-metadata", "cloud metadata"),
    ],
)
def test_redirect_to_a_private_address_is_refused(
    service: ServiceProcess, site: FixtureSite, path: str, why: str
) -> None:
    row = service.ingest_and_wait(site.base + path)
    assert row["state"] == "failed" and why in row["error"], row
    assert "result" not in row


def test_a_good_redirect_is_followed(service: ServiceProcess, site: FixtureSite) -> None:
    row = service.ingest_and_wait(site.base + "/to-seed")
    assert row["state"] == "done" and row["result"]["findings"]


@pytest.mark.parametrize(
    "headers,why",
    [
        ({}, "missing bearer token"),
        ({"Authorization": "Bearer wrong-token"}, "invalid bearer token"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, "missing bearer token"),
    ],
)
@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/ingest"),
        ("GET", "/ingest/1"),
        ("GET", "/alerts"),
        ("GET", "/articles/1"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
    ],
)
def test_unauthenticated_calls_are_refused(
    service: ServiceProcess, headers: dict[str, str], why: str, method: str, path: str
) -> None:
    r = httpx.request(method, service.url + path, headers=headers, json={"url": "https://example.com/"})
    assert r.status_code == 401 and why in r.json()["error"]
    assert r.headers["www-authenticate"] == "Bearer"


def test_health_without_a_token_says_only_alive_and_a_wrong_token_is_refused(service: ServiceProcess) -> None:
    r = httpx.get(service.url + "/health")
    assert r.status_code == 200 and r.json() == {"status": "alive"}  # liveness: no data without a token
    r = httpx.get(service.url + "/health", headers={"Authorization": "Bearer wrong-token"})
    assert r.status_code == 401 and "invalid bearer token" in r.json()["error"]
    full = service.client.get("/health").json()
    assert full["status"] == "ok" and "db" in full and "worker" in full


def test_every_error_is_json_and_docs_are_served(service: ServiceProcess) -> None:
    r = service.client.get("/no-such-path")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    assert r.json() == {"error": "Not Found"}
    r = service.client.delete("/alerts")
    assert r.status_code == 405 and r.json() == {"error": "Method Not Allowed"} and "GET" in r.headers["allow"]
    docs = httpx.get(service.url + "/docs")  # a page for people, no token needed
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "<code>POST /ingest</code>" in docs.text and "/openapi.json" in docs.text


@pytest.mark.parametrize(
    "body,why",
    [(b"not json", "not valid JSON"), (b"[1]", "JSON object"), (b'{"link": "x"}', "'url'"), (b'{"url": 5}', "'url'")],
)
def test_bad_bodies_get_one_line_errors(service: ServiceProcess, body: bytes, why: str) -> None:
    r = service.client.post("/ingest", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and why in r.json()["error"]


def test_unknown_request_and_article_are_404(service: ServiceProcess) -> None:
    assert service.client.get("/ingest/99999").status_code == 404
    assert service.client.get("/articles/99999").json() == {"error": "no article 99999"}


def test_alerts_health_metrics_and_openapi(service: ServiceProcess, site: FixtureSite, slack: SlackServer) -> None:
    service.ingest_and_wait(f"{site.base}/{SEED}")
    alerts = service.client.get("/alerts").json()["alerts"]
    assert alerts and {a["status"] for a in alerts} == {"sent"}, alerts
    assert any("Xiaomi" in m.get("text", "") for m in slack.messages)
    assert service.client.get("/alerts", params={"status": "bogus"}).status_code == 400
    health = service.client.get("/health").json()
    assert health["db"]["ok"] and health["worker"]["alive"] and health["status"] == "ok", health
    metrics = service.client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    types = dict(ln.split()[2:4] for ln in text.splitlines() if ln.startswith("# TYPE "))
    # states are gauges (they go down), counters only for what only grows
    for name, kind in {
        "newswatch_alerts": "gauge",
        "newswatch_pages_failed": "gauge",
        "newswatch_oldest_pending_alert_age_seconds": "gauge",
        "newswatch_last_crawl_success_timestamp_seconds": "gauge",
        "newswatch_last_crawl_duration_seconds": "gauge",
        "newswatch_ingest_queue_depth": "gauge",
        "newswatch_source_broken": "gauge",
        "newswatch_articles_stored_total": "counter",
        "newswatch_pages_fetched_total": "counter",
        "newswatch_findings_total": "counter",
        "newswatch_notifications_sent_total": "counter",
        "newswatch_build_info": "gauge",  # an Info metric, exposed as a gauge of 1
        "process_resident_memory_bytes": "gauge",  # the default process collector
    }.items():
        assert types.get(name) == kind, (name, types.get(name))
    samples = {ln.rsplit(" ", 1)[0]: float(ln.rsplit(" ", 1)[1]) for ln in text.splitlines() if ln[:1] != "#"}
    assert (
        samples['newswatch_alerts{status="sent"}'] == len(alerts) and samples['newswatch_alerts{status="pending"}'] == 0
    )
    assert samples['newswatch_notifications_sent_total{kind="alert"}'] == len(alerts)
    assert samples["newswatch_articles_stored_total"] >= 1
    assert any(k.startswith('newswatch_build_info{version="') for k in samples)
    spec = service.client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ("/ingest", "/ingest/{id}", "/alerts", "/articles/{id}", "/health", "/metrics", "/slack/commands"):
        assert path in spec["paths"], path
    assert spec["paths"]["/slack/commands"]["post"]["security"] == []


def _signed(body: str, secret: str = SECRET, ts: int | None = None) -> dict[str, str]:
    ts = ts or int(time.time())
    sig = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _command(text: str, channel: str = "C123") -> str:
    return urlencode(
        {
            "command": "/newswatch",
            "text": text,
            "channel_id": channel,
            "user_id": "U1",
            "response_url": "https://hooks.slack.com/commands/T1/1/abc",
        }
    )


def test_slack_command_ingests_and_answers_in_the_channel(
    service: ServiceProcess, site: FixtureSite, slack: SlackServer
) -> None:
    url = f"{site.base}/{SEED}?slack"
    body = _command(f"ingest <{url}>", channel="CSLASH")
    r = httpx.post(service.url + "/slack/commands", content=body, headers=_signed(body))  # no bearer token
    assert r.status_code == 200 and "Queued" in r.json()["text"], r.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answers = [m for m in slack.messages if m.get("channel") == "CSLASH"]
        if answers:
            break
        time.sleep(0.1)
    assert answers, service.log()
    assert "finding(s)" in answers[0]["text"] and "Xiaomi" in answers[0]["text"]


def test_slack_command_refusals(service: ServiceProcess) -> None:
    body = _command("ingest http://169.254.169.254/")
    r = httpx.post(service.url + "/slack/commands", content=body, headers=_signed(body))
    assert r.status_code == 200 and "Not queued" in r.json()["text"] and "metadata" in r.json()["text"]
    body = _command("frobnicate")
    assert "Usage" in httpx.post(service.url + "/slack/commands", content=body, headers=_signed(body)).json()["text"]
    body = _command("ingest https://example.com/")
    bad = httpx.post(service.url + "/slack/commands", content=body, headers=_signed(body, secret="wrong"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid Slack signature"
    stale = httpx.post(service.url + "/slack/commands", content=body, headers=_signed(body, ts=int(time.time()) - 3600))
    assert stale.status_code == 401


def test_sigterm_stops_the_service_cleanly(tmp_path: Path, site: FixtureSite) -> None:
    config = make_config(tmp_path / "config", service={"allow": ["127.0.0.2/32:*"]})
    svc = ServiceProcess(config, tmp_path / "nw.db", tmp_path / "svc.log", args=["--no-scheduler"])
    svc.wait_ready()
    assert svc.ingest_and_wait(f"{site.base}/{SEED}")["state"] == "done"
    assert svc.stop() == 0, svc.log()
    log = svc.log()
    assert "shutting down" in log and "stopped cleanly" in log and "Traceback" not in log, log


def test_run_refuses_to_start_without_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSWATCH_API_TOKEN", raising=False)
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "run", "--port", "0"])
    assert r.exit_code == 2 and "NEWSWATCH_API_TOKEN" in r.output and "missing" in r.output
