"""The local Redis for the scale tests: a key prefix of the test's own (every key under it is
deleted afterwards) and a config dir whose ``scale`` block points at it.

Redis runs on the development and CI machines (127.0.0.1:6379, or ``NEWSWATCH_TEST_REDIS_URL``);
where it does not, the tests that need it skip and say why."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

REDIS_URL = os.environ.get("NEWSWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def redis_prefix() -> Iterator[tuple[redis.Redis, str]]:
    """A client and a fresh key prefix; every key under the prefix is deleted at the end."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"no Redis at {REDIS_URL} ({exc}): start redis-server, as the dev and CI machines do")
    prefix = f"nwtest-{uuid.uuid4().hex[:12]}"
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def set_scale(cdir: Path, prefix: str, **scale: Any) -> Path:
    """Point the config dir's ``scale`` block at the test Redis under ``prefix`` (plus ``scale``)."""
    path = cdir / "settings.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    settings["scale"] = {**settings.get("scale", {}), "redis_url": REDIS_URL, "key_prefix": prefix, **scale}
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return cdir
