"""Run the schema migrations from code or the command line (``convonet db upgrade``).

Alembic is configured here, without an ``alembic.ini``: the scripts live in the package
(``convonet/storage/migrations``) and the database comes from :class:`Settings`.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection

from convonet.errors import StorageError
from convonet.settings import Settings
from convonet.storage.db import create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings | None = None) -> Config:
    """The Alembic configuration of the packaged migration scripts.

    Args:
        settings: Where ``env.py`` connects when no connection is handed over.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if settings is not None:
        config.attributes["settings"] = settings
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a revision
        raise StorageError("no migration scripts found")
    return head


async def _with_connection(settings: Settings, work: Callable[[Connection], Any]) -> Any:
    engine = create_engine(settings, foreign_keys=False)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


def _command(settings: Settings, run: Callable[[Config], None]) -> Callable[[Connection], None]:
    def work(connection: Connection) -> None:
        config = alembic_config(settings)
        config.attributes["connection"] = connection
        try:
            run(config)
        except CommandError as error:
            raise StorageError(f"migration failed: {error}") from error

    return work


async def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate the settings' database up to ``revision`` (creating it if it is empty).

    Raises:
        StorageError: The revision is unknown or a migration failed.
    """
    await _with_connection(settings, _command(settings, lambda c: command.upgrade(c, revision)))


async def downgrade(settings: Settings, revision: str) -> None:
    """Migrate the settings' database down to ``revision`` (``"base"`` drops everything).

    Raises:
        StorageError: The revision is unknown or a migration failed.
    """
    await _with_connection(settings, _command(settings, lambda c: command.downgrade(c, revision)))


async def current_revision(settings: Settings) -> str | None:
    """The revision the database is at (``None`` when it was never migrated)."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    result: str | None = await _with_connection(settings, read)
    return result


async def is_up_to_date(settings: Settings) -> bool:
    """Whether the database is at the newest revision."""
    return await current_revision(settings) == head_revision()
