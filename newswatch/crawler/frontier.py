"""The shared crawl frontier (``crawl.frontier: redis``): scrapy-redis' scheduler and dupefilter.

Every crawl process, on any machine, that crawls a source takes its requests from one queue in
Redis (``{prefix}:frontier:{source}:requests``) and checks one fingerprint set
(``{prefix}:frontier:{source}:seen``): an index page or article found by two crawlers is fetched
once, by whichever pops it first. What this adds to scrapy-redis:

- **Rounds.** The fingerprint set lives as long as one crawl *round*: while at least one crawl
  process of the source runs (each holds a lease in ``{prefix}:frontier:{source}:crawlers``,
  renewed as it asks for requests). The first crawler of a round starts from an empty frontier,
  the last one out clears it. Across rounds the database is the memory (``IncrementalMiddleware``:
  a stored URL is never fetched again), so a request a killed crawler had in flight, or a page it
  fetched but did not hand on, is fetched again by the next round: nothing is lost.
- **Our requests are deduplicated although newswatch marks them ``dont_filter``** (which keeps
  Scrapy's own dupefilter out of the local mode); retries and redirect hops pass, as locally.
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

from scrapy_redis.scheduler import Scheduler

from ..config import ScaleSettings

log = logging.getLogger(__name__)

CRAWLER_LEASE_SECONDS = 30.0  # a crawl process that has not asked for a request this long is gone
ACTIVE_GRACE_SECONDS = 10.0  # an idle crawler stays open while another took a request this recently


def scrapy_settings(scale: ScaleSettings) -> dict[str, Any]:
    """Scrapy settings that put the scheduler's queue and fingerprints in Redis."""
    prefix = f"{scale.key_prefix}:frontier"
    return {
        "SCHEDULER": "newswatch.crawler.frontier.RoundScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:%(spider)s:seen",
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


# -- the scheduler --------------------------------------------------------------------------------


class RoundScheduler(Scheduler):
    """scrapy-redis' Scheduler with crawl rounds and newswatch's dedup rule (module docstring)."""

    def open(self, spider: Any) -> Any:
        self.crawler_id = f"{socket.gethostname()}:{os.getpid()}"
        base = (self.queue_key % {"spider": spider.name}).rsplit(":", 1)[0]
        self.members_key, self.active_key = f"{base}:crawlers", f"{base}:active"
        self.ttl = int(spider.settings.getfloat("NEWSWATCH_FRONTIER_TTL", 6 * 3600))
        self._renewed = 0.0
        out = super().open(spider)
        if not self._others():  # the first crawler of a round: start from an empty frontier
            self.flush()
            log.info("%s: new crawl round on the shared frontier", spider.name)
        else:
            log.info("%s: joined the running crawl round (%d requests queued)", spider.name, len(self.queue))
        self._renew(force=True)
        from scrapy import signals

        spider.crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        return out

    def _on_idle(self, spider: Any) -> None:
        """Nothing to do here: stay open while another crawler of the round was busy lately (it may
        queue more), as scrapy-redis' own spiders do; Scrapy asks again every few seconds."""
        from scrapy.exceptions import DontCloseSpider

        self._renew()
        if len(self.queue) or self._others(active_within=ACTIVE_GRACE_SECONDS):
            raise DontCloseSpider("the shared frontier's round is still busy")

    def close(self, reason: str) -> Any:
        self.server.zrem(self.members_key, self.crawler_id)
        if not self._others():  # the last one out: the round is over
            self.flush()
            self.server.delete(self.members_key, self.active_key)
        return super().close(reason)

    def _others(self, active_within: float | None = None) -> int:
        """Live crawl processes of this source's round other than this one (dead ones dropped);
        with ``active_within``, only those that queued or took a request that recently."""
        now = time.time()
        self.server.zremrangebyscore(self.members_key, "-inf", now)
        members = {_text(m) for m in self.server.zrange(self.members_key, 0, -1)}
        if active_within is not None:
            recent = self.server.zrangebyscore(self.active_key, now - active_within, "+inf")
            members &= {_text(m) for m in recent}
        return len(members - {self.crawler_id})

    def _active(self) -> None:
        self.server.zadd(self.active_key, {self.crawler_id: time.time()})

    def _renew(self, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._renewed < 2.0:
            return
        self._renewed = now
        pipe = self.server.pipeline(transaction=False)
        pipe.zadd(self.members_key, {self.crawler_id: now + CRAWLER_LEASE_SECONDS})
        # a frontier nobody uses is forgotten
        for key in (self.members_key, self.active_key, self.queue.key, self.df.key):
            pipe.expire(key, self.ttl)
        pipe.execute()

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
        self._renew()
        return True

    def next_request(self) -> Any:
        self._renew()
        request = super().next_request()
        if request is not None:
            self._active()
        return request


def _text(member: bytes | str) -> str:
    return member.decode() if isinstance(member, bytes) else member
