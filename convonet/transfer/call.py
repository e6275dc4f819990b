"""The side of a transfer that runs with the call: what happens when its state changes.

The process running a call's pipeline learns of every change of its transfer (from the
``transfer-events`` channel, whoever made the change: the phrase detector, the agent's tool
in a tool subprocess, a Twilio callback on another process) and does the call's part:
on ``requested`` it writes the agent's context and the call's history from the conversation
actually spoken; on ``connected`` or ``failed`` it records the outcome.
"""

from collections.abc import Callable, Sequence

from loguru import logger
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from convonet.session import CallSession
from convonet.storage.db import Database
from convonet.storage.redis import RedisStore, TransferRecord
from convonet.transfer.records import record_outcome, record_request

Conversation = Callable[[], Sequence[object]]


class CallTransfer:
    """Reacts to the changes of one call's transfer."""

    def __init__(
        self,
        db: Database,
        store: RedisStore,
        session: CallSession,
        conversation: Conversation,
        *,
        context_ttl_secs: float,
    ) -> None:
        """Create the handler.

        Args:
            db: The application database.
            store: The Redis store.
            session: The call.
            conversation: The conversation so far (``{"role", "content"}`` messages).
            context_ttl_secs: Lifetime of the agent's context in Redis.
        """
        self._db = db
        self._store = store
        self._session = session
        self._conversation = conversation
        self._ttl = context_ttl_secs

    async def changed(self, record: TransferRecord) -> None:
        """Do the call's part of a change; storage trouble is logged, never raised."""
        try:
            if record.status == "requested":
                await record_request(
                    self._db,
                    self._store,
                    self._session,
                    record,
                    self._conversation(),
                    context_ttl_secs=self._ttl,
                )
            elif record.status in ("connected", "failed"):
                await record_outcome(self._db, self._session, record)
        except (SQLAlchemyError, RedisError) as exc:
            logger.warning(f"session {self._session.session_id}: transfer not recorded: {exc}")
