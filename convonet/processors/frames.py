"""Frames of our own: what the agent did in a turn, for the turn tracker and transports."""

from dataclasses import dataclass, field

from pipecat.frames.frames import SystemFrame

from convonet.agents.turn import AgentOutcome


@dataclass
class AgentTurnFrame(SystemFrame):
    """Pushed downstream after every completed agent turn (not after interrupted ones).

    Parameters:
        session_id: The call.
        outcome: What the agent said and did (:func:`~convonet.agents.turn.run_agent_turn`).
    """

    session_id: str = ""
    outcome: AgentOutcome = field(default_factory=AgentOutcome)
