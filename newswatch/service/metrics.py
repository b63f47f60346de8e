"""``GET /metrics``: Prometheus metrics read from the database at scrape time, so the crawl
child's and the CLI's work counts too.

Conventions: states are gauges (alerts by status, failed URLs, sources broken), counters only for
things that only grow (pages fetched by source and outcome, notifications sent), timestamps in
seconds (``newswatch_last_crawl_success_timestamp_seconds``), ``newswatch_build_info``, and the
default process, platform and GC collectors beside them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric

from ..alerts.duration import from_iso
from ..alerts.health import source_health
from ..store import metric_counts, operating_metrics
from .ingest import IngestQueue


class DbCollector:
    """Articles, failures, findings and alerts from the database; the ingest queue's depth."""

    def __init__(self, ingest: IngestQueue) -> None:
        self.ingest = ingest

    def collect(self) -> Iterator[Metric]:
        with self.ingest.db_lock:
            n = metric_counts(self.ingest.db)
            ops = operating_metrics(self.ingest.db)
            sources = source_health(self.ingest.db)
        c = CounterMetricFamily("newswatch_articles_stored", "Articles stored (crawl and on-demand)")
        c.add_metric([], n["articles"])
        yield c
        pages = CounterMetricFamily(
            "newswatch_pages_fetched", "Pages the crawl handled, by source and outcome", labels=["source", "outcome"]
        )
        for row in ops["pages"]:
            for outcome in ("new", "updated", "unchanged", "failed", "skipped"):
                pages.add_metric([row["source"], outcome], row[outcome] or 0)
        yield pages
        g = GaugeMetricFamily("newswatch_pages_failed", "Pages failed now (not yet fetched again)", labels=["stage"])
        g.add_metric(["extract"], n["extract_failed"])
        g.add_metric(["crawl_fetch"], n["crawl_failed"])
        g.add_metric(["ingest"], n["ingest"].get("failed", 0))
        yield g
        c = CounterMetricFamily("newswatch_findings", "Findings stored")
        c.add_metric([], n["findings"])
        yield c
        g = GaugeMetricFamily("newswatch_alerts", "Alerts by status now", labels=["status"])
        for status in ("pending", "sending", "sent", "failed", "silenced"):
            g.add_metric([status], n["alerts"].get(status, 0))
        yield g
        c = CounterMetricFamily("newswatch_notifications_sent", "Slack messages delivered", labels=["kind"])
        for kind, count in ops["sent"].items():
            c.add_metric([kind], count)
        yield c
        oldest = from_iso(ops["oldest_pending_at"])
        g = GaugeMetricFamily("newswatch_oldest_pending_alert_age_seconds", "Age of the oldest undelivered alert")
        g.add_metric([], max(0.0, time.time() - oldest) if oldest else 0.0)
        yield g
        last = ops["last_crawl"]
        end, start = (from_iso(last["ended_at"]), from_iso(last["started_at"])) if last else (None, None)
        g = GaugeMetricFamily("newswatch_last_crawl_success_timestamp_seconds", "End of the last finished crawl")
        g.add_metric([], end or 0.0)
        yield g
        g = GaugeMetricFamily("newswatch_last_crawl_duration_seconds", "How long the last finished crawl took")
        g.add_metric([], (end - start) if end and start else 0.0)
        yield g
        yield InfoMetricFamily("newswatch_build", "newswatch build", value={"version": _version()})
        yield from source_metrics(sources)
        g = GaugeMetricFamily("newswatch_ingest_queue_depth", "On-demand ingest requests waiting or running")
        g.add_metric([], self.ingest.depth())
        yield g


def source_metrics(rows: list[dict[str, Any]]) -> Iterator[Metric]:
    """Source health (``alerts/health.py`` rows) as gauges: broken or not, bad runs in a row, the
    last judged run's pages by outcome."""
    broken = GaugeMetricFamily("newswatch_source_broken", "1 while a source is broken", labels=["source"])
    bad = GaugeMetricFamily("newswatch_source_bad_runs", "Broken runs in a row per source", labels=["source"])
    pages = GaugeMetricFamily(
        "newswatch_source_last_run_pages", "Pages of the source's last run by outcome", labels=["source", "outcome"]
    )
    for row in rows:
        broken.add_metric([row["source"]], 1 if row["state"] == "broken" else 0)
        bad.add_metric([row["source"]], row["bad_runs"] or 0)
        for outcome in ("found", "fetched", "stored", "failed"):
            pages.add_metric([row["source"], outcome], row[outcome])
    yield broken
    yield bad
    yield pages


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newswatch")
    except PackageNotFoundError:
        return "unknown"
