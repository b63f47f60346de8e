"""Scale tests: a Redis key prefix of their own, no Redis URL leaking in from the environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.support.scale import redis_prefix


@pytest.fixture
def redis_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[redis.Redis, str]]:
    monkeypatch.delenv("NEWSWATCH_REDIS_URL", raising=False)
    with redis_prefix() as (client, prefix):
        yield client, prefix
