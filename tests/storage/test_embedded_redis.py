"""The embedded Redis: the server process's in-memory client and TCP clients share one store."""

import asyncio
from pathlib import Path

import redis.asyncio as aioredis

from convonet.storage.embedded_redis import EmbeddedRedisServer
from convonet.storage.redis import create_redis
from tests.conftest import test_settings as make_settings


async def test_in_memory_and_tcp_clients_share_data_and_pubsub(tmp_path: Path) -> None:
    with EmbeddedRedisServer() as embedded:
        local = create_redis(make_settings(tmp_path), fake_server=embedded.fake_server)
        remote = aioredis.Redis.from_url(embedded.url, decode_responses=True)
        try:
            # A tool subprocess writes over TCP; the server process reads it in memory, and back.
            await remote.set("transfer:abc", "requested")
            assert await local.get("transfer:abc") == "requested"
            await local.hset("session:abc", mapping={"user": "u1"})
            assert await remote.hgetall("session:abc") == {"user": "u1"}

            # Pub/sub crosses between the two kinds of client.
            pubsub = local.pubsub()
            await pubsub.subscribe("events")
            await pubsub.get_message(timeout=1)  # the subscribe confirmation
            assert await remote.publish("events", "hello") == 1
            message = None
            for _ in range(50):
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                if message:
                    break
                await asyncio.sleep(0.01)
            assert message is not None and message["data"] == "hello"
            await pubsub.aclose()
        finally:
            await local.aclose()
            await remote.aclose()
