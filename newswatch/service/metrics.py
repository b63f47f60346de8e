"""``GET /metrics``: Prometheus metrics read from the database at scrape time, so the crawl
child's work counts too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..alerts.health import source_health
from ..store import metric_counts
from .ingest import IngestQueue


class DbCollector:
    """Articles, failures, findings and alerts from the database; the ingest queue's depth."""

    def __init__(self, ingest: IngestQueue) -> None:
        self.ingest = ingest

    def collect(self) -> Iterator[Metric]:
        with self.ingest.db_lock:
            n = metric_counts(self.ingest.db)
            sources = source_health(self.ingest.db)
        c = CounterMetricFamily("newswatch_pages_fetched", "Pages fetched and stored (crawl and on-demand)")
        c.add_metric([], n["articles"])
        yield c
        c = CounterMetricFamily("newswatch_pages_failed", "Pages that failed", labels=["stage"])
        c.add_metric(["extract"], n["extract_failed"])
        c.add_metric(["crawl_fetch"], n["crawl_failed"])
        c.add_metric(["ingest"], n["ingest"].get("failed", 0))
        yield c
        c = CounterMetricFamily("newswatch_findings", "Findings stored")
        c.add_metric([], n["findings"])
        yield c
        c = CounterMetricFamily("newswatch_alerts", "Alerts by outcome", labels=["status"])
        for status in ("sent", "failed", "pending", "sending"):
            c.add_metric([status], n["alerts"].get(status, 0))
        yield c
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
