"""Storage tests run every database test on SQLite and PostgreSQL, every Redis test on both.

The fixtures (``database``, ``db_settings``, ``redis_store``, ...) come from
``tests.fakes.backends``, registered as a plugin in the root conftest.
"""
