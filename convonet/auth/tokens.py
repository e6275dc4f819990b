"""JWTs for dashboards and REST: HS256 access (30 min) and refresh (7 days) tokens."""

import time
import uuid
from typing import Any, Literal

import jwt
from pydantic import BaseModel, ValidationError

from convonet.errors import AuthenticationError
from convonet.settings import Settings

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]


class TokenClaims(BaseModel):
    """The claims Convonet puts in (and requires of) its tokens."""

    user_id: str
    email: str
    roles: list[str]
    team_id: str | None = None
    type: TokenType
    exp: int
    iat: int
    jti: str | None = None  # unique per token (refresh rotation tracks it)
    fam: str | None = None  # a refresh token's family: one login and its rotations


def issue_token(
    settings: Settings,
    *,
    user_id: str,
    email: str,
    roles: list[str],
    team_id: str | None,
    kind: TokenType,
    now: float | None = None,
    family: str | None = None,
) -> str:
    """Sign a token of ``kind`` for a user.

    Every token gets a random ``jti``; a refresh token also carries its family (``family``,
    or a new one for a fresh login), so reusing a rotated token can revoke the whole family.
    """
    issued = int(now if now is not None else time.time())
    lifetime = (
        settings.jwt_access_minutes * 60
        if kind == "access"
        else settings.jwt_refresh_days * 24 * 3600
    )
    claims: dict[str, Any] = TokenClaims(
        user_id=user_id,
        email=email,
        roles=roles,
        team_id=team_id,
        type=kind,
        iat=issued,
        exp=issued + lifetime,
        jti=uuid.uuid4().hex,
        fam=(family or uuid.uuid4().hex) if kind == "refresh" else None,
    ).model_dump(exclude_none=True)
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def verify_token(settings: Settings, token: str, *, kind: TokenType) -> TokenClaims:
    """Check a token's signature, expiry and type.

    Raises:
        AuthenticationError: Forged, expired, malformed, or of the wrong type.
    """
    try:
        raw = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat"]},
        )
        claims = TokenClaims.model_validate(raw)
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("token expired") from None
    except (jwt.InvalidTokenError, ValidationError):
        raise AuthenticationError("invalid token") from None
    if claims.type != kind:
        raise AuthenticationError(f"a {claims.type} token cannot be used as an {kind} token")
    return claims
