"""Failed sign-ins and rate-limited requests in Redis: sliding-window counters, lockouts."""

import math
import uuid
from typing import cast

from convonet.storage.redis.client import RedisFeature, millis
from convonet.storage.redis.keys import Keys


class FailureStore(RedisFeature):
    """``authfail:{scope}:{key}`` sorted sets of failure timestamps."""

    async def record_failure(self, scope: str, key: str, window_secs: float) -> int:
        """Count one failure for ``key`` in ``scope`` (``ip``, ``user``, ``phone``, ...).

        Returns:
            The failures in the sliding window of ``window_secs`` ending now, this one included.
        """
        name = Keys.auth_failures(scope, key)
        now = self._clock()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(name, "-inf", now - window_secs)
            pipe.zadd(name, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
            pipe.zcard(name)
            pipe.pexpire(name, millis(window_secs))
            results = await pipe.execute()
        return int(results[2])

    async def failures(self, scope: str, key: str, window_secs: float | None = None) -> int:
        """Failures recorded for ``key`` (only those in the last ``window_secs`` if given)."""
        name = Keys.auth_failures(scope, key)
        if window_secs is None:
            return int(await self.redis.zcard(name))
        return int(await self.redis.zcount(name, f"({self._clock() - window_secs}", "+inf"))

    async def reset_failures(self, scope: str, key: str) -> None:
        """Forget every failure of ``key`` (after a successful sign-in)."""
        await self.redis.delete(Keys.auth_failures(scope, key))

    async def lockout_remaining(self, scope: str, key: str, limit: int, window_secs: float) -> int:
        """Seconds until ``key`` may try again (0 when it is not locked out).

        ``key`` is locked out while it has ``limit`` or more failures in the sliding window;
        the lock lifts when enough of them age out of the window to leave fewer than ``limit``.
        """
        now = self._clock()
        stamps = cast(
            list[tuple[str, float]],
            await self.redis.zrangebyscore(
                Keys.auth_failures(scope, key), f"({now - window_secs}", "+inf", withscores=True
            ),
        )
        if len(stamps) < limit:
            return 0
        _member, oldest_that_matters = stamps[len(stamps) - limit]
        return max(1, math.ceil(oldest_that_matters + window_secs - now))

    async def count_request(self, scope: str, key: str, window_secs: float) -> tuple[int, int]:
        """Count one request of ``key`` against a rate limit (``rate:{scope}:{key}``).

        Returns:
            The requests in the sliding window of ``window_secs`` ending now (this one
            included), and the seconds until the oldest of them leaves the window.
        """
        name = Keys.rate(scope, key)
        now = self._clock()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(name, "-inf", now - window_secs)
            pipe.zadd(name, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
            pipe.zcard(name)
            pipe.zrange(name, 0, 0, withscores=True)
            pipe.pexpire(name, millis(window_secs))
            results = await pipe.execute()
        oldest = results[3][0][1] if results[3] else now
        return int(results[2]), max(1, math.ceil(oldest + window_secs - now))
