"""Issue 15.8: the demo user exists only in development (and tests), never as an admin."""

from pathlib import Path

from convonet.runtime import prepare_database
from convonet.storage.db import Database
from convonet.storage.seed import DEMO_EMAIL, DEMO_PIN, demo_credentials
from convonet.storage.users import find_by_pin, get_by_email
from tests.fakes.backends import storage_settings


async def _demo(settings):  # type: ignore[no-untyped-def]
    async with Database.from_settings(settings) as db:
        await prepare_database(settings, db)
        async with db.session() as session:
            return await get_by_email(session, DEMO_EMAIL)


async def test_development_seeds_a_plain_demo_user_with_its_own_credentials(
    tmp_path: Path,
) -> None:
    settings = storage_settings(tmp_path, environment="development")
    demo = await _demo(settings)
    assert demo is not None and demo.roles == ["agent", "user"]  # agent: the call-center demo
    credentials = demo_credentials(settings)
    assert credentials.pin != DEMO_PIN and len(credentials.pin) >= 6
    assert credentials.password != "demo-password"
    async with Database.from_settings(settings) as db, db.session() as session:
        found = await find_by_pin(session, credentials.pin, pin_secret=settings.pin_hash_secret)
        assert found is not None and found.email == DEMO_EMAIL
    # The same data directory keeps the same credentials.
    assert demo_credentials(settings) == credentials


async def test_production_seeds_no_demo_user(tmp_path: Path) -> None:
    settings = storage_settings(
        tmp_path, environment="production", jwt_secret="j" * 40, pin_hash_secret="p" * 40
    )
    assert await _demo(settings) is None
