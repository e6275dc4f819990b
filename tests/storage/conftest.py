"""Storage tests run every database test on SQLite and PostgreSQL, every Redis test on both."""

from tests.fakes.backends import (  # noqa: F401  (fixtures)
    database,
    db_settings,
    redis_settings,
    redis_store,
)
