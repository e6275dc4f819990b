"""VoiceTurnTracker on scripted frame sequences: moments, turn ends, listeners, no awaits."""

from collections.abc import Coroutine
from typing import Any, cast

import pytest
from pipecat.frames.frames import (
    AggregatedTextFrame,
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    ClientConnectedFrame,
    EagerEndOfTurnCancelFrame,
    EndFrame,
    Frame,
    InterruptionFrame,
    LLMContextFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
    TTSTextFrame,
    UserStoppedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import FramePushed
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMUserAggregator
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from convonet.agents.context import AgentContext
from convonet.agents.graph import AgentGraph
from convonet.agents.turn import AgentOutcome
from convonet.bots.registry import default_registry
from convonet.processors.caller_audio_end import CallerAudioEnd
from convonet.processors.frames import AgentTurnFrame
from convonet.processors.langgraph_processor import LangGraphProcessor
from convonet.session import CallSession
from convonet.tools.records import ToolCallRecord
from convonet.turns.listeners import TurnListener
from convonet.turns.record import Turn
from convonet.turns.voice import VoiceTurnTracker
from tests.fakes.pipeline_services import SilentStt, SilentTts

STEP = 0.1  # seconds between scripted frames


class Collect(TurnListener):
    """A listener that keeps what it is told."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.events: list[str] = []

    def call_started(self, channel: str, bot: str) -> None:
        self.events.append(f"started {channel}/{bot}")

    def turn_ended(self, turn: Turn) -> None:
        self.turns.append(turn)

    def call_ended(self, at: float) -> None:
        self.events.append("ended")


class Script:
    """Feeds frames to an observer the way pipecat's worker would, on a fake clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.listener = Collect()
        self.records = self.listener.turns
        session = CallSession(
            session_id="s1", bot=default_registry().get("assistant"), llm="offline",
            channel="websocket", stt="whisper", tts="piper", user_id="u1",
        )  # fmt: skip
        self.observer = VoiceTurnTracker(session, self.listener, now=lambda: self.now)
        self.input, self.out = FrameProcessor(), FrameProcessor()
        self.user = LLMUserAggregator(LLMContext())
        self.audio_end = CallerAudioEnd()  # between the user aggregator and the agent
        self.stt, self.tts = SilentStt(), SilentTts()
        self.agent = LangGraphProcessor(cast(AgentGraph, None), AgentContext(session_id="s1"))

    def push(self, source: FrameProcessor, destination: FrameProcessor, frame: Frame) -> float:
        """Advance the clock, push ``frame`` and check the observer returned without awaiting."""
        self.now += STEP
        data = FramePushed(source, destination, frame, FrameDirection.DOWNSTREAM, timestamp=0)
        call = cast(Coroutine[Any, Any, None], self.observer.on_push_frame(data))
        with pytest.raises(StopIteration):
            call.send(None)  # it would return a future here if it awaited anything
        return self.now

    def greeting(self) -> None:
        self.push(self.input, self.stt, ClientConnectedFrame())
        self.push(self.tts, self.out, AggregatedTextFrame("Hello Demo.", "sentence"))
        self.push(self.tts, self.out, TTSAudioRawFrame(b"\0\0" * 160, 16000, 1))
        self.push(self.out, self.user, BotStartedSpeakingFrame())
        self.push(self.tts, self.out, TTSStoppedFrame())
        self.push(self.out, self.user, BotStoppedSpeakingFrame())

    def user_turn(self, text: str) -> float:
        """The caller speaks and the agent starts; returns the real end of speech."""
        vad = VADUserStoppedSpeakingFrame(stop_secs=0.2, timestamp=self.now + STEP)
        self.push(self.user, self.agent, vad)
        self.push(self.stt, self.user, TranscriptionFrame(text, "u1", "now"))
        # Only the first push of a frame is observed: the aggregator's, as in the pipeline.
        self.push(self.user, self.audio_end, LLMContextFrame(context=LLMContext()))
        return vad.timestamp - 0.2

    def answer(self, text: str, tools: list[ToolCallRecord] | None = None) -> None:
        self.push(self.agent, self.tts, LLMTextFrame(text))
        outcome = AgentOutcome(text=text, llm_used="offline", tool_calls=tools or [])
        self.push(self.agent, self.tts, AgentTurnFrame(session_id="s1", outcome=outcome))
        self.push(self.tts, self.out, AggregatedTextFrame(text, "sentence"))
        self.push(self.tts, self.out, TTSAudioRawFrame(b"\0\0" * 160, 16000, 1))
        self.push(self.out, self.user, BotStartedSpeakingFrame())
        self.push(self.tts, self.out, TTSTextFrame(text, "sentence"))


def test_greeting_and_turn_records_have_every_moment_in_order() -> None:
    script = Script()
    script.greeting()
    stopped = script.user_turn("What time is it?")
    todo = ToolCallRecord("create_todo", {"title": "milk"}, {"id": 1}, "{}", 12.5, "ok")
    script.answer("Added.", [todo])
    script.push(script.tts, script.out, TTSStoppedFrame())
    assert len(script.records) == 1, "the turn must not end before the bot stops speaking"
    end = script.push(script.out, script.user, BotStoppedSpeakingFrame())

    greeting, turn = script.records
    assert greeting.kind == "greeting" and greeting.index == 0
    assert greeting.stages["greeting_ms"] == pytest.approx(3 * STEP * 1000)
    assert greeting.bot_text == "Hello Demo."
    assert turn.kind == "voice" and turn.index == 1 and turn.end_reason == "completed"
    assert turn.user_text == "What time is it?" and turn.bot_text == "Added."
    assert turn.times.user_stopped_at == pytest.approx(stopped)
    assert turn.times.turn_end_at == end
    chain = [
        turn.times.user_stopped_at, turn.times.vad_stopped_at, turn.times.stt_final_at,
        turn.times.agent_start_at,
        turn.times.first_token_at, turn.times.first_sentence_at, turn.times.first_audio_at,
        turn.times.bot_started_at, turn.times.turn_end_at,
    ]  # fmt: skip
    assert None not in chain and chain == sorted(chain)
    # VAD stop came 0.2 s after the speech ended, STT 0.1 s after the VAD.
    assert turn.stages["vad_ms"] == pytest.approx(200)
    assert turn.stages["stt_ms"] == pytest.approx(100)
    assert turn.stages["voice_to_voice_ms"] == pytest.approx(300 + 6 * STEP * 1000)
    assert turn.tool_calls[0].name == "create_todo" and turn.stages["tools_ms"] == 12.5
    assert turn.llm_used == "offline" and turn.user_id == "u1" and turn.stt == "whisper"
    assert turn.outcome == "ok" and greeting.outcome == "ok"


def test_barge_in_ends_the_turn_as_interrupted() -> None:
    script = Script()
    script.user_turn("Tell me a story.")
    script.answer("Once upon a time")
    interrupted_at = script.push(script.user, script.agent, InterruptionFrame())

    (turn,) = script.records
    assert turn.interrupted and turn.end_reason == "interrupted"
    assert turn.times.turn_end_at == interrupted_at
    assert "speaking_ms" in turn.stages


def test_tools_after_the_speech_end_the_turn_when_the_agent_does() -> None:
    script = Script()
    script.user_turn("Add milk.")
    script.push(script.agent, script.tts, LLMTextFrame("One moment."))
    script.push(script.tts, script.out, AggregatedTextFrame("One moment.", "sentence"))
    script.push(script.out, script.user, BotStartedSpeakingFrame())
    script.push(script.tts, script.out, TTSStoppedFrame())
    spoken_end = script.push(script.out, script.user, BotStoppedSpeakingFrame())
    assert script.records == []  # the agent is still running its tools
    outcome = AgentOutcome(text="One moment.")
    script.push(script.agent, script.tts, AgentTurnFrame(session_id="s1", outcome=outcome))

    (turn,) = script.records
    assert turn.end_reason == "completed" and turn.times.turn_end_at == spoken_end
    assert turn.times.agent_end_at is not None and turn.times.agent_end_at > spoken_end


def test_silent_turn_and_hang_up() -> None:
    script = Script()
    script.user_turn("Hmm.")
    script.push(script.agent, script.tts, AgentTurnFrame(session_id="s1"))
    script.user_turn("Are you there?")
    script.answer("Yes.")
    script.push(script.input, script.stt, CancelFrame())

    silent, hung_up = script.records
    assert silent.end_reason == "silent" and silent.times.bot_started_at is None
    assert hung_up.end_reason == "hangup" and hung_up.index == 2
    assert script.listener.events == ["ended"], "the hang-up ends the call once"


def test_a_call_ending_mid_answer_is_abandoned() -> None:
    script = Script()
    script.user_turn("What's on my calendar?")
    script.push(script.agent, script.tts, LLMTextFrame("Let me"))
    script.push(script.input, script.stt, EndFrame())

    (turn,) = script.records
    assert turn.end_reason == "hangup" and turn.outcome == "abandoned"
    assert "voice_to_voice_ms" not in turn.stages, "the bot never spoke"


def test_a_timed_out_agent_turn_is_a_timeout() -> None:
    script = Script()
    script.user_turn("Hello?")
    script.push(script.agent, script.tts, LLMTextFrame("Sorry, that took too long."))
    outcome = AgentOutcome(
        text="Sorry, that took too long.", error="agent turn exceeded 2s", timed_out=True
    )
    script.push(script.agent, script.tts, AgentTurnFrame(session_id="s1", outcome=outcome))
    script.push(script.tts, script.out, TTSStoppedFrame())
    script.push(script.out, script.user, BotStartedSpeakingFrame())
    script.push(script.out, script.user, BotStoppedSpeakingFrame())

    (turn,) = script.records
    assert turn.outcome == "timeout" and turn.error == "agent turn exceeded 2s"


def test_the_caller_speaking_after_the_answer_was_heard_is_no_barge_in() -> None:
    script = Script()
    script.user_turn("Hi.")
    script.answer("Hello!")
    spoken_end = script.push(script.out, script.user, BotStoppedSpeakingFrame())
    script.push(script.user, script.agent, InterruptionFrame())  # TTS never said it stopped

    (turn,) = script.records
    assert not turn.interrupted and turn.end_reason == "completed"
    assert turn.times.turn_end_at == spoken_end


def test_frames_from_other_processors_and_repeats_are_ignored() -> None:
    script = Script()
    script.user_turn("Hello.")
    # Output transports re-chunk audio: only the TTS's own audio is the first audio.
    script.push(script.out, script.user, TTSAudioRawFrame(b"\0\0" * 160, 16000, 1))
    # The assistant aggregator's context goes to the sink: it is no agent turn.
    assistant = FrameProcessor()
    script.push(assistant, script.out, LLMContextFrame(context=LLMContext()))
    script.answer("Hi.")
    script.push(script.tts, script.out, TTSStoppedFrame())
    script.push(script.out, script.user, BotStoppedSpeakingFrame())

    (turn,) = script.records
    assert turn.times.first_audio_at is not None
    assert turn.times.first_audio_at > (turn.times.first_token_at or 0)


def _speculative_turn(script: Script, text: str) -> None:
    """The caller stops; the aggregator sends a speculative context (the turn not confirmed)."""
    vad = VADUserStoppedSpeakingFrame(stop_secs=0.2, timestamp=script.now + STEP)
    script.push(script.user, script.agent, vad)
    context = LLMContextFrame(context=LLMContext(), speculation=True)
    script.push(script.user, script.audio_end, context)


def test_a_prepared_answer_counts_from_the_turns_confirmation() -> None:
    script = Script()
    script.greeting()
    _speculative_turn(script, "What time is it?")
    script.push(script.stt, script.user, TranscriptionFrame("What time is it?", "u1", "now"))
    confirmed = script.push(script.user, script.agent, UserStoppedSpeakingFrame())
    script.answer("It's noon.")
    script.push(script.tts, script.out, TTSStoppedFrame())
    script.push(script.out, script.user, BotStoppedSpeakingFrame())

    greeting, turn = script.records
    assert greeting.kind == "greeting"
    assert turn.user_text == "What time is it?" and turn.end_reason == "completed"
    assert turn.times.agent_start_at == confirmed  # not when the preparation started
    assert turn.times.stt_final_at is not None and turn.times.stt_final_at < confirmed


def test_a_withdrawn_preparation_leaves_no_turn_behind() -> None:
    script = Script()
    script.greeting()
    _speculative_turn(script, "Add milk")
    script.push(script.user, script.agent, EagerEndOfTurnCancelFrame())
    # The caller went on; the whole sentence is the one turn, answered normally.
    stopped = script.user_turn("Add milk and eggs to my list.")
    script.answer("Added.")
    script.push(script.tts, script.out, TTSStoppedFrame())
    script.push(script.out, script.user, BotStoppedSpeakingFrame())

    greeting, turn = script.records
    assert greeting.kind == "greeting"
    assert turn.index == 1 and turn.end_reason == "completed", script.records
    assert turn.user_text == "Add milk and eggs to my list."
    assert turn.times.user_stopped_at == pytest.approx(stopped)
