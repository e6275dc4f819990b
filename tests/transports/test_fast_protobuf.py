"""The audio fast path reads a caller's audio message exactly as pipecat's serializer does."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pipecat.frames.frames import Frame, InputAudioRawFrame, TextFrame
from pipecat.frames.protobufs import frames_pb2
from pipecat.serializers.protobuf import ProtobufFrameSerializer

from convonet.transports.fast_protobuf import AudioFastProtobufSerializer
from convonet.transports.guard import GuardedProtobufSerializer


def _fields(frame: Frame, *, sent_id: int, sent_name: str) -> dict[str, object]:
    # Each new frame takes the next id and name#count: only what the sender set compares.
    values = {f.name: getattr(frame, f.name) for f in dataclasses.fields(frame)}
    if not sent_id:
        values.pop("id")
    if not sent_name:
        values.pop("name")
    return values


def _audio_message(audio: bytes, rate: int, channels: int, id_: int, name: str, pts: int) -> bytes:
    proto = frames_pb2.Frame()  # type: ignore[attr-defined]
    proto.audio.audio = audio
    proto.audio.sample_rate = rate
    proto.audio.num_channels = channels
    proto.audio.id = id_
    proto.audio.name = name
    proto.audio.pts = pts
    return proto.SerializeToString()


async def _outcome(serializer: ProtobufFrameSerializer, data: bytes) -> Frame | Exception | None:
    try:
        return await serializer.deserialize(data)
    except Exception as error:  # compared, not hidden: both serializers must fail alike
        return error


@given(
    audio=st.binary(max_size=2000),
    rate=st.sampled_from([0, 8000, 16000, 24000, 48000, 4_000_000_000]),
    channels=st.integers(0, 4),
    id_=st.integers(0, 2**63 - 1),
    name=st.text(max_size=12),
    pts=st.integers(0, 2**63 - 1),
)
async def test_audio_messages_come_out_as_pipecats_frames(
    audio: bytes, rate: int, channels: int, id_: int, name: str, pts: int
) -> None:
    data = _audio_message(audio, rate, channels, id_, name, pts)
    fast = await _outcome(AudioFastProtobufSerializer(), data)
    pipecat = await _outcome(ProtobufFrameSerializer(), data)
    if isinstance(pipecat, Exception):  # no channels: both fail alike (the guard reports it)
        assert type(fast) is type(pipecat)
        return
    assert isinstance(fast, InputAudioRawFrame) and type(fast) is type(pipecat)
    assert _fields(fast, sent_id=id_, sent_name=name) == _fields(
        pipecat, sent_id=id_, sent_name=name
    )


async def test_other_messages_are_pipecats_to_read() -> None:
    text = await ProtobufFrameSerializer().serialize(TextFrame("hello"))
    assert isinstance(text, bytes)
    frame = await AudioFastProtobufSerializer().deserialize(text)
    assert isinstance(frame, TextFrame) and frame.text == "hello"


async def test_garbage_is_still_reported_by_the_guard() -> None:
    reasons: list[str] = []

    async def report(reason: str) -> None:
        reasons.append(reason)

    guarded = GuardedProtobufSerializer(max_bytes=1024)
    guarded.on_bad_input = report
    assert await guarded.deserialize(b"\xff\xff\xff not protobuf") is None
    odd = _audio_message(b"\x00\x00\x00", 16000, 1, 0, "", 0)  # 1.5 samples
    assert await guarded.deserialize(odd) is None
    assert len(reasons) == 2
    assert reasons[0].startswith("malformed message")
    assert reasons[1] == "audio payload is not whole 16-bit samples"


async def test_audio_skips_pipecats_generic_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    async def generic(_self: ProtobufFrameSerializer, _data: str | bytes) -> Frame | None:
        raise AssertionError("audio went through the generic field walk")

    monkeypatch.setattr(ProtobufFrameSerializer, "deserialize", generic)
    data = _audio_message(b"\x01\x00" * 320, 16000, 1, 0, "", 0)
    frame = await AudioFastProtobufSerializer().deserialize(data)
    assert isinstance(frame, InputAudioRawFrame) and frame.num_frames == 320
