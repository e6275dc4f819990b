"""CallerAudioEnd with pipecat's run_test: caller audio stops here, everything else passes."""

from pipecat.frames.frames import InputAudioRawFrame, TextFrame, UserAudioRawFrame
from pipecat.tests.utils import run_test

from convonet.processors.caller_audio_end import CallerAudioEnd


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
