"""Text access to a call session: a bearer secret per session, distinct from its id.

``/api/connect`` returns a ``session_token`` next to the ``session_id``. The id names the
session (the Agent Monitor and logs show it); only the token (or the owner's JWT) lets a
client talk to the agent as that caller over ``POST /agent/process``. The token is never
logged or shown, and its access ends when the session's call ends. Redis keys (with the
session's TTL):

* ``sessaccess:{sha256(token)}`` → the session id it opens.
* ``sessaccess:of:{session_id}`` → that hash, so the call's end can revoke it.
"""

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from loguru import logger
from redis.exceptions import RedisError

from convonet.api.deps import RuntimeDep
from convonet.auth.tokens import TokenClaims, verify_token
from convonet.errors import AuthenticationError
from convonet.runtime import Runtime
from convonet.storage.redis import RedisStore
from convonet.storage.redis.keys import Keys

_bearer = HTTPBearer(auto_error=False)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_session_token(store: RedisStore, session_id: str, ttl_secs: int) -> str:
    """A fresh secret that opens ``session_id`` to text requests for ``ttl_secs``."""
    token = secrets.token_urlsafe(32)
    digest = _digest(token)
    async with store.redis.pipeline(transaction=True) as pipe:
        pipe.set(Keys.session_access(digest), session_id, ex=ttl_secs)
        pipe.set(Keys.session_access_of(session_id), digest, ex=ttl_secs)
        await pipe.execute()
    return token


async def session_for_token(store: RedisStore, token: str) -> str | None:
    """The session ``token`` opens, or ``None`` for unknown, revoked or expired tokens."""
    if not 20 <= len(token) <= 100:
        return None
    found = await store.redis.get(Keys.session_access(_digest(token)))
    return None if found is None else str(found)


async def revoke_session_tokens(store: RedisStore, session_id: str) -> None:
    """End text access to ``session_id`` (its call ended)."""
    # The client decodes replies (decode_responses=True); str() only satisfies the typing.
    digest = await store.redis.getdel(Keys.session_access_of(session_id))
    if digest is not None:
        await store.redis.delete(Keys.session_access(str(digest)))


def end_text_access(store: RedisStore) -> Callable[[str], Awaitable[None]]:
    """A ``LiveSessions.on_end`` listener revoking a session's token when its call ends."""

    async def revoke(session_id: str) -> None:
        try:
            await revoke_session_tokens(store, session_id)
        except (RedisError, OSError) as error:  # shutting down: the token expires anyway
            logger.warning(f"session {session_id}: text access not revoked ({error!r})")

    return revoke


async def _body_session_id(request: Request) -> str | None:
    # The route's own body model validates the request; this only needs the id it names
    # (Starlette caches the body, so reading it here costs no second read).
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    value = body.get("session_id") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


async def _by_jwt(runtime: Runtime, token: str, session_id: str | None) -> TokenClaims:
    try:
        claims = verify_token(runtime.settings, token, kind="access")
    except AuthenticationError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    if session_id is not None:
        record = await runtime.store.get_session(session_id)
        if record is not None and record.user_id != claims.user_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "that session is not yours")
    if not await runtime.active_users.is_active(claims.user_id):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the account is disabled or gone")
    return claims


async def text_caller(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenClaims | None:
    """Who may run a text turn: the JWT's claims, or ``None`` for a session's own token.

    ``None`` means either that the request's ``session_id`` was opened by its session token,
    or that the request names no session and carries no credential (the route refuses it).

    Raises:
        HTTPException: 401 without a valid credential for the named session, 403 for a
            credential of another session or user, 404 for an unknown session.
    """
    session_id = await _body_session_id(request)
    if credentials is not None:
        opened = await session_for_token(runtime.store, credentials.credentials)
        if opened is None:
            return await _by_jwt(runtime, credentials.credentials, session_id)
        if session_id is None or not hmac.compare_digest(opened, session_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this token opens another session")
        return None
    if session_id is None:
        return None
    if await runtime.store.get_session(session_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown or expired session")
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "send the session_token from /api/connect (Authorization: Bearer) or your JWT",
        headers={"WWW-Authenticate": "Bearer"},
    )


TextCaller = Annotated[TokenClaims | None, Depends(text_caller)]
