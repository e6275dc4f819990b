"""Alembic scripts of the Convonet schema (run them with :mod:`convonet.storage.migrate`)."""
