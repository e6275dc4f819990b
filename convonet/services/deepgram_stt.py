"""Pipecat's Deepgram streaming STT, sending the caller's audio in fewer, larger messages.

Why: pipecat's ``DeepgramSTTService`` sends every audio frame it gets as one websocket
message, and each send goes through the SDK's socket, ``websockets``' framing (a fresh mask
per message) and a write. In py-spy the STT and TTS sockets together were 11-15% of a
server's event loop on the concurrency benchmark; the sends' own share is smaller: joining
them into 0.1 s messages saved 0.4-1.5 ms of CPU per second of caller audio in isolation
(``docs/benchmarks.md``).

What it must not cost: the final transcript. Pipecat asks Deepgram for it (``Finalize``) when
the VAD hears the caller stop; whatever audio is still held is sent right before that
request, so Deepgram has every word when it finalizes. Interim results can come up to
``send_secs`` later, which nothing in a call waits on (the VAD, not a transcript, starts a
turn and interrupts the bot).
"""

from collections.abc import AsyncGenerator
from typing import Any

from pipecat.frames.frames import Frame, VADUserStoppedSpeakingFrame
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.deepgram.stt import DeepgramSTTService

# Deepgram's own guidance is 20-100 ms per message for streaming; longer still works.
DEFAULT_SEND_SECS = 0.1


class JoinedDeepgramSTTService(DeepgramSTTService):
    """:class:`DeepgramSTTService` that joins audio into messages of ``send_secs``.

    Args:
        send_secs: Least audio per websocket message; 0 sends every frame as it comes.
        **kwargs: Passed to :class:`DeepgramSTTService`.
    """

    def __init__(self, *, send_secs: float = DEFAULT_SEND_SECS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._send_secs = send_secs
        self._held = bytearray()

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        """Hold ``audio``; send what is held once it lasts ``send_secs``.

        Args:
            audio: The next frame's 16-bit mono PCM at the service's sample rate.

        Yields:
            None (transcripts come through the websocket's callbacks).
        """
        self._held += audio
        # 2 bytes per 16-bit sample; the input is mono (pipecat's STT input contract).
        if len(self._held) >= self._send_secs * self.sample_rate * 2:
            await self._send_held()
        yield None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Send the held audio before the VAD stop makes the parent ask for the final."""
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            await self._send_held()
        await super().process_frame(frame, direction)

    async def _send_held(self) -> None:
        if not self._held:
            return
        audio, self._held = bytes(self._held), bytearray()
        # The parent's send (and its reconnect on a failed send) for the joined audio.
        async for _ in super().run_stt(audio):
            pass
