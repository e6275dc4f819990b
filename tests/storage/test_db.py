"""The engine and unit of work: pragmas, schema isolation, commit/rollback; env.py's own paths."""

import asyncio
import io

import pytest
from alembic import command
from sqlalchemy import func, select, text

from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database, create_engine
from convonet.storage.models import User


async def test_connection_settings(database: Database, db_settings: Settings) -> None:
    async with database.engine.connect() as connection:
        if database.is_sqlite:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        else:
            schema = (await connection.execute(text("SELECT current_schema()"))).scalar()
            assert schema == db_settings.database_schema
            tables = await connection.execute(
                text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = :s AND tablename = 'users'"
                ),
                {"s": db_settings.database_schema},
            )
            assert tables.scalar() == 1


async def test_migration_engine_leaves_sqlite_foreign_keys_off(db_settings: Settings) -> None:
    engine = create_engine(db_settings, foreign_keys=False)
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 0
    finally:
        await engine.dispose()


async def test_session_commits_on_success_and_rolls_back_on_error(database: Database) -> None:
    async with database.session() as session:
        session.add(User(email="kept@example.com", name="Kept"))
    with pytest.raises(RuntimeError, match="boom"):
        async with database.session() as session:
            session.add(User(email="lost@example.com", name="Lost"))
            await session.flush()
            raise RuntimeError("boom")
    async with database.session() as session:
        emails = (await session.scalars(select(User.email))).all()
        assert emails == ["kept@example.com"]
        assert await session.scalar(select(func.count()).select_from(User)) == 1


def test_env_py_runs_from_alembic_commands_too(db_settings: Settings) -> None:
    """Without a handed-over connection env.py builds its own engine (or emits SQL offline)."""
    offline = migrate.alembic_config(db_settings)
    offline.output_buffer = io.StringIO()
    command.upgrade(offline, "head", sql=True)  # SQL only, nothing executed
    assert "CREATE TABLE users" in offline.output_buffer.getvalue()
    assert asyncio.run(migrate.current_revision(db_settings)) is None

    command.upgrade(migrate.alembic_config(db_settings), "head")  # online, its own engine
    assert asyncio.run(migrate.current_revision(db_settings)) == migrate.head_revision()
    current = migrate.alembic_config(db_settings)
    current.stdout = io.StringIO()
    command.current(current)
    assert f"{migrate.head_revision()} (head)" in current.stdout.getvalue()
