"""AudioChunker and the guarded serializer: caller audio joined into larger frames, in order."""

from pipecat.frames.frames import InputAudioRawFrame, UserAudioRawFrame

from convonet.bench.client import audio_message
from convonet.transports.audio_chunks import AudioChunker
from convonet.transports.guard import GuardedProtobufSerializer

MS20 = 320 * 2  # bytes of 20 ms of 16 kHz mono


def _audio(value: int, rate: int = 16000, size: int = MS20) -> InputAudioRawFrame:
    return InputAudioRawFrame(bytes([value]) * size, rate, 1)


def test_two_20_ms_frames_become_one_40_ms_frame_in_order() -> None:
    chunker = AudioChunker(0.04)
    assert chunker.add(_audio(1)) is None
    joined = chunker.add(_audio(2))
    assert joined is not None and type(joined) is InputAudioRawFrame
    assert joined.audio == bytes([1]) * MS20 + bytes([2]) * MS20
    assert (joined.sample_rate, joined.num_channels) == (16000, 1)
    assert chunker.add(_audio(3)) is None  # the next chunk starts empty


def test_off_other_frames_and_format_changes() -> None:
    frame = _audio(1)
    assert AudioChunker(0).add(frame) is frame  # off: as the client sent it
    chunker = AudioChunker(0.04)
    user = UserAudioRawFrame(b"\x00\x00" * 320, 16000, 1, user_id="x")
    assert chunker.add(user) is user  # only plain caller audio is joined
    assert chunker.add(_audio(1, 16000)) is None
    # 8 kHz now: the 16 kHz half chunk is dropped, the 8 kHz chunk fills on its own.
    assert chunker.add(_audio(2, 8000, 160 * 2)) is None
    joined = chunker.add(_audio(3, 8000, 160 * 2))
    assert joined is not None and joined.sample_rate == 8000
    assert joined.audio == bytes([2]) * 320 + bytes([3]) * 320


async def test_the_guarded_serializer_hands_on_joined_audio() -> None:
    serializer = GuardedProtobufSerializer(max_bytes=256 * 1024)
    serializer.chunker = AudioChunker(0.04)
    messages = [audio_message(bytes([v]) * MS20, 16000) for v in (1, 2, 3, 4)]
    frames = [await serializer.deserialize(m) for m in messages]  # as a client sends them
    assert [f is None for f in frames] == [True, False, True, False]
    assert serializer.rejected == 0  # a held message is no bad input
    joined = [f for f in frames if isinstance(f, InputAudioRawFrame)]
    assert [len(f.audio) for f in joined] == [2 * MS20, 2 * MS20]


def _loud() -> InputAudioRawFrame:
    return _audio(40)  # int16 samples of 10280: speech level


def _quiet() -> InputAudioRawFrame:
    return _audio(0)


def test_the_quiet_after_speech_is_never_held() -> None:
    chunker = AudioChunker(0.06, after_speech_secs=0.09)
    # Speech is joined: three 20 ms frames per chunk.
    assert [chunker.add(_loud()) is None for _ in range(4)] == [True, True, False, True]
    # The first quiet frame hands on at once, with the speech still held in front of it.
    end = chunker.add(_quiet())
    assert end is not None and end.audio == bytes([40]) * MS20 + bytes([0]) * MS20
    # The rest of the quiet after speech (up to 0.09 s here) goes on frame by frame...
    after = [chunker.add(_quiet()) for _ in range(3)]
    assert [len(f.audio) if f else 0 for f in after] == [MS20, MS20, MS20]
    # ...and longer quiet (the caller listening) is joined again.
    held = [chunker.add(_quiet()) for _ in range(6)]
    assert [f is None for f in held] == [True, True, False, True, True, False]
    # Speech again: joined from its first frame.
    assert chunker.add(_loud()) is None


def test_quiet_before_any_speech_is_joined() -> None:
    chunker = AudioChunker(0.04)
    assert [chunker.add(_quiet()) is None for _ in range(4)] == [True, False, True, False]
