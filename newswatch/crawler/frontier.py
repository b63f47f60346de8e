"""The shared crawl frontier (``crawl.frontier: redis``): scrapy-redis' scheduler and dupefilter.

Every crawl process, on any machine, takes a source's requests from one queue in Redis
(``{prefix}:frontier:{source}:requests``) and checks one fingerprint set for all sources
(``{prefix}:frontier:seen``): an index page or article found by two crawlers (or by two sources)
is fetched once, by whichever pops it first. What this adds to scrapy-redis:

- **Rounds.** The fingerprint set lives as long as one crawl *round*: while at least one crawl
  process runs (each of its spiders holds a lease in ``{prefix}:frontier:crawlers``, renewed every
  few seconds). The first spider of a round starts from an empty set, the last one out deletes
  it; a source's queue is emptied when a spider opens it and no live one works on it. Across
  rounds the database is the memory (``IncrementalMiddleware``: a stored URL is never fetched
  again).
- **In flight.** A request taken from the queue is recorded, in the same Redis script, in the
  taker's in-flight hash (``{prefix}:frontier:inflight:{host}:{pid}:{source}``) until it leaves
  the downloader (answered or failed). When a crawler stops renewing its lease (killed), a crawler
  of the same source still in the round waits for the lease to run out
  (``scale.crawler_lease_seconds``) and puts those requests back into the queue: it fetches them
  in the same round. A page already downloaded but not yet handed on when its crawler died is not
  stored, so the next round fetches it.
- **Sharing.** A spider with nothing to do stays open while its source's queue has requests or
  another crawler of the source took one in the last ``ACTIVE_GRACE_SECONDS`` (it may queue more),
  as scrapy-redis' own spiders wait on their queue.
- **Our requests are deduplicated although newswatch marks them ``dont_filter``** (which keeps
  Scrapy's own dupefilter out of the local mode); retries and redirect hops pass, as locally.
- **Canonical URLs**: an article's fingerprint is taken on its canonical URL, as the database keys it.
- **JSON, not pickle**, in the queue: whoever can write to Redis cannot run code in a crawler.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import socket
import time
from typing import Any

from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from ..config import ScaleSettings
from ..urls import canonicalize

log = logging.getLogger(__name__)

ACTIVE_GRACE_SECONDS = 10.0  # an idle crawler stays open while another took a request this recently


def scrapy_settings(scale: ScaleSettings) -> dict[str, Any]:
    """Scrapy settings that put the scheduler's queue and fingerprints in Redis."""
    prefix = f"{scale.key_prefix}:frontier"
    return {
        "SCHEDULER": "newswatch.crawler.frontier.RoundScheduler",
        "DUPEFILTER_CLASS": "newswatch.crawler.frontier.CanonicalDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "newswatch.crawler.frontier.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:seen",  # one set: a URL two sources list is fetched once
        "SCHEDULER_SERIALIZER": "newswatch.crawler.frontier",  # this module's dumps/loads
        "SCHEDULER_PERSIST": True,  # the round, not the process, decides when the frontier goes
        "REDIS_URL": scale.url(),
        "NEWSWATCH_FRONTIER_TTL": scale.frontier_ttl_seconds,
        "NEWSWATCH_FRONTIER_LEASE": scale.crawler_lease_seconds,
    }


# -- the queue's serializer (scrapy-redis calls dumps/loads on a request dict) -------------------


