"""Migrations: empty → head → base on both backends, and no drift from the models."""

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from convonet.errors import StorageError
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import create_engine
from convonet.storage.models import Base
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
