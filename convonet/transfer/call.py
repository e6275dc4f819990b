"""The side of a transfer that runs with the call: what happens when its state changes.

The process running a call's pipeline learns of every change of its transfer (from the
``transfer-events`` channel, whoever made the change: the phrase detector, the agent's tool
in a tool subprocess, a Twilio callback on another process) and does the call's part:
on ``requested`` it has the call's leg reach the agent (a phone call is moved to a
``<Dial>``, a browser caller gets a call placed to the agent; a refusal or fault fails the
transfer and the caller hears why), then writes the agent's context and the call's history
from the conversation actually spoken, and the transfer becomes ``initiated`` with its
``call_sid`` (for a call on a cloud LLM, the LLM's summary then replaces the extractive
one); on ``connected`` or ``failed`` it records the outcome (and a browser caller hears
that nobody took the call). When the caller hangs up while the agent's phone rings, the leg
is cancelled and the transfer fails as ``cancelled``.

The ``call_sid`` a transfer's context is stored under: the caller's Twilio call SID for a
phone call, the SID of the call placed to the agent for a browser caller, and for a text
session (no telephony at all) a generated ``text-{32 hex}`` id, recorded in the
``TransferRecord`` like the others.
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from loguru import logger
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from convonet.errors import StorageError, TransferError
from convonet.session import CallSession
from convonet.storage.db import Database
from convonet.storage.redis import RedisStore, TransferRecord
from convonet.transfer.records import record_outcome, record_request, record_summary
from convonet.transfer.service import TransferService
from convonet.transfer.state import under_way
from convonet.transfer.summary import Summarizer

Conversation = Callable[[], Sequence[object]]
Say = Callable[[str], Awaitable[None]]


CANCELLED = "cancelled"
# How the agent's leg can end unanswered (Twilio's call statuses): the caller hears NOBODY_FREE.
UNANSWERED = frozenset({"busy", "no-answer", "failed", "canceled", "completed"})
NOBODY_FREE = "I'm sorry, nobody is free to take your call right now. I'm back with you."


def apology(reason: str) -> str:
    """What the caller hears when the transfer cannot go ahead."""
    return f"I'm sorry, I can't transfer you right now: {reason}. I'm still here to help."


def text_call_id() -> str:
    """The ``call_sid`` of a text session's transfer (no telephony): ``text-{32 hex}``."""
    return f"text-{uuid.uuid4().hex}"


class Leg(Protocol):
    """How a call reaches the agent (:class:`~convonet.transfer.phone.PhoneLeg`, ...).

    Attributes:
        speaks_failure: Whether the bot tells the caller an unanswered transfer failed.
    """

    speaks_failure: bool

    @property
    def call_sid(self) -> str | None:
        """The Twilio call the agent's context is filed under, once known."""

    async def dial(self, record: TransferRecord) -> None:
        """Ring the agent; raises :class:`TransferError` when that cannot be done."""

    async def cancel(self, *, answered: bool) -> bool:
        """End the agent's leg because the caller left; whether there was one to end."""


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
        leg: Leg | None = None,
        say: Say | None = None,
        crm: bool = False,
        summarize: Summarizer | None = None,
    ) -> None:
        """Create the handler.

        Args:
            db: The application database.
            store: The Redis store.
            session: The call.
            conversation: The conversation so far (``{"role", "content"}`` messages).
            context_ttl_secs: Lifetime of the agent's context in Redis.
            leg: How the call reaches the agent; ``None`` for a text session (nobody is
                dialed; the call center takes the context from Redis).
            say: Speaks a line to the caller.
            crm: Also queue the transfer's Case and Note for the CRM (CRM sync is on).
            summarize: Writes a better summary after the extractive one is stored (an
                LLM's, for a call on a cloud LLM).
        """
        self._db = db
        self._store = store
        self._session = session
        self._conversation = conversation
        self._ttl = context_ttl_secs
        self._leg = leg
        self._say = say
        self._crm = crm
        self._summarize = summarize
        self._service = TransferService(store)

    async def changed(self, record: TransferRecord) -> None:
        """Do the call's part of a change; storage or state trouble is logged, never raised."""
        try:
            if record.status == "requested":
                await self._request(record)
            elif record.status in ("connected", "failed"):
                await record_outcome(self._db, self._session, record, crm=self._crm)
                if record.status == "failed" and record.failure in UNANSWERED:
                    await self._tell(NOBODY_FREE)
        except (SQLAlchemyError, RedisError, StorageError, TransferError) as exc:
            logger.warning(f"session {self._session.session_id}: transfer not handled: {exc}")

    async def caller_left(self) -> None:
        """The caller hung up: cancel a leg still reaching the agent, note it as cancelled."""
        if self._leg is None:
            return
        session_id = self._session.session_id
        try:
            record = await self._store.get_transfer(session_id)
            if record is None or record.status == "failed":
                return
            if not await self._leg.cancel(answered=record.status == "connected"):
                return
            if under_way(record):
                await self._service.advance(session_id, "failed", failure=CANCELLED)
        except (RedisError, StorageError, TransferError) as exc:
            logger.warning(f"session {session_id}: transfer not cancelled: {exc}")

    async def _request(self, record: TransferRecord) -> None:
        refusal = await self._dial(record)
        call_sid = (
            (self._leg.call_sid if self._leg else None)
            or self._session.metadata.get("call_sid")
            or text_call_id()
        )
        # Written at once with the extractive summary: the agent's phone is already ringing.
        context = await record_request(
            self._db,
            self._store,
            self._session,
            record,
            self._conversation(),
            context_ttl_secs=self._ttl,
            call_sid=call_sid,
            crm=self._crm,
        )
        if refusal is not None:
            await self._service.advance(record.session_id, "failed", failure=refusal)
            await self._tell(apology(refusal))
            return
        await self._service.advance(record.session_id, "initiated", call_sid=call_sid)
        if self._summarize is not None:
            summary = await self._summarize(context.transcript, record)
            if summary != context.summary:
                await record_summary(
                    self._db, self._store, context, summary, context_ttl_secs=self._ttl
                )

    async def _dial(self, record: TransferRecord) -> str | None:
        """Ring the agent; the reason it cannot be done, or ``None``."""
        if self._leg is None:
            return None
        try:
            await self._leg.dial(record)
        except TransferError as exc:
            logger.warning(f"session {self._session.session_id}: transfer refused: {exc}")
            return str(exc)
        return None

    async def _tell(self, line: str) -> None:
        if self._say is not None:
            await self._say(line)