def _enc(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return {"__b": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, dict):
        if any(not isinstance(k, str) for k in obj):
            return {"__d": [[_enc(k), _enc(v)] for k, v in obj.items()]}
        return {k: _enc(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_enc(v) for v in obj]
    return obj


def _dec(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "__b" in obj and len(obj) == 1:
            return base64.b64decode(obj["__b"])
        if "__d" in obj and len(obj) == 1:
            return {_dec(k): _dec(v) for k, v in obj["__d"]}
        return {k: _dec(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_dec(v) for v in obj]
    return obj


def dumps(obj: Any) -> bytes:
    """A request dict (``Request.to_dict``) as JSON; bytes and bytes-keyed dicts are tagged."""
    return json.dumps(_enc(obj), ensure_ascii=False).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """:func:`dumps` read back."""
    return _dec(json.loads(data))


class CanonicalDupeFilter(RFPDupeFilter):
    """scrapy-redis' fingerprints, with an article's URL canonical as newswatch stores it (tracking
    parameters dropped): the feed's ``?utm_source=rss`` link and the sitemap's plain one are one."""

    def request_fingerprint(self, request: Any) -> str:
        if request.meta.get("nw_article"):
            request = request.replace(url=canonicalize(request.url))
        return str(super().request_fingerprint(request))


class LeasedQueue(PriorityQueue):
    """scrapy-redis' priority queue whose pop also records the request in the taker's in-flight
    hash, in one Redis script (a kill between the two cannot lose it). The hash field is the
    SHA-1 of the encoded request; :meth:`pop_leased` returns it with the request."""

    POP = """
    local r = redis.call('ZRANGE', KEYS[1], 0, 0)
    if #r == 0 then return false end
    redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
    redis.call('HSET', KEYS[2], redis.sha1hex(r[1]), r[1])
    return r[1]
    """

    def pop_leased(self, inflight_key: str) -> tuple[Any, str] | None:
        data = self.server.eval(self.POP, 2, self.key, inflight_key)
        if not data:
            return None
        return self._decode_request(data), hashlib.sha1(data).hexdigest()  # a name for the entry, not a secret

    def push_raw(self, data: bytes) -> None:
        """Put an encoded request back (a dead crawler's in-flight one)."""
        self.server.execute_command("ZADD", self.key, 0, data)


# -- the scheduler --------------------------------------------------------------------------------


class RoundScheduler(Scheduler):
    """scrapy-redis' Scheduler with crawl rounds, in-flight leases and newswatch's dedup rule
    (module docstring)."""

    def open(self, spider: Any) -> Any:
        from scrapy import signals
        from twisted.internet import task

        self.source = spider.name
        self.member = f"{socket.gethostname()}:{os.getpid()}:{spider.name}"
        self.base = (self.queue_key % {"spider": spider.name}).rsplit(":", 2)[0]
        self.members_key, self.active_key = f"{self.base}:crawlers", f"{self.base}:active"
        self.owners_key, self.inflight_key = f"{self.base}:inflight-owners", self._inflight(self.member)
        self.ttl = int(spider.settings.getfloat("NEWSWATCH_FRONTIER_TTL", 6 * 3600))
        self.lease = spider.settings.getfloat("NEWSWATCH_FRONTIER_LEASE", 30.0)
        out = super().open(spider)
        others = self._others()
        if not others:  # the first spider of a round: no fingerprints from an older one
            self.df.clear()
            log.info("%s: new crawl round on the shared frontier", spider.name)
        if not {m for m in others if m.endswith(f":{self.source}")}:
            # left by a stopped round: the database says what is still to fetch
            self.queue.clear()
            for owner in self._owners():
                self.server.delete(self._inflight(owner))
                self.server.srem(self.owners_key, owner)
        else:
            log.info("%s: joined the running crawl round (%d requests queued)", spider.name, len(self.queue))
        self.server.sadd(self.owners_key, self.member)
        self._renew()
        self._lease = task.LoopingCall(self._renew)
        self._lease.start(self.lease / 6, now=False)
        connect = spider.crawler.signals.connect
        connect(self._on_idle, signal=signals.spider_idle)
        connect(self._left_downloader, signal=signals.request_left_downloader)
        return out

    def close(self, reason: str) -> Any:
        if self._lease.running:
            self._lease.stop()
        # a clean close: every request it took was handed on, booked, or is lost to a stop
        self.server.delete(self.inflight_key)
        self.server.srem(self.owners_key, self.member)
        self.server.zrem(self.members_key, self.member)
        if not self._others():  # the last one out: the round is over
            self.server.delete(self.df.key, self.members_key, self.active_key, self.owners_key)
        return super().close(reason)

    def _inflight(self, member: str) -> str:
        return f"{self.base}:inflight:{member}"

    def _owners(self) -> set[str]:
        """Spiders of this source with an in-flight hash (live, dying or dead), other than this one."""
        owners = {_text(m) for m in self.server.smembers(self.owners_key)}
        return {m for m in owners if m.endswith(f":{self.source}")} - {self.member}

    def _on_idle(self, spider: Any) -> None:
        """Nothing to do here: stay open while the source's queue has requests, another crawler of
        the source was busy lately or has requests in flight (it may queue more, or die and its
        requests come back here when its lease runs out); Scrapy asks again every few seconds."""
        from scrapy.exceptions import DontCloseSpider

        self._sweep()
        busy = any(m.endswith(f":{self.source}") for m in self._others(ACTIVE_GRACE_SECONDS))
        if len(self.queue) or busy or self._in_flight_elsewhere():
            raise DontCloseSpider("the shared frontier's round is still busy")

    def _others(self, active_within: float | None = None) -> set[str]:
        """Live spiders of the round other than this one (expired leases dropped); with
        ``active_within``, only those that queued or took a request that recently."""
        now = time.time()
        self.server.zremrangebyscore(self.members_key, "-inf", now)
        members = {_text(m) for m in self.server.zrange(self.members_key, 0, -1)}
        if active_within is not None:
            members &= {_text(m) for m in self.server.zrangebyscore(self.active_key, now - active_within, "+inf")}
        return members - {self.member}

    def _in_flight_elsewhere(self) -> bool:
        """Another crawler of this source (live, or dead and not yet swept) holds requests."""
        return any(self.server.hlen(self._inflight(owner)) for owner in self._owners())

    def _sweep(self) -> None:
        """Put the in-flight requests of dead crawlers of this source back into its queue. The
        hash is renamed first, so of two crawlers sweeping at once only one gets it."""
        import redis

        live = self._others() | {self.member}
        for owner in self._owners() - live:
            mine = f"{self._inflight(owner)}:swept-by:{self.member}"
            try:
                self.server.rename(self._inflight(owner), mine)
            except redis.ResponseError:  # no such key: nothing in flight, or swept by another
                self.server.srem(self.owners_key, owner)
                continue
            requests = self.server.hvals(mine)
            for data in requests:
                self.queue.push_raw(data)
            self.server.delete(mine)
            self.server.srem(self.owners_key, owner)
            if requests:
                log.warning("%s: %d request(s) of dead crawler %s queued again", self.source, len(requests), owner)

    def _renew(self) -> None:
        """This spider's lease, a sweep of dead crawlers' requests, and every frontier key expiring
        when nobody has used it for a while."""
        pipe = self.server.pipeline(transaction=False)
        pipe.zadd(self.members_key, {self.member: time.time() + self.lease})
        for key in (self.members_key, self.active_key, self.owners_key, self.inflight_key, self.queue.key, self.df.key):
            pipe.expire(key, self.ttl)
        pipe.execute()
        self._sweep()

    def _active(self) -> None:
        self.server.zadd(self.active_key, {self.member: time.time()})

    def _release(self, meta: dict[str, Any]) -> None:
        sha = meta.pop("nw_lease", None)
        if sha:
            self.server.hdel(self.inflight_key, sha)

    def _left_downloader(self, request: Any, spider: Any) -> None:
        self._release(request.meta)  # answered or failed: no longer in flight

    def enqueue_request(self, request: Any) -> bool:
        self._release(request.meta)  # a retry or redirect hop is back in the queue, not in flight
        fresh = not (request.meta.get("retry_times") or request.meta.get("redirect_times"))
        ours = request.meta.get("nw_article") or request.meta.get("nw_index")
        if (fresh and ours or not request.dont_filter) and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        self._active()
        return True

    def next_request(self) -> Any:
        popped = self.queue.pop_leased(self.inflight_key)
        if popped is None:
            return None
        request, sha = popped
        request.meta["nw_lease"] = sha
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        self._active()
        return request


def _text(member: bytes | str) -> str:
    return member.decode() if isinstance(member, bytes) else member
