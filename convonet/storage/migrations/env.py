"""Alembic environment for Convonet, async-aware and configured from :class:`Settings`.

:mod:`convonet.storage.migrate` hands over an open connection in
``config.attributes["connection"]``. When Alembic's own command line runs this file instead,
the database comes from ``Settings`` (``DATABASE_URL``), never from ``alembic.ini``.
SQLite migrations use batch mode (table re-creation) so ``ALTER`` works there too.
"""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from convonet.settings import Settings
from convonet.storage.db import create_engine
from convonet.storage.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(settings: Settings) -> None:
    engine = create_engine(settings, foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline(settings: Settings) -> None:
    url = settings.resolved_database_url
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Run the migrations Alembic asked for."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    settings = context.config.attributes.get("settings") or Settings()
    if context.is_offline_mode():
        _run_offline(settings)
    else:
        asyncio.run(_run_with_own_engine(settings))


main()
