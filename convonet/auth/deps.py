"""FastAPI dependency aliases: the current user from a bearer JWT, role and team checks.

Every request re-checks that the token's user still exists and is active (cached briefly,
see :class:`~convonet.auth.active.ActiveUsers`), so disabling a user ends their access.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from convonet.api.deps import RuntimeDep
from convonet.auth.tokens import TokenClaims, verify_token
from convonet.errors import AuthenticationError
from convonet.storage.models import TeamMember

_bearer = HTTPBearer(auto_error=False)


async def current_claims(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenClaims:
    """The verified claims of the request's access token.

    Raises:
        HTTPException: 401 with the reason when the token is missing or bad, or its user
            is disabled or deleted.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        claims = verify_token(runtime.settings, credentials.credentials, kind="access")
    except AuthenticationError as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(error), headers={"WWW-Authenticate": "Bearer"}
        ) from error
    if not await runtime.active_users.is_active(claims.user_id):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the account is disabled or gone",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return claims


CurrentUser = Annotated[TokenClaims, Depends(current_claims)]


async def optional_claims(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenClaims | None:
    """The claims of the request's access token, or ``None`` when it carries none.

    Raises:
        HTTPException: 401 when a token is sent but is bad (never silently anonymous).
    """
    if credentials is None:
        return None
    return await current_claims(runtime, credentials)


MaybeUser = Annotated[TokenClaims | None, Depends(optional_claims)]
STAFF_ROLES = frozenset({"agent", "supervisor", "admin"})


def require_roles(*roles: str) -> Callable[[TokenClaims], Coroutine[Any, Any, TokenClaims]]:
    """A dependency admitting users holding any of ``roles`` (admins always pass)."""
    wanted = {*roles, "admin"}

    async def check(claims: CurrentUser) -> TokenClaims:
        if not wanted & set(claims.roles):
            needed = " or ".join(sorted(wanted))
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {needed} role")
        return claims

    return check


AgentUser = Annotated[TokenClaims, Depends(require_roles("agent", "supervisor"))]
SupervisorUser = Annotated[TokenClaims, Depends(require_roles("supervisor"))]
AdminUser = Annotated[TokenClaims, Depends(require_roles("admin"))]


async def require_team_member(team_id: str, claims: CurrentUser, runtime: RuntimeDep) -> str:
    """Admit members of the path's ``team_id`` (admins always pass); returns the team id.

    Raises:
        HTTPException: 403 for non-members.
    """
    if "admin" in claims.roles:
        return team_id
    async with runtime.db.session() as session:
        member = await session.scalar(
            select(TeamMember.user_id).where(
                TeamMember.team_id == team_id, TeamMember.user_id == claims.user_id
            )
        )
    if member is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "you are not a member of this team")
    return team_id


TeamMembership = Annotated[str, Depends(require_team_member)]
