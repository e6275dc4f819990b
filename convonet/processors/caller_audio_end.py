"""CallerAudioEnd: the caller's audio goes no further than the user aggregator.

Pipecat's processors forward what they do not consume, so every 20 ms of the caller's audio
also travelled through the agent, the transfer-events processor, TTS, the transport's
output and the assistant aggregator: six more queue and task hops per frame, 50 times a
second, that nothing there reads (the VAD and the turn model live in the user aggregator,
the audio bridge takes the caller's audio at the input). In the concurrency benchmark's
profile pipecat's per-frame handling was a fifth of a call's CPU.
"""

from pipecat.frames.frames import Frame, InputAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor


class CallerAudioEnd(FrameProcessor):
    """Consumes the caller's audio going downstream; forwards every other frame."""

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Drop downstream ``InputAudioRawFrame``; forward the rest."""
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame) and direction == FrameDirection.DOWNSTREAM:
            return
        await self.push_frame(frame, direction)
