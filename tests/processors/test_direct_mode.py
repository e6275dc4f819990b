"""The pass-through processors run in pipecat's direct mode and still pass every kind of frame.

Direct mode hands a frame to ``process_frame`` in the pushing processor's task (no input
queue of their own): system frames (the caller's audio, interruptions), data frames and
control frames all still arrive, in order, both ways.
"""

from collections.abc import Callable

import pytest
from pipecat.frames.frames import (
    InterruptionFrame,
    TextFrame,
    TranscriptionFrame,
    UserStartedSpeakingFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import run_test

from convonet.processors.bridge import BridgeInputProcessor, BridgeOutputProcessor
from convonet.processors.caller_audio_end import BotAudioEnd, CallerAudioEnd
from convonet.processors.transfer_events import TransferEventsProcessor
from convonet.processors.transfer_phrases import TransferPhraseProcessor
from convonet.storage.redis import RedisStore
from convonet.transfer.bridge import AudioBridge
from convonet.transfer.events import TransferEvents
from convonet.transfer.phrases import TransferAsk


async def _never_started(ask: TransferAsk) -> str:
    raise AssertionError(f"no transfer was asked for: {ask}")


PROCESSORS: dict[str, Callable[[RedisStore], FrameProcessor]] = {
    "bridge input": lambda _store: BridgeInputProcessor(AudioBridge()),
    "bridge output": lambda _store: BridgeOutputProcessor(AudioBridge()),
    "caller audio end": lambda _store: CallerAudioEnd(),
    "bot audio end": lambda _store: BotAudioEnd(),
    "transfer phrases": lambda _store: TransferPhraseProcessor(_never_started, LLMContext()),
    "transfer events": lambda store: TransferEventsProcessor(TransferEvents(store), "call-1"),
}


@pytest.mark.parametrize("name", PROCESSORS)
async def test_direct_mode_passes_system_data_and_upstream_frames_in_order(
    name: str, redis_store: RedisStore
) -> None:
    processor = PROCESSORS[name](redis_store)
    assert processor._enable_direct_mode  # the point of the change: no queue of its own
    transcript = TranscriptionFrame(text="add milk", user_id="u", timestamp="now")
    down, _ = await run_test(
        processor,
        frames_to_send=[UserStartedSpeakingFrame(), transcript, InterruptionFrame()],
        expected_down_frames=[UserStartedSpeakingFrame, TranscriptionFrame, InterruptionFrame],
    )
    assert isinstance(down[1], TranscriptionFrame) and down[1].text == "add milk"
    _, up = await run_test(
        PROCESSORS[name](redis_store),
        frames_to_send=[TextFrame("up")],
        frames_to_send_direction=FrameDirection.UPSTREAM,
        expected_up_frames=[TextFrame],
    )
    assert isinstance(up[0], TextFrame) and up[0].text == "up"
