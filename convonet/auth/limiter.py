"""Brute-force limits on PIN attempts: failure counters per IP, named user and caller number.

After ``auth_max_failures`` failures within ``auth_window_secs`` for any one of the keys an
attempt carries, every further attempt with that key is refused (429 + ``Retry-After``),
even with the right PIN, until the window has passed. Other keys are unaffected.
"""

from collections.abc import Mapping

from loguru import logger

from convonet.errors import RateLimitedError
from convonet.settings import Settings
from convonet.storage.redis import RedisStore

# Scope names are part of the Redis key (authfail:{scope}:{key}).
IP, USER, PHONE = "ip", "user", "phone"


class LoginLimiter:
    """Applies the failure-counter policy for one kind of login."""

    def __init__(self, store: RedisStore, settings: Settings) -> None:
        self._store = store
        self._limit = settings.auth_max_failures
        self._window = settings.auth_window_secs

    async def check(self, keys: Mapping[str, str | None]) -> None:
        """Refuse the attempt if any of its keys is locked out.

        Args:
            keys: Scope → key (``{"ip": "1.2.3.4", "user": "ann@x", "phone": None}``).

        Raises:
            RateLimitedError: A key is locked; ``retry_after`` says for how long.
        """
        longest = 0
        for scope, key in keys.items():
            if key:
                remaining = await self._store.lockout_remaining(
                    scope, key, self._limit, self._window
                )
                longest = max(longest, remaining)
        if longest > 0:
            raise RateLimitedError("too many failed attempts; try again later", longest)

    async def failed(self, keys: Mapping[str, str | None], *, reason: str) -> None:
        """Count a failed attempt against each key (logged without the PIN)."""
        counts = {
            scope: await self._store.record_failure(scope, key, self._window)
            for scope, key in keys.items()
            if key
        }
        logger.warning(f"login failed ({reason}); failures in window: {counts}")

    async def succeeded(self, user_key: str | None) -> None:
        """Clear the named user's counter after a successful login."""
        if user_key:
            await self._store.reset_failures(USER, user_key)
