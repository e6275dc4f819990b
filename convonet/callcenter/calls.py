"""What happens to the live call at each step: ringing, answered, hold, transfer, hung up.

Each function returns a mutation for :meth:`CallCenter.move`, run inside the agent's atomic
Redis update, so the call's times (answer, hold, end) are the times of the change itself.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from convonet.errors import TransitionRefusedError
from convonet.storage.models.call_center import AgentCallOutcome
from convonet.storage.redis import AgentLive, LiveCall

TransferKind = Literal["blind", "attended"]
Mutation = Callable[[AgentLive, float], AgentLive]


def _call(after: AgentLive) -> LiveCall:
    if after.call is None:  # the state machine only allows these moves with a call
        raise TransitionRefusedError(f"there is no call while {after.state}")
    return after.call


def ringing(call: LiveCall) -> Mutation:
    """The agent's phone rings with ``call`` (``offered_at`` is set to the change's time)."""

    def mutate(after: AgentLive, now: float) -> AgentLive:
        after.call = call.model_copy(update={"offered_at": now})
        return after

    return mutate


def answered(after: AgentLive, now: float) -> AgentLive:
    """The agent picked up."""
    _call(after).answered_at = now
    return after


def _end_hold(call: LiveCall, now: float) -> None:
    if call.on_hold and call.hold_since is not None:
        call.hold_secs += max(0.0, now - call.hold_since)
    call.on_hold, call.hold_since = False, None


def hung_up(after: AgentLive, now: float) -> AgentLive:
    """The call ended: rejected if it was only ringing, completed if it was answered."""
    call = _call(after)
    _end_hold(call, now)
    call.ended_at = now
    call.outcome = AgentCallOutcome.COMPLETED if call.answered_at else AgentCallOutcome.REJECTED
    return after


def held(on: bool) -> Mutation:
    """Hold (``on``) or resume the call.

    Raises (from the mutation):
        TransitionRefusedError: The call is already in that hold state.
    """

    def mutate(after: AgentLive, now: float) -> AgentLive:
        call = _call(after)
        if call.on_hold == on:
            raise TransitionRefusedError(
                f"the call is already {'on hold' if on else 'off hold'}; "
                f"hold {'off' if on else 'on'} is what on_call allows"
            )
        if on:
            call.on_hold, call.hold_since = True, now
        else:
            _end_hold(call, now)
        return after

    return mutate


def transferred(target: str, kind: TransferKind) -> Mutation:
    """The agent transfers the call to ``target``; a blind transfer ends the agent's call."""

    def mutate(after: AgentLive, now: float) -> AgentLive:
        call = _call(after)
        at = datetime.fromtimestamp(now, UTC).isoformat()
        call.transfers = [*call.transfers, {"target": target, "kind": kind, "at": at}]
        if kind == "blind":
            _end_hold(call, now)
            call.ended_at = now
            call.outcome = AgentCallOutcome.TRANSFERRED
        return after

    return mutate
