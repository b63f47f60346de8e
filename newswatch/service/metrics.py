"""``GET /metrics``: Prometheus metrics read from the database at scrape time, so the crawl
child's and the CLI's work counts too.

Conventions: states are gauges (alerts by status, failed URLs, sources broken), counters only for
things that only grow (pages fetched by source and outcome, notifications sent), timestamps in
seconds (``newswatch_last_crawl_success_timestamp_seconds``), ``newswatch_build_info``, and the
default process, platform and GC collectors beside them."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric

from ..alerts.duration import from_iso
from ..alerts.health import source_health
from ..store import metric_counts, operating_metrics
from .ingest import IngestQueue

if TYPE_CHECKING:  # redis is the optional `scale` extra: imported only when the stream is used
    from ..crawler.streams import PageStream

log = logging.getLogger(__name__)


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


class StreamCollector:
    """The Redis page stream (``crawl.page_queue: redis``), read from Redis at scrape time: depth,
    age, what the committer has still to store, and each worker's pages and busy seconds (their
    rate is its throughput). ``newswatch_page_stream_up`` is 0 while Redis cannot be read."""

    def __init__(self, stream: PageStream) -> None:
        self.stream = stream

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("newswatch_page_stream_up", "1 while the Redis page stream can be read")
        try:
            st = self.stream.state()
        except Exception as exc:  # noqa: BLE001 - Redis away: say so, keep the other metrics
            log.warning("page stream metrics: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        gauges = (
            ("newswatch_page_stream_waiting", "Fetched pages no worker has taken yet", st.pages_waiting),
            ("newswatch_page_stream_held", "Pages a worker holds (read, not yet handed on)", st.pages_held),
            (
                "newswatch_page_stream_oldest_age_seconds",
                "Since the oldest page still in the stream was queued",
                st.oldest_page_age_seconds,
            ),
            (
                "newswatch_page_stream_pending_age_seconds",
                "Since the oldest held page was given to its worker (taken over past scale.claim_after_seconds)",
                st.longest_held_seconds,
            ),
            (
                "newswatch_page_stream_prepared_waiting",
                "Prepared pages the committer has yet to store",
                st.prepared_waiting,
            ),
        )
        for name, doc, value in gauges:
            g = GaugeMetricFamily(name, doc)
            g.add_metric([], value)
            yield g
        pages = CounterMetricFamily("newswatch_worker_pages", "Pages a stream worker handed on", labels=["worker"])
        busy = CounterMetricFamily(
            "newswatch_worker_busy_seconds", "Seconds a stream worker spent preparing", labels=["worker"]
        )
        seen = GaugeMetricFamily(
            "newswatch_worker_last_seen_timestamp_seconds", "When a stream worker last reported", labels=["worker"]
        )
        for name, h in st.workers.items():
            pages.add_metric([name], h.get("pages", 0.0))
            busy.add_metric([name], h.get("busy_seconds", 0.0))
            seen.add_metric([name], h.get("last_seen", 0.0))
        yield pages
        yield busy
        yield seen


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
