"""Whether a token's user still exists and is active, checked per request, cached briefly.

A signed token proves who the user *was*; disabling or deleting an account must end its
access without waiting for the token to expire. The lookup is one primary-key read, cached
per process for ``active_user_cache_secs`` so busy clients do not hit the database per call.
"""

from cachetools import TTLCache

from convonet.storage.db import Database
from convonet.storage.models import User


class ActiveUsers:
    """A per-process, briefly cached ``user is active`` lookup.

    Args:
        db: The database holding the users.
        ttl_secs: How long an answer is reused (0 turns the cache off).
    """

    def __init__(self, db: Database, ttl_secs: float) -> None:
        self._db = db
        self._cache: TTLCache[str, bool] | None = (
            TTLCache(maxsize=10_000, ttl=ttl_secs) if ttl_secs > 0 else None
        )

    async def is_active(self, user_id: str) -> bool:
        """Whether ``user_id`` names an existing, active user."""
        if self._cache is not None and user_id in self._cache:
            return self._cache[user_id]
        async with self._db.session() as session:
            user = await session.get(User, user_id)
        active = user is not None and user.is_active
        if self._cache is not None:
            self._cache[user_id] = active
        return active

    def forget(self, user_id: str) -> None:
        """Drop a cached answer (after disabling a user in this process)."""
        if self._cache is not None:
            self._cache.pop(user_id, None)
