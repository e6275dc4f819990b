"""Frames of our own: what the agent did in a turn, and the text of a reply being prepared."""

from dataclasses import dataclass, field

from pipecat.frames.frames import DataFrame, SystemFrame

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


@dataclass
class SpeechPreviewFrame(DataFrame):
    """Text of a reply prepared for a turn that is not confirmed yet (pushed past the hold).

    The reply itself is held until the turn is confirmed; this lets the TTS synthesize its
    first piece meanwhile (:mod:`convonet.services.prepared_speech`). TTS services that do
    not prepare speech pass it on, and nothing else reads it.

    Parameters:
        text: The next piece of the prepared reply.
        reply_start: Whether it is the first piece of a new reply.
        reply_end: Whether the reply is complete (``text`` is then empty).
    """

    text: str = ""
    reply_start: bool = False
    reply_end: bool = False
