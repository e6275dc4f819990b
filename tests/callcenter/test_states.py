"""The state machine's table and the availability arithmetic, without servers."""

from datetime import datetime, timedelta

import pytest

from convonet.callcenter.metrics import time_in_states
from convonet.callcenter.states import MOVES, Action, allowed_actions, next_state
from convonet.errors import TransitionRefusedError
from convonet.storage.models import AgentState, utcnow

S = AgentState


def test_the_documented_cycle_is_allowed() -> None:
    state = S.LOGGED_OUT
    for action in (Action.LOGIN, Action.READY, Action.RING, Action.ANSWER, Action.HOLD):
        state = next_state(state, action)
    assert state is S.ON_CALL
    assert next_state(state, Action.DROP) is S.WRAP_UP
    assert next_state(S.WRAP_UP, Action.WRAP_UP_OVER) is S.READY
    assert next_state(S.RINGING, Action.DROP) is S.READY  # rejected
    assert next_state(S.ON_CALL, Action.BLIND_TRANSFER) is S.WRAP_UP
    assert next_state(S.ON_CALL, Action.ATTENDED_TRANSFER) is S.ON_CALL


def test_a_busy_agent_cannot_walk_away() -> None:
    for state in (S.RINGING, S.ON_CALL):
        assert set(allowed_actions(state)).isdisjoint(
            {Action.LOGOUT, Action.READY, Action.NOT_READY, Action.LOGIN}
        )
    assert allowed_actions(S.LOGGED_OUT) == [Action.LOGIN]
    assert Action.WRAP_UP_OVER not in allowed_actions(S.WRAP_UP)  # the server's, not the agent's


def test_a_refusal_names_the_state_the_sources_and_the_way_on() -> None:
    with pytest.raises(TransitionRefusedError) as refused:
        next_state(S.READY, Action.ANSWER)
    assert str(refused.value) == (
        "cannot answer while ready: answer is allowed from ringing; "
        "ready allows logout, not_ready, ring"
    )
    assert all(MOVES[action] for action in Action)  # every action is possible somewhere


def _at(start: datetime, secs: float) -> datetime:
    return start + timedelta(seconds=secs)


def test_time_in_states_clips_to_the_window() -> None:
    start = utcnow()
    changes = [(_at(start, 10), S.READY), (_at(start, 40), S.LOGGED_OUT)]
    assert time_in_states(S.NOT_READY, changes, start, _at(start, 60)) == (40, 30)
    assert time_in_states(S.LOGGED_OUT, [], start, _at(start, 60)) == (0, 0)
    assert time_in_states(S.READY, changes[:1], start, _at(start, 5)) == (5, 5)
