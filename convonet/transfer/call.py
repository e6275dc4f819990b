"""The side of a transfer that runs with the call: what happens when its state changes.

The process running a call's pipeline learns of every change of its transfer (from the
``transfer-events`` channel, whoever made the change: the phrase detector, the agent's tool
in a tool subprocess, a Twilio callback on another process) and does the call's part:
on ``requested`` it writes the agent's context and the call's history from the conversation
actually spoken and, for a phone call, has Twilio dial the agent (``initiated``; a refusal
or fault fails the transfer and the caller hears why); on ``connected`` or ``failed`` it
records the outcome.
"""

from collections.abc import Awaitable, Callable, Sequence

from loguru import logger
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from convonet.errors import StorageError, TransferError
from convonet.session import CallSession
from convonet.storage.db import Database
from convonet.storage.redis import RedisStore, TransferRecord
from convonet.transfer.phone import PhoneLeg
from convonet.transfer.records import record_outcome, record_request
from convonet.transfer.service import TransferService

Conversation = Callable[[], Sequence[object]]
Say = Callable[[str], Awaitable[None]]


def apology(reason: str) -> str:
    """What the caller hears when the transfer cannot go ahead."""
    return f"I'm sorry, I can't transfer you right now: {reason}. I'm still here to help."


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
        phone_leg: PhoneLeg | None = None,
        say: Say | None = None,
        crm: bool = False,
    ) -> None:
        """Create the handler.

        Args:
            db: The application database.
            store: The Redis store.
            session: The call.
            conversation: The conversation so far (``{"role", "content"}`` messages).
            context_ttl_secs: Lifetime of the agent's context in Redis.
            phone_leg: How the call reaches the agent (Twilio calls); ``None`` = not yet.
            say: Speaks a line to the caller.
            crm: Also queue the transfer's Case and Note for the CRM (CRM sync is on).
        """
        self._db = db
        self._store = store
        self._session = session
        self._conversation = conversation
        self._ttl = context_ttl_secs
        self._phone_leg = phone_leg
        self._say = say
        self._crm = crm

    async def changed(self, record: TransferRecord) -> None:
        """Do the call's part of a change; storage or state trouble is logged, never raised."""
        try:
            if record.status == "requested":
                await record_request(
                    self._db,
                    self._store,
                    self._session,
                    record,
                    self._conversation(),
                    context_ttl_secs=self._ttl,
                    crm=self._crm,
                )
                await self._connect(record)
            elif record.status in ("connected", "failed"):
                await record_outcome(self._db, self._session, record, crm=self._crm)
        except (SQLAlchemyError, RedisError, StorageError, TransferError) as exc:
            logger.warning(f"session {self._session.session_id}: transfer not handled: {exc}")

    async def _connect(self, record: TransferRecord) -> None:
        if self._phone_leg is None:
            return
        service = TransferService(self._store)
        try:
            await self._phone_leg.dial(record)
        except TransferError as exc:
            logger.warning(f"session {self._session.session_id}: transfer refused: {exc}")
            await service.advance(record.session_id, "failed", failure=str(exc))
            if self._say is not None:
                await self._say(apology(str(exc)))
            return
        await service.advance(record.session_id, "initiated", call_sid=self._phone_leg.call_sid)
