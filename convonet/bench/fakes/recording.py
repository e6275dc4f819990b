"""What the fake cloud speech servers synthesize and record.

The fake voice is a deterministic sine tone lasting a fixed time per character of text
(:func:`tone_for_text`), so a test can predict the exact PCM bytes a fake will send. Every
accepted connection is kept as a :class:`RecordedConnection`.
"""

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import numpy as np

DEFAULT_MS_PER_CHAR = 50.0
DEFAULT_CHARS_PER_CHUNK = 8
TONE_HZ = 440.0
TONE_AMPLITUDE = 0.3


def tone_for_text(text: str, sample_rate: int, ms_per_char: float = DEFAULT_MS_PER_CHAR) -> bytes:
    """Synthesize the fake voice: a 440 Hz tone lasting ``ms_per_char`` per character.

    Args:
        text: The text being spoken; its length (spaces included) sets the duration.
        sample_rate: Output sample rate in Hz.
        ms_per_char: Milliseconds of audio per character.

    Returns:
        Mono 16-bit little-endian PCM; empty when ``text`` is blank.
    """
    if not text.strip():
        return b""
    samples = _samples_per_char(sample_rate, ms_per_char) * len(text)
    t = np.arange(samples) / sample_rate
    wave = TONE_AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * t)
    return (wave * 32767).astype("<i2").tobytes()


def _samples_per_char(sample_rate: int, ms_per_char: float) -> int:
    return max(1, round(sample_rate * ms_per_char / 1000))


@dataclass(frozen=True)
class Chunk:
    """One piece of an utterance as a fake streams it."""

    text: str  # the characters this chunk voices
    offset: int  # index of the first of them in the utterance
    pcm: bytes  # their audio
    ms_per_char: float


@dataclass(frozen=True)
class Utterance:
    """Text a fake synthesized, with all of its audio (16-bit mono PCM)."""

    text: str
    pcm: bytes
    sample_rate: int
    context_id: str | None = None  # the client's, for protocols that have one

    def chunks(self, chars_per_chunk: int, ms_per_char: float) -> Iterator[Chunk]:
        """Split the audio into chunks of ``chars_per_chunk`` whole characters, in order."""
        if not self.pcm:
            return
        bytes_per_char = 2 * _samples_per_char(self.sample_rate, ms_per_char)
        for offset in range(0, len(self.text), chars_per_chunk):
            text = self.text[offset : offset + chars_per_chunk]
            pcm = self.pcm[offset * bytes_per_char : (offset + len(text)) * bytes_per_char]
            yield Chunk(text, offset, pcm, ms_per_char)


@dataclass
class RecordedRequest:
    """A handshake a fake refused (fields as in :class:`RecordedConnection`)."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int  # what the fake answered


@dataclass
class RecordedConnection:
    """Everything that happened on one accepted websocket connection.

    Attributes:
        path: Request path, without the query.
        query: Query parameters (last value wins).
        headers: Request headers, names lower-cased.
        received: Messages from the client, in order (``str`` text, ``bytes`` binary).
        sent: Messages the fake sent, in order.
        utterances: What the fake synthesized (TTS fakes), in order.
        audio_sent: The synthesized audio actually streamed (less than the utterances' when a
            client cancelled mid-stream).
        streams: One entry per finished stream of an utterance: True if it was sent whole,
            False if a cancel cut it short.
        finished: Set once the connection is over and the fake has stopped using it.
        keep_audio: Whether binary messages from the client are kept in :attr:`received`
            (a long benchmark turns this off; :attr:`audio_received_bytes` still counts).
        audio_received_bytes: Bytes of binary messages received from the client.
    """

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    received: list[str | bytes] = field(default_factory=list)
    sent: list[str | bytes] = field(default_factory=list)
    utterances: list[Utterance] = field(default_factory=list)
    audio_sent: bytearray = field(default_factory=bytearray)
    streams: list[bool] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    keep_audio: bool = True
    audio_received_bytes: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def note_received(self, message: str | bytes) -> None:
        """Record a message from the client."""
        if isinstance(message, bytes):
            self.audio_received_bytes += len(message)
            if not self.keep_audio:
                self._changed.set()
                return
        self._note(self.received, message)

    def note_sent(self, message: str | bytes) -> None:
        """Record a message to the client."""
        self._note(self.sent, message)

    def note_stream_end(self, complete: bool) -> None:
        """Record that streaming an utterance ended, whole or cut short."""
        self._note(self.streams, complete)

    def _note(self, log: list[Any], item: Any) -> None:
        log.append(item)
        self._changed.set()

    async def wait_until(self, condition: Callable[["RecordedConnection"], bool]) -> None:
        """Wait until ``condition(self)`` holds (re-checked after every recorded event).

        Callers bound the wait themselves (``asyncio.timeout``).
        """
        while not condition(self):
            self._changed.clear()
            await self._changed.wait()

    @property
    def json_received(self) -> list[dict[str, Any]]:
        """The client's text messages, parsed."""
        return [json.loads(m) for m in self.received if isinstance(m, str)]

    @property
    def json_sent(self) -> list[dict[str, Any]]:
        """The fake's text messages, parsed."""
        return [json.loads(m) for m in self.sent if isinstance(m, str)]

    @property
    def audio_received(self) -> bytes:
        """All binary messages from the client, concatenated."""
        return b"".join(m for m in self.received if isinstance(m, bytes))


@dataclass(frozen=True)
class Refusal:
    """How a fake turns down a handshake: HTTP status, body and extra headers."""

    status: HTTPStatus
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def new_id() -> str:
    """A fresh request/model id, formatted like the providers' UUIDs."""
    return str(uuid.uuid4())
