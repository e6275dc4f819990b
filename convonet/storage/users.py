"""User accounts: creation, listing, voice PINs and passwords (used by the CLI and auth).

Voice PINs are 4 to 8 digits (new PINs at least 6: shorter ones predate that rule and are
still accepted at sign-in), stored as a keyed HMAC-SHA256 (hex) under
``Settings.pin_hash_secret``: deterministic, so ``find_by_pin`` looks a PIN up directly and
the unique index guarantees one user per PIN; keyed, so a leaked table does not reveal PINs
without the secret. Passwords are bcrypt hashes (hashed off the event loop).

Every function takes an open :class:`AsyncSession` and only flushes; the caller's unit of
work (``Database.session()``) commits.
"""

import asyncio
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

import bcrypt
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.errors import DuplicateError, InvalidInputError, InvalidPinError, RecordNotFoundError
from convonet.storage.models import Role, User

PIN_PATTERN = re.compile(r"[0-9]{4,8}")
NEW_PIN_DIGITS = 6  # new and changed PINs; shorter existing ones still sign in
EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
PHONE_PATTERN = re.compile(r"\+[1-9][0-9]{6,14}")
MAX_EMAIL = 320
MAX_NAME = 200
BCRYPT_MAX_BYTES = 72
MIN_PASSWORD = 8


def validate_pin(pin: str) -> str:
    """Return ``pin`` if it is 4 to 8 ASCII digits.

    Raises:
        InvalidPinError: Anything else (empty, letters, too short or long).
    """
    if not isinstance(pin, str) or PIN_PATTERN.fullmatch(pin) is None:
        raise InvalidPinError("a PIN is 4 to 8 digits")
    return pin


def validate_new_pin(pin: str) -> str:
    """Return ``pin`` if it may be given to a user now: 6 to 8 ASCII digits.

    Raises:
        InvalidPinError: Malformed, or fewer than 6 digits.
    """
    if len(validate_pin(pin)) < NEW_PIN_DIGITS:
        raise InvalidPinError(f"a new PIN needs at least {NEW_PIN_DIGITS} digits")
    return pin


def hash_pin(pin: str, secret: SecretStr | str) -> str:
    """The keyed hash stored for ``pin``: HMAC-SHA256 under ``secret``, hex.

    Raises:
        InvalidPinError: ``pin`` is not 4 to 8 digits.
    """
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    digest = hmac.new(key.encode(), validate_pin(pin).encode(), hashlib.sha256)
    return digest.hexdigest()


def validate_password(password: str) -> str:
    """Return ``password`` if bcrypt can hash it and it is not trivially short.

    Raises:
        InvalidInputError: Shorter than 8 characters or longer than bcrypt's 72 bytes.
    """
    if len(password) < MIN_PASSWORD or len(password.encode()) > BCRYPT_MAX_BYTES:
        raise InvalidInputError(
            f"a password is {MIN_PASSWORD} characters to {BCRYPT_MAX_BYTES} bytes long"
        )
    return password


def hash_password(password: str) -> str:
    """A bcrypt hash of ``password`` (blocking, ~0.2 s: call it off the event loop).

    Raises:
        InvalidInputError: See :func:`validate_password`.
    """
    return bcrypt.hashpw(validate_password(password).encode(), bcrypt.gensalt()).decode()


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches ``password_hash`` (blocking; ``False`` if unusable)."""
    encoded = password.encode()
    if password_hash is None or not encoded or len(encoded) > BCRYPT_MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(encoded, password_hash.encode())
    except ValueError:  # not a bcrypt hash
        return False


@functools.cache
def _dummy_hash() -> str:
    """A bcrypt hash of a random password, made once (same cost as real hashes)."""
    return bcrypt.hashpw(secrets.token_bytes(16).hex().encode(), bcrypt.gensalt()).decode()


async def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s password, checked off the event loop.

    Without a user (unknown email) or without a password hash the password is checked
    against a dummy hash, so the answer takes as long as for a real account and response
    times do not reveal which emails exist.
    """
    real = user.password_hash if user is not None else None
    return await asyncio.to_thread(_verify_or_dummy, password, real)


def _verify_or_dummy(password: str, password_hash: str | None) -> bool:
    matched = verify_password(password, password_hash or _dummy_hash())
    return matched and password_hash is not None


def normalize_email(email: str) -> str:
    """Trimmed, lower-cased ``email``.

    Raises:
        InvalidInputError: Not an address.
    """
    value = email.strip().lower()
    if len(value) > MAX_EMAIL or EMAIL_PATTERN.fullmatch(value) is None:
        raise InvalidInputError(f"not an email address: {email[:80]!r}")
    return value


def normalize_phone(phone: str) -> str:
    """``phone`` in E.164 (``+15551234567``), with spaces, dashes, dots and brackets removed.

    Raises:
        InvalidInputError: Not an E.164 number.
    """
    value = re.sub(r"[\s\-().]", "", phone)
    if PHONE_PATTERN.fullmatch(value) is None:
        raise InvalidInputError(f"not an E.164 phone number (+15551234567): {phone[:40]!r}")
    return value


def parse_roles(roles: Iterable[str]) -> set[Role]:
    """Roles from their names; ``user`` when none are given.

    Raises:
        InvalidInputError: An unknown role name.
    """
    parsed: set[Role] = set()
    for name in roles:
        try:
            parsed.add(Role(name.strip().lower()))
        except ValueError:
            allowed = ", ".join(role.value for role in Role)
            raise InvalidInputError(f"unknown role {name[:40]!r} (one of: {allowed})") from None
    return parsed or {Role.USER}


