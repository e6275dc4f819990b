"""Persistent storage: the SQL database (models, migrations, services) and the Redis store.

Nothing here connects at import time; engines and Redis clients are created by functions
(:func:`convonet.storage.db.create_engine`, :func:`convonet.storage.redis.create_redis`).
"""
