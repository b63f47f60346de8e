"""The page stream: fetched pages on a Redis Stream for page workers on any machine, one committer.

With ``crawl.page_queue: redis`` (sources.yaml) the way of a page is::

    crawl process  XADD {prefix}:pages                    (waits while the stream is full)
    newswatch worker  XREADGROUP group "workers"          (or XAUTOCLAIM a dead worker's pages)
                   Pipeline.prepare_many, then ONE Redis transaction (MULTI/EXEC):
                   XADD each result to {prefix}:prepared, XACK + XDEL its pages
    committer      XREADGROUP group "committer"           (its own unacknowledged entries first)
                   pipeline.commit (one SQL transaction), booked, then XACK + XDEL

Each hop acknowledges only once the next one holds the page durably, so a page is always in
exactly one place: waiting, held by a worker (pending in the group), handed on, or stored. A
worker that dies leaves its pages pending; after ``scale.claim_after_seconds`` another worker
takes them over (XAUTOCLAIM). Delivery is at least once; the committer makes it exactly once
(``pipeline.commit`` looks the article up inside its transaction: the same canonical URL and
content hash is stored once, and raises no alert twice). A page that took down
``scale.max_deliveries`` workers is booked failed instead of killing more.

Entries are plain fields and JSON (never pickle: whoever can write to Redis must not be able to
run code in a worker). Acknowledged entries are deleted, so a stream's length is what is still
to do there; that length is the back-pressure: crawlers wait while ``{prefix}:pages`` holds
``scale.max_queued_pages``, workers while ``{prefix}:prepared`` holds ``scale.max_prepared``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import redis

from ..config import ScaleSettings
from ..models import AlertDraft, Article, Decision, FetchedPage, Finding, Mention, Prepared

log = logging.getLogger(__name__)

WORKERS_GROUP = "workers"
COMMITTER_GROUP = "committer"
STATS_TTL_SECONDS = 7 * 24 * 3600  # a worker's throughput counters outlive it by a week


def connect(settings: ScaleSettings) -> redis.Redis:
    """A Redis client for ``settings`` (bytes in, bytes out: page bodies are binary)."""
    return redis.Redis.from_url(settings.url(), socket_timeout=30, health_check_interval=30)


@dataclass(frozen=True)
class Keys:
    """Every Redis key of one deployment, under its ``scale.key_prefix``."""

    prefix: str

    @property
    def pages(self) -> str:
        return f"{self.prefix}:pages"

    @property
    def prepared(self) -> str:
        return f"{self.prefix}:prepared"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"  # set of worker names that reported

    def worker(self, name: str) -> str:
        return f"{self.prefix}:worker:{name}"  # hash: pages, busy_seconds, last_seen

    @property
    def committer_lock(self) -> str:
        return f"{self.prefix}:committer-lock"


# -- the codec: plain fields and JSON ------------------------------------------------------------


def page_fields(page: FetchedPage, run_id: int | None) -> dict[str, bytes | str]:
    """A fetched page as stream fields: its body as is (binary-safe), the rest as JSON."""
    meta = {k: v for k, v in asdict(page).items() if k != "body"}
    return {"meta": json.dumps({**meta, "run_id": run_id}), "body": page.body}


def page_from_fields(fields: dict[bytes, bytes]) -> tuple[FetchedPage, int | None]:
    """:func:`page_fields` read back: the page and the crawl run it belongs to."""
    meta = json.loads(fields[b"meta"])
    run_id = meta.pop("run_id", None)
    return FetchedPage(body=fields.get(b"body", b""), **meta), run_id


NESTED = ("page", "article", "mentions", "decided", "drafts")  # the Prepared fields that hold dataclasses


def prepared_to_json(prepared: Prepared) -> str:
    """A :class:`Prepared` as JSON, without the page body (the committer stores what was read).
    A draft names its finding by position in ``decided``: the committer needs the same objects.
    Every other field (plain data) goes as it is, so a field added to Prepared travels too."""
    index = {id(f): i for i, (f, _) in enumerate(prepared.decided)}
    data = {f.name: getattr(prepared, f.name) for f in fields(Prepared) if f.name not in NESTED}
    data |= {
        "page": {k: v for k, v in asdict(prepared.page).items() if k != "body"},
        "article": asdict(prepared.article),
        "mentions": [asdict(m) for m in prepared.mentions],
        "decided": [[asdict(f), asdict(d)] for f, d in prepared.decided],
        "drafts": [
            {"key": d.key, "decided": index[id(d.finding)], "text": d.text, "status": d.status} for d in prepared.drafts
        ],
    }
    return json.dumps(data, ensure_ascii=False)


def prepared_from_json(text: str | bytes) -> Prepared:
    """:func:`prepared_to_json` read back (drafts share their finding and decision objects)."""
    data = json.loads(text)
    decided = [(Finding(**f), Decision(**d)) for f, d in data["decided"]]
    drafts = []
    for d in data["drafts"]:
        finding, decision = decided[d["decided"]]
        drafts.append(AlertDraft(key=d["key"], finding=finding, decision=decision, text=d["text"], status=d["status"]))
    plain = {k: v for k, v in data.items() if k not in NESTED}
    return Prepared(
        page=FetchedPage(body=b"", **data["page"]),
        article=Article(**data["article"]),
        mentions=[Mention(**m) for m in data["mentions"]],
        decided=decided,
        drafts=drafts,
        **plain,
    )


# -- the two streams -----------------------------------------------------------------------------


@dataclass
class PageEntry:
    """A page read from the stream by a worker: entry id, the page, its crawl run, deliveries so far."""

    id: bytes
    page: FetchedPage
    run_id: int | None
    deliveries: int = 1


@dataclass
class PreparedEntry:
    """What the committer reads: a worker's result for one page (``prepared`` or ``error``)."""

    id: bytes
    source: str
    url: str
    http_status: int
    run_id: int | None
    prepared: Prepared | None
    error: str | None
    worker: str


