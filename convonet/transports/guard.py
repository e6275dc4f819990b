"""Serializer guard: malformed client input is reported and dropped, never fatal.

Pipecat's websocket input loop ends the session when a serializer raises (garbage protobuf,
non-JSON Twilio text). :class:`GuardedDeserializeMixin` wraps ``deserialize`` so a bad message
is logged, reported to the client through a callback (an RTVI error message), and skipped.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger
from pipecat.frames.frames import CancelFrame, EndFrame, Frame, InputAudioRawFrame
from pipecat.serializers.twilio import TwilioFrameSerializer

from convonet.transports.audio_chunks import AudioChunker
from convonet.transports.fast_protobuf import AudioFastProtobufSerializer

BadInputCallback = Callable[[str], Awaitable[None]]
_VALID_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})


def audio_problem(frame: InputAudioRawFrame) -> str | None:
    """Why an incoming audio frame cannot be used, or ``None`` when it can."""
    if frame.sample_rate not in _VALID_RATES:
        return f"unsupported audio sample rate {frame.sample_rate}"
    if frame.num_channels not in (1, 2):
        return f"unsupported channel count {frame.num_channels}"
    if len(frame.audio) % (2 * frame.num_channels):
        return "audio payload is not whole 16-bit samples"
    return None


class GuardedDeserializeMixin:
    """Mixin for a :class:`FrameSerializer` that turns bad input into a reported no-op.

    Attributes:
        max_bytes: Largest message accepted.
        none_is_bad: Whether a message the serializer maps to no frame is an error.
        on_bad_input: Awaited with a reason for every rejected message.
        rejected: How many messages were rejected.
        chunker: Joins the caller's audio into larger frames (off unless set).
    """

    max_bytes: int = 256 * 1024
    none_is_bad: bool = False
    on_bad_input: BadInputCallback | None = None
    rejected: int = 0
    chunker: AudioChunker | None = None

    async def deserialize(self, data: str | bytes) -> Frame | None:
        """Deserialize like the wrapped serializer, rejecting bad input instead of raising."""
        problem: str | None = None
        frame: Frame | None = None
        if len(data) > self.max_bytes:
            problem = f"message of {len(data)} bytes exceeds {self.max_bytes}"
        else:
            try:
                frame = await super().deserialize(data)  # type: ignore[misc]
            except Exception as error:  # any parse failure of client bytes is bad input
                problem = f"malformed message ({type(error).__name__})"
            if frame is None and problem is None and self.none_is_bad:
                problem = "unrecognised message"
            if isinstance(frame, InputAudioRawFrame):
                problem = audio_problem(frame)
        if problem is not None:
            await self._reject(problem)
            return None
        if self.chunker is not None and isinstance(frame, InputAudioRawFrame):
            return self.chunker.add(frame)
        return frame

    async def _reject(self, reason: str) -> None:
        self.rejected += 1
        logger.warning(f"{self}: rejected client input: {reason}")
        if self.on_bad_input is not None:
            await self.on_bad_input(reason)


class GuardedProtobufSerializer(GuardedDeserializeMixin, AudioFastProtobufSerializer):
    """Pipecat's protobuf/RTVI serializer with the bad-input guard (and its audio fast path)."""

    def __init__(self, *, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self.none_is_bad = True


class GuardedTwilioSerializer(GuardedDeserializeMixin, TwilioFrameSerializer):
    """Pipecat's Twilio media-stream serializer with the bad-input guard.

    Unknown Twilio events map to no frame and are ignored (they are not errors); only
    unparseable or oversized messages are rejected. Once ``handed_off`` is set (the call is
    being transferred to a person), the pipeline's end no longer hangs the caller up.
    """

    def __init__(self, *, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self.handed_off = False

    async def serialize(self, frame: Frame) -> str | bytes | None:
        """Serialize like pipecat, except no hang-up after the call was handed off."""
        if self.handed_off and isinstance(frame, EndFrame | CancelFrame):
            return None
        return await super().serialize(frame)

    async def deserialize(self, data: str | bytes) -> Frame | None:
        """Reject non-JSON text here: pipecat would log the whole raw message and move on."""
        if len(data) <= self.max_bytes:
            try:
                json.loads(data)
            except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
                await self._reject("malformed JSON")
                return None
        return await super().deserialize(data)
