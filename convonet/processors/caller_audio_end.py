"""CallerAudioEnd and BotAudioEnd: audio goes no further than the last processor that reads it.

Pipecat's processors forward what they do not consume, so every 20 ms of the caller's audio
also travelled through the agent, the transfer-events processor, TTS, the transport's
output and the assistant aggregator: six more queue and task hops per frame, 50 times a
second, that nothing there reads (the VAD and the turn model live in the user aggregator,
the audio bridge takes the caller's audio at the input). In the concurrency benchmark's
profile pipecat's per-frame handling was a fifth of a call's CPU.

The bot's audio is the same at the other end: the output transport, once it has sent a chunk
(40 ms) to the caller, pushes it on downstream "in case anyone else needs it", through the
assistant aggregator and the pipeline's and the worker's sinks, none of which reads audio.
Observers still see each chunk's push out of the transport.

Both run in pipecat's direct mode: a frame is handled in the task of the processor that
pushed it, with no input queue and task of their own, since all they do is drop or forward.
"""

from typing import ClassVar

from pipecat.frames.frames import Frame, InputAudioRawFrame, OutputAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor


class AudioEnd(FrameProcessor):
    """Consumes downstream frames of type ``ends`` (set by each subclass); forwards the rest."""

    ends: ClassVar[type[Frame]]

    def __init__(self, **kwargs: object) -> None:
        """Create the processor in direct mode (it never waits on anything)."""
        kwargs.setdefault("enable_direct_mode", True)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Drop downstream ``ends`` frames; forward the rest."""
        await super().process_frame(frame, direction)
        if isinstance(frame, self.ends) and direction == FrameDirection.DOWNSTREAM:
            return
        await self.push_frame(frame, direction)


class CallerAudioEnd(AudioEnd):
    """Right after the user aggregator: consumes the caller's audio."""

    ends = InputAudioRawFrame


class BotAudioEnd(AudioEnd):
    """Right after the output transport: consumes the bot's audio (TTS audio too)."""

    ends = OutputAudioRawFrame
