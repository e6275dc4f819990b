"""Pipecat's protobuf serializer with the caller's audio messages read straight off the message.

A browser or SDK caller sends its microphone as one protobuf ``audio`` message per 20 ms, 50
a second for the whole call. Pipecat's ``ProtobufFrameSerializer.deserialize`` handles every
message type alike: it walks the message type's field descriptors in Python, builds a
keyword dict and strips the id, name and pts out of it again (the protobuf parse itself is
~1.3 µs). :class:`AudioFastProtobufSerializer` builds the same :class:`InputAudioRawFrame`
from the parsed message's fields directly and leaves every other message type to pipecat:
8.5 → 4.7 µs per message through the guarded serializer on the quiet 2-core benchmark
machine, ~8 ms of a 40 s call's event-loop CPU (``docs/benchmarks.md``, fifth session).
"""

from pipecat.frames.frames import Frame, InputAudioRawFrame
from pipecat.frames.protobufs import frames_pb2
from pipecat.serializers.protobuf import ProtobufFrameSerializer


class AudioFastProtobufSerializer(ProtobufFrameSerializer):
    """:class:`ProtobufFrameSerializer` with a direct path for incoming audio."""

    async def deserialize(self, data: str | bytes) -> Frame | None:
        """Deserialize as pipecat does; audio messages without its generic field walk."""
        proto = frames_pb2.Frame.FromString(data)  # type: ignore[attr-defined]
        if proto.WhichOneof("frame") != "audio":
            # Parsed twice, but these (RTVI client messages) are a handful per call.
            return await super().deserialize(data)
        audio = proto.audio
        frame = InputAudioRawFrame(
            audio=audio.audio, sample_rate=audio.sample_rate, num_channels=audio.num_channels
        )
        # As pipecat: the sender's id, name and timestamp replace the new frame's when set.
        if audio.id:
            frame.id = audio.id
        if audio.name:
            frame.name = audio.name
        if audio.pts:
            frame.pts = audio.pts
        return frame
