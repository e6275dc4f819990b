"""The customer popup: from the transfer context in Redis, else from what the database knows.

The context ``callcenter:customer:{extension}:{call_sid}`` is what the transfer wrote for
the agent (profile, spoken transcript, summary). When it has expired, or the call never had
one (a text session has no call SID), the ``calls`` row found by call SID or session id
supplies the transcript and summary, and the customer comes from its user or, failing that,
from the caller's number.
"""

from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.callcenter.api_models import CustomerRecord, OpenCase, Popup
from convonet.callcenter.scope import Scope, visible_call, visible_customer
from convonet.storage.models import Call, Department, User
from convonet.storage.models.calls import TransferOutcome
from convonet.storage.redis import TransferStore
from convonet.transfer.context import TranscriptLine, TransferContext

Source = Literal["transfer_context", "database", "unknown"]
OPEN_CASES_LIMIT = 10
UNRESOLVED = (
    TransferOutcome.REQUESTED,
    TransferOutcome.NO_ANSWER,
    TransferOutcome.FAILED,
    TransferOutcome.CANCELLED,
)


@dataclass(frozen=True, slots=True)
class CallRef:
    """How an incoming call identifies itself (its SIP ``X-Convonet-*`` headers)."""

    call_sid: str | None = None
    session_id: str | None = None
    caller_number: str | None = None
    extensions: tuple[str, ...] = ()


async def customer_record(
    session: AsyncSession, user: User, *, current_call_id: str | None = None
) -> CustomerRecord:
    """The customer's record: contact, account status, last contact and open cases.

    Open cases are the customer's earlier requests for a person that never connected.
    """
    mine = [Call.user_id == user.id]
    if current_call_id is not None:
        mine.append(Call.id != current_call_id)
    last = await session.scalar(
        select(Call.started_at).where(*mine).order_by(Call.started_at.desc()).limit(1)
    )
    rows = await session.execute(
        select(Call, Department.name)
        .outerjoin(Department, Department.id == Call.transfer_department_id)
        .where(*mine)
        .where(Call.transfer_outcome.in_(UNRESOLVED))
        .order_by(Call.started_at.desc())
        .limit(OPEN_CASES_LIMIT)
    )
    cases = [
        OpenCase(
            call_id=call.id,
            started_at=call.started_at,
            department=department,
            outcome=call.transfer_outcome,
            summary=call.summary,
        )
        for call, department in rows.all()
    ]
    return CustomerRecord(
        id=user.id,
        name=user.name,
        email=user.email,
        phone=user.phone,
        account_status="active" if user.is_active else "disabled",
        customer_since=user.created_at,
        last_contact=last,
        open_cases=cases,
    )


async def find_customer(session: AsyncSession, scope: Scope, user_id: str) -> User | None:
    """The customer ``user_id`` if the viewer may see them."""
    query = select(User).where(User.id == user_id, visible_customer(scope, User.id))
    return await session.scalar(query)


async def _context(store: TransferStore, ref: CallRef) -> TransferContext | None:
    if ref.call_sid is None:
        return None
    for extension in ref.extensions:
        raw = await store.get_transfer_context(extension, ref.call_sid)
        if raw is not None:
            try:
                return TransferContext.model_validate_json(raw)
            except ValidationError:
                continue
    return None


async def _call_row(session: AsyncSession, scope: Scope, ref: CallRef) -> Call | None:
    for column, value in ((Call.call_sid, ref.call_sid), (Call.session_id, ref.session_id)):
        if value is None:
            continue
        query = select(Call).where(column == value, visible_call(scope))
        row = await session.scalar(query.order_by(Call.started_at.desc()).limit(1))
        if row is not None:
            return row
    return None


async def popup(
    session: AsyncSession, store: TransferStore, ref: CallRef, *, scope: Scope
) -> Popup:
    """The popup for an incoming call.

    Args:
        session: A database session.
        store: Where transfer contexts are.
        ref: The call's identifiers; ``extensions`` are tried for the context in order
            (only extensions the viewer may read: their own, their team's, departments').
        scope: Only database records this viewer may see are used (an agent cannot read
            another team's calls by claiming they ring).
    """
    context = await _context(store, ref)
    if context is not None:
        ref = CallRef(context.call_sid, context.session_id, context.caller_number, ref.extensions)
    row = await _call_row(session, scope, ref)
    number = ref.caller_number or (row.caller_number if row else None)
    user_id = (context.customer.user_id if context else None) or (row.user_id if row else None)
    user = await find_customer(session, scope, user_id) if user_id else None
    if user is None and number:
        query = select(User).where(User.phone == number, visible_customer(scope, User.id))
        user = await session.scalar(query)
    customer = None
    if user is not None:
        customer = await customer_record(session, user, current_call_id=row.id if row else None)
    source: Source = "transfer_context" if context else "database" if row or user else "unknown"
    return Popup(
        source=source,
        call_id=row.id if row else None,
        call_sid=ref.call_sid or (row.call_sid if row else None),
        session_id=ref.session_id or (row.session_id if row else None),
        caller_number=number,
        department=context.department if context else await _department(session, row),
        reason=context.reason if context else None,
        customer=customer,
        transcript=context.transcript if context else _lines(row.transcript if row else None),
        summary=context.summary if context else (row.summary if row else None),
    )


async def _department(session: AsyncSession, row: Call | None) -> str | None:
    if row is None or row.transfer_department_id is None:
        return None
    department = await session.get(Department, row.transfer_department_id)
    return department.name if department else None


def _lines(stored: object) -> list[TranscriptLine]:
    """The stored transcript's valid lines (rows written by other code may hold others)."""
    lines = []
    for line in stored if isinstance(stored, list) else []:
        try:
            lines.append(TranscriptLine.model_validate(line))
        except ValidationError:
            continue
    return lines
