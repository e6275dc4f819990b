"""Caller audio joined into fewer, larger frames before it enters the pipeline.

A caller's client sends audio in small messages (pipecat's clients and the benchmark 20 ms,
Twilio 20 ms). Every message became one ``InputAudioRawFrame``, and every frame costs the same
fixed work on its way: the input transport's queue, a queue and task hop through each
processor up to the user aggregator, the observers' push, the VAD and the turn model's
buffer, and one websocket message to a cloud STT. Joining ``chunk_secs`` of audio into one
frame divides all of that.

Joining costs latency where a frame waits for the rest of its chunk, and one stretch of a
call is latency-critical: the quiet right after the caller's speech, in which the VAD stop,
the speculative transcript, the confirm window and the turn model decide that the turn is
over. So that stretch is never joined: the first quiet frame after speech goes on at once,
together with any speech still held, and so does every quiet frame after it for
:data:`AFTER_SPEECH_SECS`. Speech itself and long silences (the caller listening to the bot,
waiting) are joined. The price left is at the start of speech, which the VAD hears up to
``chunk_secs`` less one message later.
"""

from pipecat.frames.frames import InputAudioRawFrame

from convonet.services.speculative_stt import QuietDetector
from convonet.settings import Settings

# Quiet after speech handed on frame by frame: it covers every rule that ends a turn in that
# quiet (the VAD stop at 0.2 s, the 0.55 s confirm window, smart-turn's 1 s limit).
AFTER_SPEECH_SECS = 1.0


class AudioChunker:
    """Joins consecutive caller audio frames until they hold at least ``chunk_secs``.

    Frames in the quiet just after speech are handed on as they come (see the module).

    Args:
        chunk_secs: Least audio per joined frame; 0 hands every frame on as it comes.
        after_speech_secs: Quiet after speech that is never joined.
    """

    def __init__(self, chunk_secs: float, after_speech_secs: float = AFTER_SPEECH_SECS) -> None:
        self.chunk_secs = chunk_secs
        self.after_speech_secs = after_speech_secs
        self._audio = bytearray()
        self._format: tuple[int, int] | None = None  # (sample rate, channels) of the held audio
        # Loud and quiet as the speculative STT tells them (relative to the caller's peak).
        self._levels = QuietDetector(quiet_secs=0.0)

    def add(self, frame: InputAudioRawFrame) -> InputAudioRawFrame | None:
        """Hold ``frame``'s audio; return a joined frame once ``chunk_secs`` is held.

        Only plain :class:`InputAudioRawFrame` is joined; any other frame (and every frame
        when ``chunk_secs`` is 0) is returned as it is. Audio in a new format (sample rate or
        channels) restarts the chunk: what was held in the old one is dropped, which only a
        client changing its format mid-call can cause.

        Args:
            frame: The next frame from the caller.

        Returns:
            The frame to hand on, or ``None`` while a chunk is still filling.
        """
        if self.chunk_secs <= 0 or type(frame) is not InputAudioRawFrame:
            return frame
        audio_format = (frame.sample_rate, frame.num_channels)
        if audio_format != self._format:
            self._audio.clear()
            self._format = audio_format
        self._audio += frame.audio
        rate, channels = audio_format
        levels = self._levels
        levels.update(frame.audio, rate)
        # No peak yet: the caller has not spoken, so there is no "after speech" either.
        after_speech = levels.peak_rms > 0 and 0 < levels.quiet_for <= self.after_speech_secs
        if not after_speech and len(self._audio) < round(self.chunk_secs * rate) * 2 * channels:
            return None
        audio, self._audio = bytes(self._audio), bytearray()
        return InputAudioRawFrame(audio, rate, channels)


def caller_chunker(settings: Settings) -> AudioChunker | None:
    """The chunker a call's serializer uses, or None when ``CALLER_AUDIO_CHUNK_SECS`` is 0."""
    secs = settings.caller_audio_chunk_secs
    return AudioChunker(secs) if secs > 0 else None
