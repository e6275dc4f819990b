"""An agent's live state as the API shows it: time in state, wrap-up left, the call."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from convonet.callcenter.api_models import AgentStatus, CurrentCall
from convonet.callcenter.states import allowed_actions
from convonet.storage.models import AgentState
from convonet.storage.redis import AgentLive, LiveCall

if TYPE_CHECKING:
    from convonet.callcenter.service import AgentInfo


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def current_call(call: LiveCall, now: float) -> CurrentCall:
    """The live call with its duration and hold time up to ``now``."""
    end = call.ended_at if call.ended_at is not None else now
    held = call.hold_secs
    if call.on_hold and call.hold_since is not None:
        held += max(0.0, now - call.hold_since)
    return CurrentCall(
        leg_id=call.leg_id,
        call_id=call.call_id,
        call_sid=call.call_sid,
        session_id=call.session_id,
        caller_number=call.caller_number,
        customer_id=call.customer_id,
        customer_name=call.customer_name,
        offered_at=_at(call.offered_at),
        answered_at=_at(call.answered_at) if call.answered_at is not None else None,
        ended_at=_at(call.ended_at) if call.ended_at is not None else None,
        on_hold=call.on_hold,
        hold_secs=round(held, 3),
        duration_secs=round(max(0.0, end - call.answered_at), 3) if call.answered_at else 0.0,
        transfers=[{k: str(v) for k, v in t.items()} for t in call.transfers],
    )


def status_of(agent: "AgentInfo", live: AgentLive, now: float) -> AgentStatus:
    """The agent's status at ``now``."""
    wrap_left = None
    if live.state is AgentState.WRAP_UP and live.wrap_up_until is not None:
        wrap_left = round(max(0.0, live.wrap_up_until - now), 3)
    return AgentStatus(
        agent_id=agent.id,
        user_id=agent.user_id,
        name=agent.name,
        extension=agent.extension,
        department=agent.department,
        state=live.state,
        state_since=_at(live.since),
        seconds_in_state=round(max(0.0, now - live.since), 3),
        wrap_up_remaining=wrap_left,
        current_call=current_call(live.call, now) if live.call is not None else None,
        allowed_actions=allowed_actions(live.state),
    )