def _clean_name(name: str) -> str:
    value = " ".join(name.split())
    if not value or len(value) > MAX_NAME:
        raise InvalidInputError(f"a name is 1 to {MAX_NAME} characters")
    return value


async def _ensure_free(session: AsyncSession, user: User | None, **unique: str | None) -> None:
    for column, value in unique.items():
        if value is None:
            continue
        found = await session.scalar(select(User).where(getattr(User, column) == value))
        if found is not None and found is not user:
            what = "PIN" if column == "voice_pin_hash" else column
            raise DuplicateError(f"another user already has this {what}")


async def _flush(session: AsyncSession) -> None:
    """Flush, turning a unique-constraint race into :class:`DuplicateError`."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise DuplicateError("a user with this email, phone or PIN already exists") from error


async def create_user(
    session: AsyncSession,
    *,
    pin_secret: SecretStr | str,
    email: str,
    name: str,
    password: str | None = None,
    pin: str | None = None,
    roles: Iterable[str] = (),
    phone: str | None = None,
    timezone: str = "UTC",
) -> User:
    """Create a user after validating every field.

    Args:
        session: The unit of work to add the user to (flushed, not committed).
        pin_secret: ``Settings.pin_hash_secret``.
        email: Unique address (stored lower-cased).
        name: Display name, used in greetings.
        password: For dashboard/REST login (8 characters to 72 bytes); none means no login.
        pin: Voice PIN, 6 to 8 digits, unique across users.
        roles: Role names (``user``, ``agent``, ``supervisor``, ``admin``); ``user`` if none.
        phone: E.164 caller number, unique across users.
        timezone: IANA time zone name.

    Returns:
        The new user, with its id assigned.

    Raises:
        InvalidInputError: A malformed field (:class:`InvalidPinError` for the PIN).
        DuplicateError: The email, phone or PIN belongs to another user.
    """
    user = User(
        email=normalize_email(email),
        name=_clean_name(name),
        phone=normalize_phone(phone) if phone else None,
        voice_pin_hash=hash_pin(validate_new_pin(pin), pin_secret) if pin is not None else None,
        timezone=timezone,
    )
    user.set_roles(parse_roles(roles))
    if password is not None:
        validate_password(password)
    await _ensure_free(
        session, None, email=user.email, phone=user.phone, voice_pin_hash=user.voice_pin_hash
    )
    if password is not None:
        user.password_hash = await asyncio.to_thread(hash_password, password)
    session.add(user)
    await _flush(session)
    return user


async def list_users(session: AsyncSession) -> list[User]:
    """Every user, ordered by email (roles loaded)."""
    return list((await session.scalars(select(User).order_by(User.email))).all())


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with ``email`` (case-insensitive), or ``None``."""
    try:
        address = normalize_email(email)
    except InvalidInputError:
        return None
    return await session.scalar(select(User).where(User.email == address))


async def require_by_email(session: AsyncSession, email: str) -> User:
    """The user with ``email``.

    Raises:
        RecordNotFoundError: No such user.
    """
    user = await get_by_email(session, email)
    if user is None:
        raise RecordNotFoundError(f"no user with email {email[:80]!r}")
    return user


async def get_by_phone(session: AsyncSession, phone: str) -> User | None:
    """The user whose caller number is ``phone``, or ``None``."""
    try:
        number = normalize_phone(phone)
    except InvalidInputError:
        return None
    return await session.scalar(select(User).where(User.phone == number))


async def set_pin(
    session: AsyncSession,
    user: User,
    pin: str | None,
    *,
    pin_secret: SecretStr | str,
    legacy_length: bool = False,
) -> User:
    """Give ``user`` a new voice PIN (``None`` removes it).

    Args:
        session: The unit of work.
        user: Whose PIN.
        pin: 6 to 8 digits, or ``None``.
        pin_secret: ``Settings.pin_hash_secret``.
        legacy_length: Also accept 4 or 5 digits (only the test fixture's demo PIN).

    Raises:
        InvalidPinError: ``pin`` is malformed or too short.
        DuplicateError: Another user has this PIN.
    """
    if pin is not None and not legacy_length:
        validate_new_pin(pin)
    pin_hash = hash_pin(pin, pin_secret) if pin is not None else None
    await _ensure_free(session, user, voice_pin_hash=pin_hash)
    user.voice_pin_hash = pin_hash
    await _flush(session)
    return user


async def set_password(session: AsyncSession, user: User, password: str | None) -> User:
    """Give ``user`` a new password (``None`` disables password login).

    Raises:
        InvalidInputError: The password is too short or too long.
    """
    user.password_hash = (
        await asyncio.to_thread(hash_password, password) if password is not None else None
    )
    await _flush(session)
    return user


async def find_by_pin(
    session: AsyncSession, pin: str, *, pin_secret: SecretStr | str
) -> User | None:
    """The active user whose voice PIN is ``pin``; ``None`` for unknown or malformed PINs."""
    try:
        pin_hash = hash_pin(pin, pin_secret)
    except InvalidPinError:
        return None
    return await session.scalar(
        select(User).where(User.voice_pin_hash == pin_hash, User.is_active.is_(True))
    )
