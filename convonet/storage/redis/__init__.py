"""Everything Convonet keeps in Redis, one module per feature.

Each feature store (:class:`SessionStore`, :class:`TokenStore`, :class:`FailureStore`,
:class:`HistoryStore`, :class:`TransferStore`, :class:`PubSubStore`, :class:`TurnStore`,
:class:`AgentStore`) holds its own records and methods on a shared client;
:mod:`~convonet.storage.redis.keys` is the one place key names are formatted.
:class:`RedisStore` combines them on one client for the runtime; code that needs one feature
can depend on that feature's store type alone.
"""

from typing import Self

from convonet.settings import Settings
from convonet.storage.redis.agents import AgentLive, AgentStore, LiveCall
from convonet.storage.redis.client import (
    SESSION_ID_PATTERN,
    TOKEN_PATTERN,
    RedisFeature,
    create_redis,
)
from convonet.storage.redis.failures import FailureStore
from convonet.storage.redis.history import HistoryStore
from convonet.storage.redis.keys import Keys
from convonet.storage.redis.pubsub import PubSubStore
from convonet.storage.redis.sessions import CallSessionRecord, SessionStore
from convonet.storage.redis.tokens import TokenStore
from convonet.storage.redis.transfers import TransferRecord, TransferStore
from convonet.storage.redis.turns import STREAM_ID_PATTERN, TurnPage, TurnStore

__all__ = [
    "SESSION_ID_PATTERN",
    "STREAM_ID_PATTERN",
    "TOKEN_PATTERN",
    "AgentLive",
    "AgentStore",
    "CallSessionRecord",
    "FailureStore",
    "HistoryStore",
    "Keys",
    "LiveCall",
    "PubSubStore",
    "RedisFeature",
    "RedisStore",
    "SessionStore",
    "TokenStore",
    "TransferRecord",
    "TransferStore",
    "TurnPage",
    "TurnStore",
    "create_redis",
]


class RedisStore(
    AgentStore,
    SessionStore,
    TokenStore,
    FailureStore,
    HistoryStore,
    TransferStore,
    PubSubStore,
    TurnStore,
):
    """Every feature store on one client (what the runtime opens and shares)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """A store on the client :func:`create_redis` makes for ``settings``."""
        return cls(create_redis(settings))

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self.redis.aclose()
