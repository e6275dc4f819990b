"""The Redis client, and what every feature store shares: its client, clock, TTLs and ids.

``REDIS_URL`` selects a real server; otherwise :func:`create_redis` returns an in-process
fakeredis. Clients decode responses to ``str``; values are JSON.
"""

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import redis.asyncio as aioredis

from convonet.errors import InvalidInputError
from convonet.settings import Settings
from convonet.storage.redis.resilience import client_options

if TYPE_CHECKING:
    from fakeredis import FakeServer

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def create_redis(settings: Settings, *, fake_server: "FakeServer | None" = None) -> aioredis.Redis:
    """A Redis client for the settings: the real server at ``redis_url``, else fakeredis.

    The embedded fake keeps its data in a :class:`FakeServer` that lives as long as its
    clients: create the client once per runtime and share it (pass ``fake_server`` to let
    several clients see the same data).

    Args:
        settings: ``redis_url`` selects the server.
        fake_server: The fake's data store when ``redis_url`` is unset (a new one if omitted).

    Returns:
        A client with ``decode_responses=True`` (no connection is made until first use); a
        real server's client rides out outages (:mod:`~convonet.storage.redis.resilience`).
    """
    if settings.redis_url:
        client: aioredis.Redis = aioredis.Redis.from_url(
            settings.redis_url, decode_responses=True, **client_options(settings)
        )
        return client
    import fakeredis  # lazy: only the embedded default needs it

    server = fake_server or fakeredis.FakeServer()
    return fakeredis.FakeAsyncRedis(server=server, decode_responses=True)


def millis(ttl_secs: float) -> int:
    """A TTL in whole milliseconds (at least 1).

    Raises:
        InvalidInputError: ``ttl_secs`` is not positive.
    """
    if not ttl_secs > 0:
        raise InvalidInputError(f"a TTL must be positive, not {ttl_secs}")
    return max(1, round(ttl_secs * 1000))


class RedisFeature:
    """Base of the feature stores: a client and a wall clock.

    Args:
        redis: A client from :func:`create_redis` (``decode_responses=True``).
        clock: Wall-clock seconds (tests pass their own).
    """

    def __init__(self, redis: aioredis.Redis, *, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self._clock = clock
