"""Writing down a transfer: the agent's context in Redis and the call's ``calls`` row.

:func:`record_request` runs where the conversation is (the process running the call's
pipeline, or the text endpoint) when a transfer is requested; :func:`record_outcome` when it
connects or fails. Both upsert the ``calls`` row of the session.
"""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.session import CallSession
from convonet.storage.db import Database
from convonet.storage.models import Call, Department, User
from convonet.storage.models.calls import TransferOutcome
from convonet.storage.redis import RedisStore, TransferRecord
from convonet.transfer.context import (
    Customer,
    TransferContext,
    extractive_summary,
    transcript_of,
)
from convonet.transfer.crm import sync_outcome, sync_request

FAILURES: dict[str, TransferOutcome] = {
    "no-answer": TransferOutcome.NO_ANSWER,
    "canceled": TransferOutcome.CANCELLED,
    "cancelled": TransferOutcome.CANCELLED,
}


def outcome_of(record: TransferRecord) -> TransferOutcome:
    """The call-history outcome of a transfer's current state."""
    if record.status == "connected":
        return TransferOutcome.CONNECTED
    if record.status == "failed":
        return FAILURES.get(record.failure or "", TransferOutcome.FAILED)
    return TransferOutcome.REQUESTED


async def _call_row(db: AsyncSession, session: CallSession) -> Call:
    row = await db.scalar(select(Call).where(Call.session_id == session.session_id))
    if row is None:
        row = Call(session_id=session.session_id, channel=session.channel)
        db.add(row)
    row.user_id = session.user_id
    row.bot, row.llm = session.bot.name, session.llm
    row.call_sid = session.metadata.get("call_sid") or row.call_sid
    row.caller_number = session.metadata.get("from_number") or row.caller_number
    return row


async def record_request(
    db: Database,
    store: RedisStore,
    session: CallSession,
    record: TransferRecord,
    messages: Iterable[object],
    *,
    context_ttl_secs: float,
    crm: bool = False,
    call_sid: str,
) -> TransferContext:
    """Store the agent's context and the call's history row.

    Args:
        db: The application database.
        store: The Redis store.
        session: The call.
        record: The transfer just requested.
        messages: The conversation so far as ``{"role", "content"}`` messages.
        context_ttl_secs: Lifetime of ``callcenter:customer:{extension}:{call_sid}``.
        crm: Queue the CRM's Case and Note in the same transaction (CRM sync is on).
        call_sid: What the context is filed under (see :mod:`convonet.transfer.call`).

    Returns:
        The context written.
    """
    at = store.now_iso()
    transcript = transcript_of(messages, at)
    summary = extractive_summary(transcript, record)  # at once; an LLM's may replace it
    async with db.session() as tx:
        user = await tx.get(User, session.user_id) if session.user_id else None
        department = await tx.scalar(select(Department).where(Department.name == record.department))
        row = await _call_row(tx, session)
        row.transcript = [line.model_dump() for line in transcript]
        row.summary = summary
        row.transfer_outcome = outcome_of(record)
        row.transfer_department_id = department.id if department else None
        if session.channel != "twilio":  # a phone call's row keeps the caller's own SID
            row.call_sid = call_sid
        context = TransferContext(
            call_sid=call_sid,
            session_id=session.session_id,
            extension=record.extension,
            department=record.department,
            reason=record.reason,
            channel=session.channel,
            caller_number=row.caller_number,
            customer=Customer.of(user, session.user_id),
            transcript=transcript,
            summary=row.summary,
            created_at=at,
        )
        if crm:
            sync_request(tx, row, record)
    await store.save_transfer_context(
        record.extension, call_sid, context.model_dump_json(), context_ttl_secs
    )
    return context


async def record_outcome(
    db: Database, session: CallSession, record: TransferRecord, *, crm: bool = False
) -> None:
    """Put a connected or failed transfer's outcome on the call's history row (and the CRM's)."""
    async with db.session() as tx:
        row = await _call_row(tx, session)
        row.transfer_outcome = outcome_of(record)
        if crm:
            sync_outcome(tx, row, row.transfer_outcome)


async def record_summary(
    db: Database,
    store: RedisStore,
    context: TransferContext,
    summary: str,
    *,
    context_ttl_secs: float,
) -> TransferContext:
    """Replace the summary of a stored context and of its ``calls`` row (an LLM's, written later).

    Returns:
        The context with its new summary.
    """
    updated = context.model_copy(update={"summary": summary})
    async with db.session() as tx:
        row = await tx.scalar(select(Call).where(Call.session_id == context.session_id))
        if row is not None:
            row.summary = summary
    await store.save_transfer_context(
        context.extension, context.call_sid, updated.model_dump_json(), context_ttl_secs
    )
    return updated
