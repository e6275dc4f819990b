"""Single-use things in Redis: WebSocket connection tokens and one-time claims."""

import secrets

from convonet.storage.redis.client import TOKEN_PATTERN, RedisFeature, millis
from convonet.storage.redis.keys import Keys


class TokenStore(RedisFeature):
    """``wstoken:{token}`` and ``claim:{kind}:{id}``."""

    async def issue_ws_token(self, session_id: str, ttl_secs: float) -> str:
        """A fresh unguessable token that admits one connection to ``session_id``."""
        token = secrets.token_urlsafe(32)
        await self.redis.set(Keys.ws_token(token), session_id, px=millis(ttl_secs), nx=True)
        return token

    async def consume_ws_token(self, token: str) -> str | None:
        """The session id ``token`` admits, deleting the token (atomic ``GETDEL``).

        Returns:
            ``None`` for unknown, used, expired or malformed tokens; of concurrent callers
            with the same token, exactly one gets the session id.
        """
        if not isinstance(token, str) or TOKEN_PATTERN.fullmatch(token) is None:
            return None
        session_id = await self.redis.getdel(Keys.ws_token(token))
        return None if session_id is None else str(session_id)

    async def release_claim(self, kind: str, item_id: str) -> None:
        """Forget the claim of ``item_id`` so it can be claimed again."""
        await self.redis.delete(Keys.claim(kind, item_id))

    async def claim_once(self, kind: str, item_id: str, ttl_secs: float) -> bool:
        """Whether this is the first claim of ``item_id`` (atomic ``SET NX``) within the TTL."""
        return bool(
            await self.redis.set(Keys.claim(kind, item_id), "1", px=millis(ttl_secs), nx=True)
        )
