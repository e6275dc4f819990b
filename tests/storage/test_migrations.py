"""Migrations: empty → head → base on both backends, and no drift from the models."""

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from convonet.errors import StorageError
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import create_engine
from convonet.storage.models import Base, utcnow
from tests.fakes.backends import storage_settings

ALL_TABLES = set(Base.metadata.tables)


async def _inspect(settings: Settings, look: Any) -> Any:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _check_names(connection: Connection) -> dict[str, set[str]]:
    inspector = inspect(connection)
    return {
        table: {str(check["name"]) for check in inspector.get_check_constraints(table)}
        for table in ALL_TABLES
    }


async def test_upgrade_from_empty_to_head_and_back_to_base(db_settings: Settings) -> None:
    assert await migrate.current_revision(db_settings) is None
    assert not await migrate.is_up_to_date(db_settings)

    await migrate.upgrade(db_settings)
    assert await migrate.current_revision(db_settings) == migrate.head_revision()
    assert await migrate.is_up_to_date(db_settings)
    assert await _inspect(db_settings, _tables) == ALL_TABLES | {"alembic_version"}

    await migrate.upgrade(db_settings)  # already at head: a no-op
    await migrate.downgrade(db_settings, "base")
    assert await migrate.current_revision(db_settings) is None
    assert await _inspect(db_settings, _tables) <= {"alembic_version"}

    await migrate.upgrade(db_settings, "head")  # and up again from base
    assert await migrate.is_up_to_date(db_settings)


async def test_migrated_schema_matches_the_models(db_settings: Settings) -> None:
    await migrate.upgrade(db_settings)
    assert await _inspect(db_settings, _drift) == []
    expected = {
        table.name: {
            str(check.name)
            for check in table.constraints
            if check.__class__.__name__ == "CheckConstraint"
        }
        for table in Base.metadata.tables.values()
    }
    assert await _inspect(db_settings, _check_names) == expected


async def test_0002_renames_agent_states_both_ways(db_settings: Settings) -> None:
    def agents(connection: Connection) -> list[tuple[str, str]]:
        rows = connection.execute(text("SELECT extension, state FROM call_center_agents"))
        return sorted((str(ext), str(state)) for ext, state in rows)

    def seed(connection: Connection) -> None:
        connection.execute(
            text(
                "INSERT INTO users (id, email, name, timezone, is_active, created_at, updated_at)"
                " VALUES ('u1', 'a@x.test', 'A', 'UTC', true, :t, :t),"
                " ('u2', 'b@x.test', 'B', 'UTC', true, :t, :t)"
            ),
            {"t": utcnow()},
        )
        connection.execute(
            text(
                "INSERT INTO call_center_agents (id, user_id, extension, state, state_since,"
                " created_at) VALUES ('a1', 'u1', '3001', 'available', :t, :t),"
                " ('a2', 'u2', '3002', 'away', :t, :t)"
            ),
            {"t": utcnow()},
        )

    await migrate.upgrade(db_settings, "0001")
    engine = create_engine(db_settings)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(seed)
    finally:
        await engine.dispose()
    await migrate.upgrade(db_settings, "0002")
    assert await _inspect(db_settings, agents) == [("3001", "ready"), ("3002", "not_ready")]
    await migrate.downgrade(db_settings, "0001")
    assert await _inspect(db_settings, agents) == [("3001", "available"), ("3002", "away")]


async def test_unknown_revision_is_a_storage_error(db_settings: Settings) -> None:
    with pytest.raises(StorageError, match="migration failed"):
        await migrate.upgrade(db_settings, "nonexistent")
    with pytest.raises(StorageError, match="migration failed"):
        await migrate.downgrade(db_settings, "nonexistent")


async def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = storage_settings(tmp_path / "nested" / "data")
    await migrate.upgrade(settings)
    assert (tmp_path / "nested" / "data" / "convonet.db").is_file()


def test_database_url_normalization(tmp_path: Path) -> None:
    assert storage_settings(tmp_path).resolved_database_url == (
        f"sqlite+aiosqlite:///{tmp_path / 'convonet.db'}"
    )
    for given, resolved in [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:////x/y.db", "sqlite+aiosqlite:////x/y.db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ]:
        assert storage_settings(tmp_path, database_url=given).resolved_database_url == resolved
