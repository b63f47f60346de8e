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
  again), so a request a killed crawler had in flight, or a page it fetched but did not hand on,
  is fetched again by the next round: nothing is lost (it is not fetched again in the same round).
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
import json
import logging
import os
import socket
import time
from typing import Any

from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from ..config import ScaleSettings
from ..urls import canonicalize

log = logging.getLogger(__name__)

CRAWLER_LEASE_SECONDS = 30.0  # a crawl process that has not asked for a request this long is gone
ACTIVE_GRACE_SECONDS = 10.0  # an idle crawler stays open while another took a request this recently


def scrapy_settings(scale: ScaleSettings) -> dict[str, Any]:
    """Scrapy settings that put the scheduler's queue and fingerprints in Redis."""
    prefix = f"{scale.key_prefix}:frontier"
    return {
        "SCHEDULER": "newswatch.crawler.frontier.RoundScheduler",
        "DUPEFILTER_CLASS": "newswatch.crawler.frontier.CanonicalDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:seen",  # one set: a URL two sources list is fetched once
        "SCHEDULER_SERIALIZER": "newswatch.crawler.frontier",  # this module's dumps/loads
        "SCHEDULER_PERSIST": True,  # the round, not the process, decides when the frontier goes
        "REDIS_URL": scale.url(),
        "NEWSWATCH_FRONTIER_TTL": scale.frontier_ttl_seconds,
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


# -- the scheduler --------------------------------------------------------------------------------


class RoundScheduler(Scheduler):
    """scrapy-redis' Scheduler with crawl rounds and newswatch's dedup rule (module docstring)."""

    def open(self, spider: Any) -> Any:
        from scrapy import signals
        from twisted.internet import task

        self.source = spider.name
        self.member = f"{socket.gethostname()}:{os.getpid()}:{spider.name}"
        base = (self.queue_key % {"spider": spider.name}).rsplit(":", 2)[0]
        self.members_key, self.active_key = f"{base}:crawlers", f"{base}:active"
        self.ttl = int(spider.settings.getfloat("NEWSWATCH_FRONTIER_TTL", 6 * 3600))
        out = super().open(spider)
        others = self._others()
        if not others:  # the first spider of a round: no fingerprints from an older one
            self.df.clear()
            log.info("%s: new crawl round on the shared frontier", spider.name)
        if not {m for m in others if m.endswith(f":{self.source}")}:
            self.queue.clear()  # left by a stopped round: the database says what is still to fetch
        else:
            log.info("%s: joined the running crawl round (%d requests queued)", spider.name, len(self.queue))
        self._renew()
        self._lease = task.LoopingCall(self._renew)
        self._lease.start(CRAWLER_LEASE_SECONDS / 6, now=False)
        spider.crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        return out

    def close(self, reason: str) -> Any:
        if self._lease.running:
            self._lease.stop()
        self.server.zrem(self.members_key, self.member)
        if not self._others():  # the last one out: the round is over
            self.server.delete(self.df.key, self.members_key, self.active_key)
        return super().close(reason)

    def _on_idle(self, spider: Any) -> None:
        """Nothing to do here: stay open while the source's queue has requests or another crawler
        of the source was busy lately (it may queue more); Scrapy asks again every few seconds."""
        from scrapy.exceptions import DontCloseSpider

        if len(self.queue) or any(m.endswith(f":{self.source}") for m in self._others(ACTIVE_GRACE_SECONDS)):
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

    def _renew(self) -> None:
        """This spider's lease; every frontier key expires when nobody has used it for a while."""
        pipe = self.server.pipeline(transaction=False)
        pipe.zadd(self.members_key, {self.member: time.time() + CRAWLER_LEASE_SECONDS})
        for key in (self.members_key, self.active_key, self.queue.key, self.df.key):
            pipe.expire(key, self.ttl)
        pipe.execute()

    def _active(self) -> None:
        self.server.zadd(self.active_key, {self.member: time.time()})

    def enqueue_request(self, request: Any) -> bool:
        fresh = not (request.meta.get("retry_times") or request.meta.get("redirect_times"))
        ours = request.meta.get("nw_article") or request.meta.get("nw_index")
        if (fresh and ours or not request.dont_filter) and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        self.queue.push(request)
        self._active()
        return True

    def next_request(self) -> Any:
        request = super().next_request()
        if request is not None:
            self._active()
        return request


def _text(member: bytes | str) -> str:
    return member.decode() if isinstance(member, bytes) else member
