"""Minimal pipecat STT/TTS services: frame sources an observer can recognise by type.

Observer tests push frames as if these services had produced them; they never run.
"""

from collections.abc import AsyncGenerator

from pipecat.frames.frames import Frame
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService


class SilentStt(STTService):
    """An STT service that is only ever a frame's source."""

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        """Never called by the tests."""
        yield Frame()


class SilentTts(TTSService):
    """A TTS service that is only ever a frame's source."""

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        """Never called by the tests."""
        yield Frame()
