"""Caller audio joined into fewer, larger frames before it enters the pipeline.

A caller's client sends audio in small messages (pipecat's clients and the benchmark 20 ms,
Twilio 20 ms). Every message became one ``InputAudioRawFrame``, and every frame costs the same
fixed work on its way: the input transport's queue, a queue and task hop through each
processor up to the user aggregator, the observers' push, the VAD and the turn model's
buffer, and one websocket message to a cloud STT. Joining ``chunk_secs`` of audio into one
frame divides all of that; the price is latency, since the first message of a chunk waits
for the rest: the VAD hears the end of speech up to ``chunk_secs`` less one message later.
"""

from pipecat.frames.frames import InputAudioRawFrame


class AudioChunker:
    """Joins consecutive caller audio frames until they hold at least ``chunk_secs``.

    Args:
        chunk_secs: Least audio per frame handed on; 0 hands every frame on as it comes.
    """

    def __init__(self, chunk_secs: float) -> None:
        self.chunk_secs = chunk_secs
        self._audio = bytearray()
        self._format: tuple[int, int] | None = None  # (sample rate, channels) of the held audio

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
        if len(self._audio) < round(self.chunk_secs * rate) * 2 * channels:
            return None
        audio, self._audio = bytes(self._audio), bytearray()
        return InputAudioRawFrame(audio, rate, channels)
