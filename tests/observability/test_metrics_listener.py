"""Prometheus as a turn listener: a call's frames, through the turn tracker, into metrics."""

from typing import Any, cast

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    ClientConnectedFrame,
    Frame,
    InterruptionFrame,
    LLMContextFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import FramePushed
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMUserAggregator
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from convonet.agents.context import AgentContext
from convonet.agents.turn import AgentOutcome
from convonet.bots.registry import default_registry
from convonet.observability.metrics import AppMetrics
from convonet.processors.frames import AgentTurnFrame
from convonet.processors.langgraph_processor import LangGraphProcessor
from convonet.session import CallSession
from convonet.tools.records import ToolCallRecord
from convonet.turns.listeners import TurnListeners
from convonet.turns.voice import VoiceTurnTracker
from tests.fakes.observability import Samples, parse_exposition, value
from tests.fakes.pipeline_services import SilentStt, SilentTts

EPOCH = 1_700_000_000.0


class Call:
    """Drives a call's tracker, with the metrics as its listener, at chosen times."""

    def __init__(self) -> None:
        self.now = 0.0
        self.metrics = AppMetrics(lambda: {"websocket": 1})
        session = CallSession(
            session_id="s1", bot=default_registry().get("assistant"), llm="offline",
            channel="websocket", stt="whisper", tts="piper", user_id="u1",
        )  # fmt: skip
        self.tracker = VoiceTurnTracker(
            session, TurnListeners([self.metrics]), now=lambda: EPOCH + self.now
        )
        self.agent = LangGraphProcessor(cast(Any, None), AgentContext(session_id="s1"))
        self.other, self.stt, self.tts = FrameProcessor(), SilentStt(), SilentTts()
        self.user = LLMUserAggregator(LLMContext())

    async def push(self, at: float, frame: Frame, source: FrameProcessor | None = None) -> None:
        self.now = at
        if isinstance(frame, LLMContextFrame):  # a turn: the user aggregator to the agent
            pushed_by, destination = source or self.user, self.agent
        else:
            pushed_by, destination = source or self.other, self.other
        await self.tracker.on_push_frame(
            FramePushed(pushed_by, destination, frame, FrameDirection.DOWNSTREAM, timestamp=0)
        )

    async def user_says(self, stopped: float, transcript: float) -> None:
        vad = VADUserStoppedSpeakingFrame(stop_secs=0.2, timestamp=EPOCH + stopped)
        await self.push(stopped, vad)
        await self.push(transcript, TranscriptionFrame("hi", "u1", "now"), self.stt)

    async def agent_answers(self, start: float, token: float, end: float, **outcome: Any) -> None:
        await self.push(start, LLMContextFrame(context=LLMContext()))
        await self.push(token, LLMTextFrame("Sure."), self.agent)
        done = AgentTurnFrame(session_id="s1", outcome=AgentOutcome(text="Sure.", **outcome))
        await self.push(end, done, self.agent)

    async def bot_speaks(self, audio: float, start: float, stop: float | None = None) -> None:
        await self.push(audio, TTSAudioRawFrame(b"\0\0", 24000, 1), self.tts)
        await self.push(start, BotStartedSpeakingFrame())
        if stop is not None:
            await self.push(stop, BotStoppedSpeakingFrame())

    def samples(self) -> Samples:
        return parse_exposition(self.metrics.render().decode())


def stage_sum(samples: Samples, stage: str) -> float:
    return value(samples, "convonet_stage_latency_seconds_sum", stage=stage, channel="websocket")


