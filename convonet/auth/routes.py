"""``/api/auth``: password login, token refresh (rotated, single use), and who am I."""

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from convonet.api.deps import RuntimeDep
from convonet.auth.deps import CurrentUser
from convonet.auth.limiter import IP, USER, LoginLimiter
from convonet.auth.refresh import consume_refresh_token
from convonet.auth.tokens import TokenClaims, TokenType, issue_token, verify_token
from convonet.errors import AuthenticationError, RateLimitedError
from convonet.runtime import Runtime
from convonet.storage.models import TeamMember, User
from convonet.storage.users import check_password, get_by_email

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginRequest(BaseModel):
    """Email and password."""

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(BaseModel):
    """A refresh token."""

    refresh_token: str = Field(min_length=10, max_length=4096)


class TokenPair(BaseModel):
    """Tokens for the dashboards and REST API."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"


async def _tokens_for(runtime: Runtime, user: User, family: str | None = None) -> TokenPair:
    async with runtime.db.session() as session:
        team_id = await session.scalar(
            select(TeamMember.team_id).where(TeamMember.user_id == user.id).limit(1)
        )

    def token(kind: TokenType) -> str:
        return issue_token(
            runtime.settings,
            user_id=user.id,
            email=user.email,
            roles=user.roles,
            team_id=team_id,
            kind=kind,
            family=family,
        )

    return TokenPair(access_token=token("access"), refresh_token=token("refresh"))


@router.post("/login", responses={401: {}, 429: {}})
async def login(body: LoginRequest, request: Request, runtime: RuntimeDep) -> TokenPair:
    """Exchange email and password for an access and a refresh token."""
    limiter = LoginLimiter(runtime.store, runtime.settings, runtime.metrics)
    keys = {IP: request.client.host if request.client else None, USER: body.email.lower()}
    try:
        await limiter.check(keys)
    except RateLimitedError as error:
        raise HTTPException(
            429, str(error), headers={"Retry-After": str(error.retry_after)}
        ) from error
    async with runtime.db.session() as session:
        user = await get_by_email(session, body.email)
    # Unknown emails are checked against a dummy hash: the answer takes as long either way.
    matched = await check_password(user, body.password)
    if user is None or not user.is_active or not matched:
        await limiter.failed(keys, reason="wrong email or password")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    await limiter.succeeded(keys[USER])
    return await _tokens_for(runtime, user)


@router.post("/refresh", responses={401: {}})
async def refresh(body: RefreshRequest, runtime: RuntimeDep) -> TokenPair:
    """Exchange a refresh token (once) for a new token pair of the same sign-in family.

    Presenting an already exchanged refresh token revokes its whole family.
    """
    try:
        claims = verify_token(runtime.settings, body.refresh_token, kind="refresh")
        family = await consume_refresh_token(runtime.store.redis, claims, body.refresh_token)
    except AuthenticationError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    async with runtime.db.session() as session:
        user = await session.get(User, claims.user_id)
    if user is None or not user.is_active:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the account no longer exists")
    return await _tokens_for(runtime, user, family)


@router.get("/me")
async def me(claims: CurrentUser) -> TokenClaims:
    """The claims of the caller's access token."""
    return claims
