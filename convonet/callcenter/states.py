"""The agent state machine: which action moves an agent from which state to which.

::

    logged_out --login--> not_ready <--ready / not_ready--> ready --ring--> ringing
    ringing --answer--> on_call --drop / blind transfer--> wrap_up --(timer) / ready--> ready
    ringing --drop (reject)--> ready;  on_call --hold / attended transfer--> on_call
    not_ready, ready, wrap_up --logout--> logged_out;  wrap_up --not_ready--> not_ready

Nothing may log out, go ready or go not-ready with a call ringing or up: the call must end
first. A forbidden action raises :class:`~convonet.errors.TransitionRefusedError` naming the
current state, where the action is allowed from and what the current state allows.
"""

import enum

from convonet.errors import TransitionRefusedError
from convonet.storage.models.call_center import AgentState

S = AgentState


class Action(enum.StrEnum):
    """What can happen to an agent (API calls, and the wrap-up timer running out)."""

    LOGIN = "login"
    LOGOUT = "logout"
    READY = "ready"
    NOT_READY = "not_ready"
    RING = "ring"
    ANSWER = "answer"
    DROP = "drop"
    HOLD = "hold"
    BLIND_TRANSFER = "blind_transfer"
    ATTENDED_TRANSFER = "attended_transfer"
    WRAP_UP_OVER = "wrap_up_over"


MOVES: dict[Action, dict[AgentState, AgentState]] = {
    Action.LOGIN: {S.LOGGED_OUT: S.NOT_READY},
    Action.LOGOUT: {S.NOT_READY: S.LOGGED_OUT, S.READY: S.LOGGED_OUT, S.WRAP_UP: S.LOGGED_OUT},
    Action.READY: {S.NOT_READY: S.READY, S.WRAP_UP: S.READY},
    Action.NOT_READY: {S.READY: S.NOT_READY, S.WRAP_UP: S.NOT_READY},
    Action.RING: {S.READY: S.RINGING},
    Action.ANSWER: {S.RINGING: S.ON_CALL},
    Action.DROP: {S.RINGING: S.READY, S.ON_CALL: S.WRAP_UP},
    Action.HOLD: {S.ON_CALL: S.ON_CALL},
    Action.BLIND_TRANSFER: {S.ON_CALL: S.WRAP_UP},
    Action.ATTENDED_TRANSFER: {S.ON_CALL: S.ON_CALL},
    Action.WRAP_UP_OVER: {S.WRAP_UP: S.READY},
}

# Actions an agent asks for through the API (the timer's is the server's own).
AGENT_ACTIONS = tuple(a for a in Action if a is not Action.WRAP_UP_OVER)


def allowed_actions(state: AgentState) -> list[Action]:
    """The agent actions ``state`` allows, in :class:`Action` order."""
    return [action for action in AGENT_ACTIONS if state in MOVES[action]]


def next_state(state: AgentState, action: Action) -> AgentState:
    """Where ``action`` takes an agent in ``state``.

    Raises:
        TransitionRefusedError: ``action`` is not allowed from ``state``.
    """
    target = MOVES[action].get(state)
    if target is None:
        sources = ", ".join(MOVES[action]) or "nowhere"
        allows = ", ".join(allowed_actions(state)) or "nothing"
        raise TransitionRefusedError(
            f"cannot {action} while {state}: {action} is allowed from {sources}; "
            f"{state} allows {allows}"
        )
    return target