async def test_a_spoken_turn_yields_every_stage_and_the_greeting() -> None:
    call = Call()
    await call.tracker.on_pipeline_started()
    await call.push(0.0, ClientConnectedFrame())
    await call.bot_speaks(0.4, 0.5, 2.0)
    await call.user_says(stopped=3.0, transcript=3.3)
    tool = ToolCallRecord("create_todo", {"title": "milk"}, {}, "ok", 42.0, "ok")
    await call.agent_answers(3.6, 3.8, 3.9, llm_used="offline", tool_calls=[tool])
    await call.bot_speaks(4.0, 4.1, 5.0)
    await call.push(6.0, InterruptionFrame())  # the caller's next turn, the bot quiet

    samples = call.samples()
    real_end_of_speech = 3.0 - 0.2
    expected = {
        "vad": 0.2,
        "stt": 0.3,
        "turn_detect": 0.3,
        "llm_first_token": 0.2,
        "tts": 0.2,  # no sentence moment: from the first token
        "playout": 0.1,
        "voice_to_voice": 4.1 - real_end_of_speech,
        "agent": 0.3,
        "speaking": 0.9,
        "total": 5.0 - real_end_of_speech,
        "tools": 0.042,
    }
    for stage, seconds in expected.items():
        assert abs(stage_sum(samples, stage) - seconds) < 1e-6, stage
    assert value(samples, "convonet_greeting_latency_seconds_sum", channel="websocket") == 0.5
    turn = {"channel": "websocket", "bot": "assistant", "llm": "offline", "outcome": "ok"}
    assert value(samples, "convonet_turns_total", **turn) == 1
    assert value(samples, "convonet_calls_total", channel="websocket", bot="assistant") == 1
    assert value(samples, "convonet_tool_calls_total", tool="create_todo", outcome="ok") == 1
    assert value(samples, "convonet_interruptions_total", channel="websocket", bot="assistant") == 0
    assert value(samples, "convonet_active_sessions", channel="websocket") == 1
    assert value(samples, "convonet_active_sessions", channel="twilio") == 0


async def test_barge_ins_are_counted_and_end_the_turn_as_interrupted() -> None:
    call = Call()
    await call.push(0.0, ClientConnectedFrame())
    await call.push(0.5, BotStartedSpeakingFrame())
    await call.push(1.0, InterruptionFrame())  # over the greeting
    await call.user_says(stopped=2.0, transcript=2.2)
    await call.agent_answers(2.5, 2.6, 2.7, llm_used="offline")
    await call.bot_speaks(2.8, 2.9)
    await call.push(3.5, InterruptionFrame())  # over the answer
    await call.tracker.cleanup()

    samples = call.samples()
    assert value(samples, "convonet_interruptions_total", channel="websocket", bot="assistant") == 2
    turn = {"channel": "websocket", "bot": "assistant", "llm": "offline"}
    assert value(samples, "convonet_turns_total", **turn, outcome="interrupted") == 1
    assert value(samples, "convonet_turns_total", **turn, outcome="ok") == 0
    assert abs(stage_sum(samples, "total") - (3.5 - 1.8)) < 1e-6


async def test_a_timed_out_turn_counts_as_timeout() -> None:
    call = Call()
    await call.user_says(stopped=1.0, transcript=1.2)
    await call.agent_answers(1.5, 3.5, 3.5, error="agent turn exceeded 2s", timed_out=True)
    await call.bot_speaks(3.6, 3.7, 4.5)
    await call.tracker.cleanup()

    samples = call.samples()
    turn = {"channel": "websocket", "bot": "assistant", "llm": "offline", "outcome": "timeout"}
    assert value(samples, "convonet_turns_total", **turn) == 1
    assert abs(stage_sum(samples, "llm_first_token") - 2.0) < 1e-6


async def test_a_call_ending_mid_answer_counts_as_abandoned() -> None:
    call = Call()
    await call.user_says(stopped=1.0, transcript=1.2)
    await call.push(1.5, LLMContextFrame(context=LLMContext()))
    await call.tracker.cleanup()

    samples = call.samples()
    turn = {"channel": "websocket", "bot": "assistant", "llm": "offline", "outcome": "abandoned"}
    assert value(samples, "convonet_turns_total", **turn) == 1
    assert stage_sum(samples, "voice_to_voice") == 0  # never spoke
    assert abs(stage_sum(samples, "stt") - 0.2) < 1e-6
