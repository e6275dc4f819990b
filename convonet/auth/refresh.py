"""Refresh-token rotation: each refresh token works once; reusing one revokes its family.

A login starts a *family*; every refresh returns a new refresh token of the same family and
marks the presented one used. If a used token comes back (it was stolen, or the client
replays), the family is revoked, so neither the thief nor the victim can refresh again
until they log in anew. Redis keys (expiring with the tokens):

* ``refresh:used:{jti}``: a refresh token that was exchanged.
* ``refresh:revoked:{family}``: a family that may no longer refresh.
"""

import hashlib
import time

import redis.asyncio as aioredis
from loguru import logger

from convonet.auth.tokens import TokenClaims
from convonet.errors import AuthenticationError
from convonet.storage.redis.keys import Keys


def _token_id(claims: TokenClaims, token: str) -> str:
    # Tokens issued before rotation existed carry no jti: their hash stands in for one.
    return claims.jti or hashlib.sha256(token.encode()).hexdigest()


async def consume_refresh_token(redis: aioredis.Redis, claims: TokenClaims, token: str) -> str:
    """Mark a verified refresh token used and return its family for the next token.

    Args:
        redis: The app's Redis client.
        claims: The token's verified claims.
        token: The token itself.

    Returns:
        The family the rotated token belongs to.

    Raises:
        AuthenticationError: The family is revoked, or the token was used before (which
            revokes its family).
    """
    token_id = _token_id(claims, token)
    family = claims.fam or token_id
    ttl = max(1, claims.exp - int(time.time()))
    if await redis.exists(Keys.refresh_revoked(family)):
        raise AuthenticationError("this sign-in was revoked; log in again")
    if not await redis.set(Keys.refresh_used(token_id), "1", ex=ttl, nx=True):
        await redis.set(Keys.refresh_revoked(family), "1", ex=ttl)
        logger.warning(f"refresh token reused for user {claims.user_id}: family revoked")
        raise AuthenticationError("refresh token already used; log in again")
    return family
