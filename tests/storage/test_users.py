"""The user service: validation, PIN hashing and lookup, passwords, uniqueness."""

import asyncio
from typing import Any

import pytest
from pydantic import SecretStr

from convonet.errors import DuplicateError, InvalidInputError, InvalidPinError, RecordNotFoundError
from convonet.storage import users
from convonet.storage.db import Database
from tests.fakes.backends import TEST_PIN_SECRET

SECRET = SecretStr(TEST_PIN_SECRET)
BAD_PINS = [
    "",
    "123",
    "123456789",
    "12a4",
    "12 34",
    " 1234",
    "1234\n",
    "\uff11\uff12\uff13\uff14",
    "9" * 10_000,
]


async def _create(db: Database, email: str = "ann@example.com", **fields: Any) -> str:
    async with db.session() as session:
        user = await users.create_user(
            session, pin_secret=SECRET, email=email, name=fields.pop("name", "Ann"), **fields
        )
        return user.id


@pytest.mark.parametrize("pin", BAD_PINS)
def test_bad_pins_are_refused(pin: str) -> None:
    with pytest.raises(InvalidPinError, match="4 to 8 digits"):
        users.hash_pin(pin, SECRET)


def test_pin_hash_is_keyed_and_deterministic() -> None:
    one = users.hash_pin("1234", SECRET)
    assert one == users.hash_pin("1234", TEST_PIN_SECRET)  # SecretStr or plain str
    assert len(one) == 64 and int(one, 16) >= 0
    assert one != users.hash_pin("1234", "another-secret")
    assert one != users.hash_pin("12345", SECRET)
    assert "1234" not in one


def test_passwords() -> None:
    hashed = users.hash_password("correct horse")
    assert hashed.startswith("$2") and "correct horse" not in hashed
    assert users.verify_password("correct horse", hashed)
    assert not users.verify_password("wrong horse!", hashed)
    assert not users.verify_password("", hashed)
    assert not users.verify_password("x" * 100, hashed)
    assert not users.verify_password("correct horse", None)
    assert not users.verify_password("correct horse", "not-a-bcrypt-hash")
    for bad in ["short", "é" * 40]:  # too short; 80 bytes > bcrypt's 72
        with pytest.raises(InvalidInputError):
            users.hash_password(bad)


def test_normalization() -> None:
    assert users.normalize_email("  Ann@Example.COM ") == "ann@example.com"
    assert users.normalize_phone("+1 (555) 123-4567") == "+15551234567"
    assert users.parse_roles([]) == {users.Role.USER}
    assert users.parse_roles(["Admin", "agent"]) == {users.Role.ADMIN, users.Role.AGENT}
    for bad_email in ["", "ann", "ann@", "a b@example.com", "x" * 400 + "@example.com"]:
        with pytest.raises(InvalidInputError):
            users.normalize_email(bad_email)
    for bad_phone in ["", "5551234567", "+0123456789", "+1555abc4567", "+1" + "5" * 20]:
        with pytest.raises(InvalidInputError):
            users.normalize_phone(bad_phone)
    with pytest.raises(InvalidInputError, match="unknown role"):
        users.parse_roles(["emperor"])


async def test_create_find_and_list(database: Database) -> None:
    user_id = await _create(
        database,
        "Ann@Example.com",
        password="secret-pass",
        pin="432109",
        roles=["agent", "user"],
        phone="+1 555 000 1111",
    )
    await _create(database, "bob@example.com", name="Bob")
    async with database.session() as session:
        found = await users.find_by_pin(session, "432109", pin_secret=SECRET)
        assert found is not None and found.id == user_id
        assert found.email == "ann@example.com" and found.roles == ["agent", "user"]
        assert await users.check_password(found, "secret-pass")
        assert not await users.check_password(found, "secret-pasS")
        assert (await users.require_by_email(session, "ANN@example.com")).id == user_id
        phone_user = await users.get_by_phone(session, "+15550001111")
        assert phone_user is not None and phone_user.id == user_id
        assert [u.email for u in await users.list_users(session)] == [
            "ann@example.com",
            "bob@example.com",
        ]
        bob = await users.require_by_email(session, "bob@example.com")
        assert bob.roles == ["user"] and bob.password_hash is None and bob.voice_pin_hash is None


