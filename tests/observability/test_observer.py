"""The call observer turns frame sequences into the right metrics (driven clock, no audio)."""

from typing import Any, cast

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    ClientConnectedFrame,
    Frame,
    InterruptionFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import FramePushed
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from convonet.agents.context import AgentContext
from convonet.bots.registry import default_registry
from convonet.observability.metrics import AppMetrics
from convonet.observability.observer import CallObserver
from convonet.processors.frames import AgentTurnFrame
from convonet.processors.langgraph_processor import LangGraphProcessor
from convonet.session import CallSession
from convonet.tools.records import ToolCallRecord
from tests.observability.fakes import Samples, parse_exposition, value

EPOCH = 1_700_000_000.0  # wall clock = EPOCH + pipeline clock


class Call:
    """Drives a CallObserver with frames at chosen pipeline-clock times."""

    def __init__(self) -> None:
        self.now = 0.0
        self.metrics = AppMetrics(lambda: {"websocket": 1})
        session = CallSession(
            session_id="s1",
            bot=default_registry().get("assistant"),
            llm="offline",
            channel="websocket",
            stt="whisper",
            tts="piper",
            user_id="u1",
        )
        self.observer = CallObserver(
            session, self.metrics, sentry=False, time_source=lambda: EPOCH + self.now
        )
        self.agent = LangGraphProcessor(cast(Any, None), AgentContext(session_id="s1"))
        self.other = FrameProcessor()

    async def push(self, at: float, frame: Frame, *, from_agent: bool = False) -> None:
        self.now = at
        await self.observer.on_push_frame(
            FramePushed(
                source=self.agent if from_agent else self.other,
                destination=self.other,
                frame=frame,
                direction=FrameDirection.DOWNSTREAM,
                timestamp=int(at * 1e9),
            )
        )

    async def user_says(self, stopped: float, transcript: float) -> None:
        await self.push(stopped - 0.5, VADUserStartedSpeakingFrame(timestamp=EPOCH + stopped - 1))
        await self.push(
            stopped, VADUserStoppedSpeakingFrame(stop_secs=0.2, timestamp=EPOCH + stopped)
        )
        await self.push(transcript, TranscriptionFrame("hi", "u1", "now"))

    async def agent_answers(self, start: float, token: float, end: float, **turn: Any) -> None:
        await self.push(start, LLMFullResponseStartFrame(), from_agent=True)
        await self.push(token, LLMTextFrame("Sure."), from_agent=True)
        frame = AgentTurnFrame(
            session_id="s1",
            text="Sure.",
            started_at=EPOCH + start,
            first_token_at=EPOCH + token,
            ended_at=EPOCH + end,
            **turn,
        )
        await self.push(end, frame, from_agent=True)

    def samples(self) -> Samples:
        return parse_exposition(self.metrics.render().decode())


def stage_sum(samples: Samples, stage: str) -> float:
    return value(samples, "convonet_stage_latency_seconds_sum", stage=stage, channel="websocket")


async def test_a_spoken_turn_yields_every_stage_and_the_greeting() -> None:
    call = Call()
    await call.push(0.0, ClientConnectedFrame())
    await call.push(0.4, TTSAudioRawFrame(b"\0\0", 24000, 1))  # greeting audio: no turn yet
    await call.push(0.5, BotStartedSpeakingFrame())
    await call.push(2.0, BotStoppedSpeakingFrame())
    await call.user_says(stopped=3.0, transcript=3.3)
    tool = ToolCallRecord("create_todo", {"title": "milk"}, {}, "ok", 42.0, "ok")
    await call.agent_answers(3.6, 3.8, 3.9, llm_used="offline", tool_calls=[tool])
    await call.push(4.0, TTSAudioRawFrame(b"\0\0", 24000, 1))
    await call.push(4.1, BotStartedSpeakingFrame())
    await call.push(5.0, BotStoppedSpeakingFrame())
    await call.push(6.0, InterruptionFrame())  # the caller's next turn, the bot quiet

    samples = call.samples()
    real_end_of_speech = 3.0 - 0.2
    expected = {
        "voice_to_voice": 4.1 - real_end_of_speech,
        "stt": 0.3,
        "agent": 0.2,
        "agent_total": 0.3,
        "tts_first_audio": 0.2,
        "turn": 5.0 - real_end_of_speech,
    }
    for stage, seconds in expected.items():
        assert abs(stage_sum(samples, stage) - seconds) < 1e-6, stage
    assert value(samples, "convonet_greeting_latency_seconds_sum", channel="websocket") == 0.5
    turn = {"channel": "websocket", "bot": "assistant", "llm": "offline", "outcome": "ok"}
    assert value(samples, "convonet_turns_total", **turn) == 1
    assert value(samples, "convonet_tool_calls_total", tool="create_todo", outcome="ok") == 1
    assert value(samples, "convonet_interruptions_total", channel="websocket", bot="assistant") == 0
    assert value(samples, "convonet_active_sessions", channel="websocket") == 1
    assert value(samples, "convonet_active_sessions", channel="twilio") == 0


async def test_barge_ins_are_counted_and_end_the_turn_as_interrupted() -> None:
    call = Call()
    await call.push(0.5, BotStartedSpeakingFrame())
    await call.push(1.0, InterruptionFrame())  # over the greeting
    await call.user_says(stopped=2.0, transcript=2.2)
    await call.agent_answers(2.5, 2.6, 2.7, llm_used="offline")
    await call.push(2.8, TTSAudioRawFrame(b"\0\0", 24000, 1))
    await call.push(2.9, BotStartedSpeakingFrame())
    await call.push(3.5, InterruptionFrame())  # over the answer
    await call.observer.cleanup()

    samples = call.samples()
    assert value(samples, "convonet_interruptions_total", channel="websocket", bot="assistant") == 2
    turn = {"channel": "websocket", "bot": "assistant", "llm": "offline"}
    assert value(samples, "convonet_turns_total", **turn, outcome="interrupted") == 1
    assert value(samples, "convonet_turns_total", **turn, outcome="ok") == 0
    assert abs(stage_sum(samples, "turn") - (3.5 - 1.8)) < 1e-6


async def test_a_timed_out_turn_counts_as_timeout_with_a_thread_reset() -> None:
    call = Call()
    await call.user_says(stopped=1.0, transcript=1.2)
    await call.agent_answers(
        1.5, 3.5, 3.5, llm_used=None, error="agent turn exceeded 2s", thread_reset=True
    )
    await call.push(3.6, TTSAudioRawFrame(b"\0\0", 24000, 1))
    await call.push(3.7, BotStartedSpeakingFrame())
    await call.push(4.5, BotStoppedSpeakingFrame())

    samples = call.samples()
    turn = {"channel": "websocket", "bot": "assistant", "llm": "offline", "outcome": "timeout"}
    assert value(samples, "convonet_turns_total", **turn) == 1
    assert value(samples, "convonet_thread_resets_total", channel="websocket") == 1
    assert abs(stage_sum(samples, "agent") - 2.0) < 1e-6


async def test_a_call_ending_mid_answer_counts_as_abandoned() -> None:
    call = Call()
    await call.user_says(stopped=1.0, transcript=1.2)
    await call.push(1.5, LLMFullResponseStartFrame(), from_agent=True)
    await call.observer.cleanup()

    samples = call.samples()
    turn = {"channel": "websocket", "bot": "assistant", "llm": "offline", "outcome": "abandoned"}
    assert value(samples, "convonet_turns_total", **turn) == 1
    assert stage_sum(samples, "voice_to_voice") == 0  # never spoke
    assert abs(stage_sum(samples, "stt") - 0.2) < 1e-6
