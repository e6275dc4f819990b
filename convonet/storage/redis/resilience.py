"""How the Redis client rides out an outage: timeouts, retries, health checks.

A Redis that stops answering must neither hang a request nor need a server restart when it
comes back. Every client :func:`~convonet.storage.redis.client.create_redis` makes for a real
server therefore gets:

* connect and read timeouts (``REDIS_TIMEOUT_SECS``): a command during an outage fails in
  seconds, and the request answers 503 with a reason (:mod:`convonet.storage.outage`);
* a few retries with a short exponential backoff (``REDIS_RETRIES``) of a command whose
  connection dropped, which hides a restart of a few hundred milliseconds;
* a health check (``REDIS_HEALTH_CHECK_SECS``): a pooled connection idle that long is PINGed
  before reuse, so one that died during an outage is replaced instead of failing a request.

The connection pool itself reconnects on the next command once Redis is back: no restart.
"""

from typing import Any

from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from convonet.settings import Settings

# Backoff between retries: 50 ms, 100 ms, ... at most 500 ms (a caller is waiting).
BACKOFF_BASE_SECS = 0.05
BACKOFF_CAP_SECS = 0.5


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``redis.asyncio.Redis.from_url`` (see the module docstring)."""
    timeout = settings.redis_timeout_secs
    return {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "socket_keepalive": True,
        "health_check_interval": settings.redis_health_check_secs,
        "retry": Retry(
            ExponentialBackoff(cap=BACKOFF_CAP_SECS, base=BACKOFF_BASE_SECS),
            settings.redis_retries,
        ),
        # A timed-out command is not retried: it may have run, and INCR twice is wrong.
        "retry_on_error": [RedisConnectionError],
    }
