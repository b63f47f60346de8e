"""``GET /metrics``: Prometheus metrics read from the database at scrape time, so the crawl
child's work counts too."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..store import metric_counts
from .ingest import IngestQueue


class DbCollector:
    """Articles, failures, findings and alerts from the database; the ingest queue's depth."""

    def __init__(self, ingest: IngestQueue) -> None:
        self.ingest = ingest

    def collect(self) -> Iterator[Metric]:
        with self.ingest.db_lock:
            n = metric_counts(self.ingest.db)
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
        g = GaugeMetricFamily("newswatch_ingest_queue_depth", "On-demand ingest requests waiting or running")
        g.add_metric([], self.ingest.depth())
        yield g