@dataclass
class Handed:
    """A worker's outcome for one page, for :meth:`PageStream.hand_on`."""

    entry: PageEntry
    prepared: Prepared | None = None
    error: str | None = None


@dataclass
class StreamState:
    """The stream as ``/metrics`` shows it."""

    pages_waiting: int = 0  # not yet read by any worker
    pages_held: int = 0  # read by a worker, not yet handed on (pending in the group)
    oldest_page_age_seconds: float = 0.0  # since the oldest page still in the stream was queued
    longest_held_seconds: float = 0.0  # the oldest held page: since it was (last) delivered
    prepared_waiting: int = 0  # handed on, not yet stored by the committer
    workers: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> pages, busy_seconds, last_seen


class PageStream:
    """The page stream and the prepared stream of one deployment (see the module docstring)."""

    def __init__(self, client: redis.Redis, settings: ScaleSettings) -> None:
        # Any: redis-py types every reply as a union of its sync and async forms
        self.r: Any = client
        self.settings = settings
        self.keys = Keys(settings.key_prefix)

    def ensure_groups(self) -> None:
        """Create both streams and their consumer groups if missing (every role calls this first)."""
        for stream, group in ((self.keys.pages, WORKERS_GROUP), (self.keys.prepared, COMMITTER_GROUP)):
            try:
                self.r.xgroup_create(stream, group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    # -- crawler side

    def full(self) -> bool:
        """True while as many pages wait as ``scale.max_queued_pages``: the crawler waits."""
        return int(self.r.xlen(self.keys.pages)) >= self.settings.max_queued_pages

    def add(self, page: FetchedPage, run_id: int | None) -> bytes:
        """Queue one fetched page (never trimmed: back-pressure, not loss, bounds the stream)."""
        return bytes(self.r.xadd(self.keys.pages, page_fields(page, run_id)))

    # -- worker side

    def take(self, consumer: str, count: int, block_ms: int = 1000) -> list[PageEntry]:
        """Up to ``count`` pages for worker ``consumer``: first pages a silent worker has held for
        ``scale.claim_after_seconds`` (XAUTOCLAIM), else new ones (XREADGROUP, waiting ``block_ms``)."""
        claimed = self.r.xautoclaim(
            self.keys.pages,
            WORKERS_GROUP,
            consumer,
            min_idle_time=int(self.settings.claim_after_seconds * 1000),
            start_id="0-0",
            count=count,
        )
        entries = [(eid, fields) for eid, fields in claimed[1] if fields]
        if entries:
            counts = self._deliveries([eid for eid, _ in entries])
            log.warning("worker %s took over %d page(s) held by a silent worker", consumer, len(entries))
            return [self._page_entry(eid, fields, counts.get(bytes(eid), 2)) for eid, fields in entries]
        read = self.r.xreadgroup(WORKERS_GROUP, consumer, {self.keys.pages: ">"}, count=count, block=block_ms)
        out: list[PageEntry] = []
        for _stream, items in read or []:
            out += [self._page_entry(eid, fields, 1) for eid, fields in items if fields]
        return out

    def _deliveries(self, ids: list[bytes]) -> dict[bytes, int]:
        """How many times each pending entry was delivered (XPENDING's extended form)."""
        lo, hi = min(ids, key=_id_key), max(ids, key=_id_key)
        rows = self.r.xpending_range(self.keys.pages, WORKERS_GROUP, min=lo, max=hi, count=len(ids) * 4 + 10)
        return {bytes(row["message_id"]): int(row["times_delivered"]) for row in rows}

    @staticmethod
    def _page_entry(eid: bytes, fields: dict[bytes, bytes], deliveries: int) -> PageEntry:
        page, run_id = page_from_fields(fields)
        return PageEntry(id=bytes(eid), page=page, run_id=run_id, deliveries=deliveries)

    def prepared_full(self) -> bool:
        """True while the committer has ``scale.max_prepared`` pages to store: workers wait."""
        return int(self.r.xlen(self.keys.prepared)) >= self.settings.max_prepared

    def hand_on(self, consumer: str, results: list[Handed], busy_seconds: float) -> None:
        """Give a batch's results to the committer and acknowledge its pages, in ONE Redis
        transaction (nothing is lost or doubled by a worker dying half-way through this)."""
        pipe = self.r.pipeline(transaction=True)
        for h in results:
            page = h.entry.page
            fields: dict[str, str | int] = {
                "page_id": h.entry.id.decode(),
                "source": page.source,
                "url": page.url,
                "http_status": page.status,
                "run_id": "" if h.entry.run_id is None else h.entry.run_id,
                "worker": consumer,
            }
            if h.prepared is not None:
                fields["prepared"] = prepared_to_json(h.prepared)
            else:
                fields["error"] = h.error or "page worker returned nothing"
            pipe.xadd(self.keys.prepared, fields)
        ids = [h.entry.id for h in results]
        if ids:
            pipe.xack(self.keys.pages, WORKERS_GROUP, *ids)
            pipe.xdel(self.keys.pages, *ids)
        self._count(pipe, consumer, len(results), busy_seconds)
        pipe.execute()

    def heartbeat(self, consumer: str) -> None:
        """A worker says it is alive (also while idle): ``last_seen`` for ``/metrics``."""
        pipe = self.r.pipeline(transaction=True)
        self._count(pipe, consumer, 0, 0.0)
        pipe.execute()

    def _count(self, pipe: Any, consumer: str, pages: int, busy_seconds: float) -> None:
        key = self.keys.worker(consumer)
        pipe.sadd(self.keys.workers, consumer)
        pipe.hincrby(key, "pages", pages)
        pipe.hincrbyfloat(key, "busy_seconds", busy_seconds)
        pipe.hset(key, "last_seen", time.time())
        pipe.expire(key, STATS_TTL_SECONDS)
        pipe.expire(self.keys.workers, STATS_TTL_SECONDS)

    # -- committer side

    def take_prepared(self, consumer: str, count: int, block_ms: int = 1000) -> list[PreparedEntry]:
        """Results for the committer: those it read before and did not acknowledge (it died, or
        storing failed) first, then new ones (waiting ``block_ms``)."""
        read = self.r.xreadgroup(COMMITTER_GROUP, consumer, {self.keys.prepared: "0"}, count=count)
        items = [(eid, f) for _s, entries in read or [] for eid, f in entries if f]
        if not items:
            read = self.r.xreadgroup(COMMITTER_GROUP, consumer, {self.keys.prepared: ">"}, count=count, block=block_ms)
            items = [(eid, f) for _s, entries in read or [] for eid, f in entries if f]
        return [_prepared_entry(eid, f) for eid, f in items]

    def committed(self, ids: list[bytes]) -> None:
        """The committer stored (or booked) these: acknowledge and delete them."""
        if not ids:
            return
        pipe = self.r.pipeline(transaction=True)
        pipe.xack(self.keys.prepared, COMMITTER_GROUP, *ids)
        pipe.xdel(self.keys.prepared, *ids)
        pipe.execute()

    def committer_lock(self) -> Any:
        """The one-committer lease (redis-py's Lock; the committer renews it while it runs)."""
        return self.r.lock(self.keys.committer_lock, timeout=self.settings.committer_lease_seconds, blocking=False)

    # -- operations

    def state(self) -> StreamState:
        """Depth, age and per-worker counters for ``/metrics`` and the bench."""
        st = StreamState()
        length = int(self.r.xlen(self.keys.pages))
        try:
            pending = self.r.xpending(self.keys.pages, WORKERS_GROUP)
        except redis.ResponseError:  # no group yet: nothing was ever queued
            pending = {"pending": 0}
        st.pages_held = int(pending.get("pending") or 0)
        st.pages_waiting = max(0, length - st.pages_held)
        first = self.r.xrange(self.keys.pages, count=1)
        if first:
            queued_ms = int(bytes(first[0][0]).split(b"-")[0])
            st.oldest_page_age_seconds = max(0.0, time.time() - queued_ms / 1000)
        if st.pages_held:
            rows = self.r.xpending_range(self.keys.pages, WORKERS_GROUP, min="-", max="+", count=1)
            if rows:
                st.longest_held_seconds = int(rows[0]["time_since_delivered"]) / 1000
        st.prepared_waiting = int(self.r.xlen(self.keys.prepared))
        for raw in sorted(self.r.smembers(self.keys.workers)):
            name = raw.decode()
            h = self.r.hgetall(self.keys.worker(name))
            if h:
                st.workers[name] = {k.decode(): float(v) for k, v in h.items()}
        return st

    def drained(self) -> bool:
        """Nothing left anywhere: no page waiting or held, nothing to store."""
        return int(self.r.xlen(self.keys.pages)) == 0 and int(self.r.xlen(self.keys.prepared)) == 0


def _id_key(eid: bytes) -> tuple[int, int]:
    ms, _, seq = bytes(eid).partition(b"-")
    return int(ms), int(seq or 0)


def _prepared_entry(eid: bytes, f: dict[bytes, bytes]) -> PreparedEntry:
    run = f.get(b"run_id", b"")
    return PreparedEntry(
        id=bytes(eid),
        source=f[b"source"].decode(),
        url=f[b"url"].decode(),
        http_status=int(f.get(b"http_status", b"200")),
        run_id=int(run) if run else None,
        prepared=prepared_from_json(f[b"prepared"]) if b"prepared" in f else None,
        error=f[b"error"].decode() if b"error" in f else None,
        worker=f.get(b"worker", b"").decode(),
    )
