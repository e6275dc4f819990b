"""The SQL database: async engine, session factory and the :class:`Database` handle.

``Settings.resolved_database_url`` picks the backend: a SQLite file in the data directory by
default (aiosqlite), or PostgreSQL (asyncpg) when ``DATABASE_URL`` says so. SQLite connections
get ``foreign_keys=ON`` (so ``ON DELETE`` rules hold), WAL journaling for file databases and a
busy timeout; PostgreSQL connections get ``search_path`` set when ``DATABASE_SCHEMA`` is.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from convonet.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str | URL) -> bool:
    """Whether ``url`` names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _install_sqlite_pragmas(engine: AsyncEngine, *, foreign_keys: bool, wal: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()


def create_engine(settings: Settings, *, foreign_keys: bool = True, **kwargs: Any) -> AsyncEngine:
    """Create the async engine the settings describe (nothing connects until first use).

    Args:
        settings: Where the database is (``resolved_database_url``, ``database_schema``).
        foreign_keys: SQLite only: enforce foreign keys. Migrations turn this off, because
            SQLite's batch mode re-creates tables and must not fire ``ON DELETE`` rules.
        **kwargs: Passed to :func:`sqlalchemy.ext.asyncio.create_async_engine`.

    Returns:
        The engine; call ``await engine.dispose()`` when done.
    """
    url = make_url(settings.resolved_database_url)
    if is_sqlite(url):
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        _install_sqlite_pragmas(engine, foreign_keys=foreign_keys, wal=path is not None)
        return engine
    if url.get_backend_name() == "postgresql":
        connect_args = dict(kwargs.pop("connect_args", {}))
        # In an outage a request fails within seconds (503 with a reason), never hangs.
        connect_args.setdefault("timeout", settings.database_connect_timeout_secs)
        if settings.database_schema:
            server_settings = dict(connect_args.get("server_settings", {}))
            server_settings["search_path"] = settings.database_schema
            connect_args["server_settings"] = server_settings
        kwargs["connect_args"] = connect_args
        kwargs.setdefault("pool_timeout", settings.database_connect_timeout_secs)
    # A pooled connection that died in an outage is replaced on checkout, not handed out.
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory bound to ``engine`` (objects stay usable after commit)."""
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """An engine plus its session factory: what a runtime or a CLI command holds.

    Use as ``async with Database.from_settings(settings) as db:`` (disposes on exit) or
    call :meth:`dispose` yourself.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessionmaker = create_sessionmaker(engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Create the database handle the settings describe."""
        return cls(create_engine(settings))

    @property
    def is_sqlite(self) -> bool:
        """Whether the backend is SQLite."""
        return is_sqlite(self.engine.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends normally, rolls back on error.

        Yields:
            The session.
        """
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.dispose()
