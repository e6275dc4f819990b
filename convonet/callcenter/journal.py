"""Writing agents' history to the database after each live change.

One transaction per change: the ``agent_state_changes`` row, the agent row's last known
state, and the call leg (``agent_calls``) brought up to date with the live call. A call that
starts ringing gets its leg, and a ``calls`` row when the server never saw the call (a direct
dial); a call answered after a transfer marks that transfer connected.
"""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from convonet.callcenter.states import Action
from convonet.storage.db import Database
from convonet.storage.models import (
    AgentCall,
    AgentState,
    AgentStateChange,
    Call,
    CallCenterAgent,
)
from convonet.storage.models.call_center import AgentCallOutcome
from convonet.storage.models.calls import TransferOutcome
from convonet.storage.redis import AgentLive, LiveCall

DIRECT_CHANNEL = "sip"


def moment(seconds: float | None) -> datetime | None:
    """Epoch seconds as an aware UTC datetime."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


async def record(
    db: Database,
    agent_id: str,
    action: Action,
    before: AgentLive,
    after: AgentLive,
    call: LiveCall | None,
) -> None:
    """Write one live change (``before`` → ``after`` by ``action``) to the history.

    ``call`` is the call as the change left it (``after`` holds none once the agent is idle).
    """
    async with db.session() as session:
        if before.state is not after.state:
            session.add(
                AgentStateChange(
                    agent_id=agent_id,
                    from_state=before.state,
                    to_state=after.state,
                    action=str(action),
                    seq=after.version,
                    at=moment(after.since),
                )
            )
            row = await session.get(CallCenterAgent, agent_id)
            if row is not None:
                row.state, row.state_since = after.state, moment(after.since)  # type: ignore[assignment]
        if call is None:
            return
        leg = await session.get(AgentCall, call.leg_id)
        if leg is None:
            leg = AgentCall(
                id=call.leg_id,
                agent_id=agent_id,
                call_id=call.call_id,
                offered_at=moment(call.offered_at),
            )
            session.add(leg)
        _sync(leg, call)
        if before.state is AgentState.WRAP_UP and after.state is not AgentState.WRAP_UP:
            leg.wrap_up_ended_at = moment(after.since)
        if action is Action.ANSWER:
            await _transfer_connected(session, leg.call_id)
        if call.ended_at is not None:
            await _direct_call_ended(session, leg.call_id, call.ended_at)


def _sync(leg: AgentCall, call: LiveCall) -> None:
    leg.answered_at = moment(call.answered_at)
    leg.ended_at = moment(call.ended_at)
    leg.hold_secs = call.hold_secs
    leg.transfers = list(call.transfers)
    leg.outcome = AgentCallOutcome(call.outcome) if call.outcome else None


async def _transfer_connected(session: AsyncSession, call_id: str) -> None:
    # An agent answered: whatever the transfer's last known outcome, the caller reached a person.
    row = await session.get(Call, call_id)
    if row is not None and row.transfer_outcome is not None:
        row.transfer_outcome = TransferOutcome.CONNECTED


async def _direct_call_ended(session: AsyncSession, call_id: str, ended_at: float) -> None:
    # A call the server only knows from the agent's phone ends when the agent's leg ends.
    row = await session.get(Call, call_id)
    if row is not None and row.channel == DIRECT_CHANNEL and row.ended_at is None:
        row.ended_at = moment(ended_at)


async def open_call(
    db: Database,
    *,
    call_id: str | None,
    call_sid: str | None,
    caller_number: str | None,
    user_id: str | None,
    leg_id: str,
    at: float,
) -> str:
    """The ``calls`` row of a call that starts ringing: ``call_id`` if the popup found one.

    Otherwise a new row (``sip-{leg}``), even when the INVITE named a session: a session the
    agent may not see must not become theirs (and readable) by claiming it rings.

    Returns:
        Its id.
    """
    if call_id is not None:
        return call_id
    async with db.session() as session:
        row = Call(
            session_id=f"sip-{leg_id}",
            channel=DIRECT_CHANNEL,
            user_id=user_id,
            caller_number=caller_number,
            call_sid=call_sid,
            started_at=moment(at),
            transcript=[],
            details={},
        )
        session.add(row)
        await session.flush()
        return row.id