async def test_find_by_pin_misses(database: Database) -> None:
    await _create(database, pin="432109")
    async with database.session() as session:
        for pin in ["0000", "1234", "12345678", "43210", *BAD_PINS]:
            assert await users.find_by_pin(session, pin, pin_secret=SECRET) is None, pin
            assert await users.get_by_email(session, pin) is None
            assert await users.get_by_phone(session, pin) is None


async def test_inactive_users_are_not_found_by_pin(database: Database) -> None:
    await _create(database, pin="432109")
    async with database.session() as session:
        (await users.require_by_email(session, "ann@example.com")).is_active = False
    async with database.session() as session:
        assert await users.find_by_pin(session, "432109", pin_secret=SECRET) is None


async def test_duplicates_are_refused_with_a_clear_error(database: Database) -> None:
    await _create(database, pin="432109", phone="+15550001111")
    for fields, what in [
        ({"email": "ANN@example.com"}, "email"),
        ({"phone": "+1-555-000-1111"}, "phone"),
        ({"pin": "432109"}, "PIN"),
    ]:
        values = {"email": "new@example.com", **fields}
        with pytest.raises(DuplicateError, match=f"already has this {what}"):
            await _create(database, **values)
    async with database.session() as session:
        assert len(await users.list_users(session)) == 1


async def test_set_pin(database: Database) -> None:
    await _create(database, pin="111111")
    await _create(database, "bob@example.com")
    async with database.session() as session:
        bob = await users.require_by_email(session, "bob@example.com")
        with pytest.raises(DuplicateError, match="PIN"):
            await users.set_pin(session, bob, "111111", pin_secret=SECRET)
        with pytest.raises(InvalidPinError):
            await users.set_pin(session, bob, "11", pin_secret=SECRET)
        await users.set_pin(session, bob, "222222", pin_secret=SECRET)
        ann = await users.require_by_email(session, "ann@example.com")
        await users.set_pin(session, ann, "111111", pin_secret=SECRET)  # own PIN again: fine
    async with database.session() as session:
        found = await users.find_by_pin(session, "222222", pin_secret=SECRET)
        assert found is not None and found.email == "bob@example.com"
        await users.set_pin(session, found, None, pin_secret=SECRET)
    async with database.session() as session:
        assert await users.find_by_pin(session, "222222", pin_secret=SECRET) is None
        with pytest.raises(RecordNotFoundError, match=r"nobody@example\.com"):
            await users.require_by_email(session, "nobody@example.com")


async def test_set_password(database: Database) -> None:
    await _create(database)
    async with database.session() as session:
        ann = await users.require_by_email(session, "ann@example.com")
        await users.set_password(session, ann, "new-password")
        assert await users.check_password(ann, "new-password")
        with pytest.raises(InvalidInputError):
            await users.set_password(session, ann, "short")
        await users.set_password(session, ann, None)
        assert not await users.check_password(ann, "new-password")


INVALID_FIELDS: list[dict[str, Any]] = [
    {"name": ""},
    {"name": "x" * 201},
    {"email": "not-an-email"},
    {"email": "x" * 10_000},
    {"password": "short"},
    {"pin": "12a4"},
    {"pin": "1" * 10_000},
    {"roles": ["root"]},
    {"phone": "12"},
]


async def test_invalid_fields_write_nothing(database: Database) -> None:
    for fields in INVALID_FIELDS:
        with pytest.raises(InvalidInputError):
            await _create(database, **fields)
    async with database.session() as session:
        assert await users.list_users(session) == []


async def test_concurrent_creation_of_the_same_pin(database: Database) -> None:
    """Two sign-ups racing for one PIN: exactly one wins, the other gets a DuplicateError."""
    results = await asyncio.gather(
        _create(database, "a@example.com", pin="555555"),
        _create(database, "b@example.com", pin="555555"),
        return_exceptions=True,
    )
    assert sum(isinstance(result, str) for result in results) == 1, results
    assert sum(isinstance(result, DuplicateError) for result in results) == 1, results
