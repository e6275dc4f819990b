"""Voice PIN sign-in (seed phase 1): a PIN alone, or with the caller's email or phone."""

import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.auth.limiter import CALLED, GLOBAL, IP, PHONE, PIN_ONLY, USER, LoginLimiter
from convonet.errors import AuthenticationError, InvalidInputError
from convonet.runtime import Runtime
from convonet.storage.models import TeamMember, User
from convonet.storage.seed import DEMO_EMAIL
from convonet.storage.users import (
    NEW_PIN_DIGITS,
    find_by_pin,
    get_by_email,
    normalize_phone,
    validate_pin,
)

MAX_PIN_LENGTH = 64  # anything longer is refused before hashing


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a PIN signed in."""

    user_id: str
    name: str
    team_ids: tuple[str, ...]
    timezone: str = "UTC"
    email: str = ""


def _limit_keys(
    ip: str | None,
    email: str | None,
    phone: str | None,
    caller_number: str | None,
    called_number: str | None,
) -> dict[str, str | None]:
    number = caller_number or phone
    return {
        IP: ip,
        USER: email.strip().lower() if email else None,
        PHONE: number.strip() if number else None,
        CALLED: called_number.strip() if called_number else None,
        # A PIN that names nobody may match anyone: all such attempts share one budget.
        PIN_ONLY: GLOBAL if not email and not phone else None,
    }


async def _user_for_pin(
    runtime: Runtime, pin: str, email: str | None, phone: str | None
) -> SignedIn | None:
    async with runtime.db.session() as session:
        user = await find_by_pin(session, pin, pin_secret=runtime.settings.pin_hash_secret)
        fallback = runtime.settings.voice_pin
        # The VOICE_PIN setting signs in the demo user (constant-time comparison).
        if (
            user is None
            and fallback is not None
            and hmac.compare_digest(pin.encode(), fallback.get_secret_value().encode())
        ):
            user = await get_by_email(session, DEMO_EMAIL)
        if user is None or not _matches_claim(user, email, phone):
            return None
        return await signed_in_as(session, user)


async def signed_in_as(session: AsyncSession, user: User) -> SignedIn:
    """The sign-in record of ``user`` (with their teams and timezone)."""
    teams = await session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id))
    return SignedIn(
        user_id=user.id,
        name=user.name,
        team_ids=tuple(teams.all()),
        timezone=user.timezone,
        email=user.email,
    )


def _matches_claim(user: User, email: str | None, phone: str | None) -> bool:
    if email and user.email != email.strip().lower():
        return False
    if phone:
        try:
            return user.phone == normalize_phone(phone)
        except InvalidInputError:
            return False
    return True


async def sign_in_with_pin(
    runtime: Runtime,
    pin: str,
    *,
    client_ip: str | None,
    email: str | None = None,
    phone: str | None = None,
    caller_number: str | None = None,
    called_number: str | None = None,
) -> SignedIn:
    """Check a voice PIN under the brute-force limits.

    Args:
        runtime: The process runtime.
        pin: The PIN as typed or keyed.
        client_ip: The client's address (a lockout key), if meaningful.
        email: The user the caller claims to be (must match the PIN's user).
        phone: The user's phone number the caller claims (must match; also a lockout key).
        caller_number: The number a phone call comes from (a lockout key only: a user
            may call from any phone).
        called_number: The phone line a call dialled (a shared budget: guesses spread
            over many caller numbers still add up per line).

    Raises:
        RateLimitedError: The IP, user, number or a shared budget is locked out, or the
            PIN's user is locked out (whatever credential locked them).
        AuthenticationError: The PIN is malformed or wrong (the failure is counted).
    """
    limiter = LoginLimiter(runtime.store, runtime.settings, runtime.metrics)
    keys = _limit_keys(client_ip, email, phone, caller_number, called_number)
    await limiter.check(keys)
    signed_in: SignedIn | None = None
    if len(pin) <= MAX_PIN_LENGTH:
        try:
            signed_in = await _user_for_pin(runtime, validate_pin(pin), email, phone)
        except InvalidInputError:
            signed_in = None
    if signed_in is None:
        # Short guesses can only match the older, shorter PINs: they cost the budgets double.
        weight = 1 if pin.isascii() and len(pin) >= NEW_PIN_DIGITS else 2
        await limiter.failed(keys, reason="wrong or malformed PIN", weight=weight)
        raise AuthenticationError("wrong PIN")
    await limiter.check({USER: signed_in.email})  # one lockout per user, any credential
    await limiter.succeeded(keys[USER])
    return signed_in
