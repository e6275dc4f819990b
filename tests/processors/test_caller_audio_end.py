"""CallerAudioEnd and BotAudioEnd with pipecat's run_test: audio stops, everything else passes."""

from pipecat.frames.frames import (
    BotSpeakingFrame,
    InputAudioRawFrame,
    OutputAudioRawFrame,
    TextFrame,
    TTSAudioRawFrame,
    UserAudioRawFrame,
)
from pipecat.tests.utils import run_test

from convonet.processors.caller_audio_end import BotAudioEnd, CallerAudioEnd


async def test_caller_audio_is_consumed_and_other_frames_pass() -> None:
    audio = InputAudioRawFrame(b"\x00\x00" * 320, 16000, 1)
    user_audio = UserAudioRawFrame(b"\x00\x00" * 320, 16000, 1, user_id="caller")
    down, up = await run_test(
        CallerAudioEnd(),
        frames_to_send=[audio, TextFrame("hello"), user_audio, TextFrame("again")],
        expected_down_frames=[TextFrame, TextFrame],
    )
    assert [f.text for f in down] == ["hello", "again"]
    assert up == []


async def test_bot_audio_is_consumed_after_the_transport_and_other_frames_pass() -> None:
    chunk = OutputAudioRawFrame(b"\x00\x00" * 480, 24000, 1)
    tts_chunk = TTSAudioRawFrame(b"\x00\x00" * 480, 24000, 1)
    down, up = await run_test(
        BotAudioEnd(),
        frames_to_send=[chunk, BotSpeakingFrame(), tts_chunk, TextFrame("said")],
        expected_down_frames=[BotSpeakingFrame, TextFrame],
    )
    assert isinstance(down[1], TextFrame) and down[1].text == "said"
    assert up == []
