"""Fake Deepgram streaming servers: live STT (``/v1/listen``) and Aura TTS (``/v1/speak``).

Both authenticate with ``Authorization: Token <key>`` and refuse a bad key with HTTP 401 and a
``dg-error`` header, as Deepgram does. Point ``deepgram_stt_url`` / ``deepgram_tts_url`` at
:attr:`FakeProviderServer.url` (a base URL; the clients append the paths). The concurrency
benchmark serves a whole server's calls from one of each, with a configured latency.

Live STT (:class:`FakeDeepgramSTT`): binary messages are audio (``encoding``, ``sample_rate``
and ``channels`` from the query); JSON messages are ``KeepAlive``, ``Finalize`` and
``CloseStream``. The fake answers ``Results`` messages carrying :attr:`FakeDeepgramSTT.transcript`
(an interim one when ``interim_results=true``, then a final, ``speech_final`` one) each time
``final_after_secs`` of audio has arrived, a ``from_finalize`` final on ``Finalize``, and on
``CloseStream`` a final for any audio not yet transcribed, a ``Metadata`` message, then closes.

TTS (:class:`FakeDeepgramTTS`): sends ``Metadata`` on connect; ``Speak`` appends text to a
buffer, ``Flush`` voices the buffer as binary linear16 audio followed by ``Flushed``, ``Clear``
drops buffered and in-flight audio and answers ``Cleared``, ``Close`` closes the socket once
pending work is done.
"""

import asyncio
import hashlib
import json
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection

from convonet.bench.fakes.provider import FakeProviderServer, Outbox, StopStreaming
from convonet.bench.fakes.recording import Chunk, RecordedConnection, Refusal, new_id

LINEAR16 = "linear16"


def _refuse(expected_path: str, api_key: str, path: str, headers: dict[str, str]) -> Refusal | None:
    if path != expected_path:
        return _dg_refusal(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"No such endpoint: {path}")
    if headers.get("authorization") != f"Token {api_key}":
        return _dg_refusal(HTTPStatus.UNAUTHORIZED, "INVALID_AUTH", "Invalid credentials.")
    return None


def _dg_refusal(status: HTTPStatus, code: str, message: str) -> Refusal:
    body = json.dumps({"err_code": code, "err_msg": message, "request_id": new_id()})
    return Refusal(status, body, {"dg-error": message, "dg-request-id": new_id()})


@dataclass
class _ListenStream:
    """State of one live-transcription connection."""

    bytes_per_sec: int
    channels: int
    model: str
    request_id: str
    interim_results: bool
    received_bytes: int = 0
    segment_start_bytes: int = 0
    interim_sent: bool = False

    @property
    def pending_secs(self) -> float:
        return (self.received_bytes - self.segment_start_bytes) / self.bytes_per_sec

    @property
    def segment_start_secs(self) -> float:
        return self.segment_start_bytes / self.bytes_per_sec


class FakeDeepgramSTT(FakeProviderServer):
    """Deepgram live transcription (``wss://api.deepgram.com/v1/listen``).

    Attributes:
        transcript: What every final result says.
        final_after_secs: Audio (seconds) after which the fake ends a segment on its own, as
            Deepgram's endpointing would; None to finalize only on ``Finalize``/``CloseStream``.
    """

    def __init__(
        self,
        *,
        api_key: str,
        transcript: str = "Hello from the fake.",
        final_after_secs: float | None = 0.5,
        latency: float = 0.0,
    ) -> None:
        super().__init__(api_key=api_key, latency=latency)
        self.transcript = transcript
        self.final_after_secs = final_after_secs

    def refuse(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Refusal | None:
        """Refuse other paths, bad keys, and raw audio without a sample rate."""
        refusal = _refuse("/v1/listen", self.api_key, path, headers)
        if refusal is None and query.get("encoding") and not query.get("sample_rate"):
            message = "sample_rate is required when encoding is set"
            refusal = _dg_refusal(HTTPStatus.BAD_REQUEST, "INVALID_QUERY_PARAMETER", message)
        return refusal

    def response_headers(self) -> dict[str, str]:
        """Deepgram names each request in the upgrade response."""
        return {"dg-request-id": new_id()}

    async def converse(
        self, websocket: ServerConnection, record: RecordedConnection, outbox: Outbox
    ) -> None:
        """Transcribe until the client closes or sends ``CloseStream``."""
        channels = int(record.query.get("channels", "1"))
        stream = _ListenStream(
            bytes_per_sec=2 * channels * int(record.query.get("sample_rate", "16000")),
            channels=channels,
            model=record.query.get("model", "nova-3-general"),
            request_id=new_id(),
            interim_results=record.query.get("interim_results") == "true",
        )
        async for message in websocket:
            record.note_received(message)
            if isinstance(message, bytes):
                self._on_audio(stream, message, outbox)
                continue
            kind = json.loads(message).get("type")
            if kind == "Finalize":
                self._end_segment(stream, outbox, from_finalize=True)
            elif kind == "CloseStream":
                if stream.pending_secs > 0:
                    self._end_segment(stream, outbox, from_finalize=False)
                outbox.put(lambda: outbox.send_json(self._metadata(stream, record)))
                outbox.put(outbox.close)

    def _on_audio(self, stream: _ListenStream, audio: bytes, outbox: Outbox) -> None:
        stream.received_bytes += len(audio)
        if self.final_after_secs is None:
            return
        halfway = stream.pending_secs >= self.final_after_secs / 2
        if stream.interim_results and not stream.interim_sent and halfway:
            stream.interim_sent = True
            words = self.transcript.split()
            partial = " ".join(words[: max(1, len(words) // 2)])
            self._send_result(stream, outbox, partial, is_final=False)
        if stream.pending_secs >= self.final_after_secs:
            self._end_segment(stream, outbox, from_finalize=False)

    def _end_segment(self, stream: _ListenStream, outbox: Outbox, *, from_finalize: bool) -> None:
        transcript = self.transcript if stream.pending_secs > 0 else ""
        self._send_result(
            stream,
            outbox,
            transcript,
            is_final=True,
            speech_final=not from_finalize,
            from_finalize=from_finalize,
        )
        stream.segment_start_bytes = stream.received_bytes
        stream.interim_sent = False

    def _send_result(
        self,
        stream: _ListenStream,
        outbox: Outbox,
        transcript: str,
        *,
        is_final: bool,
        speech_final: bool = False,
        from_finalize: bool = False,
    ) -> None:
        start, duration = stream.segment_start_secs, stream.pending_secs
        result: dict[str, Any] = {
            "type": "Results",
            "channel_index": [0, stream.channels],
            "duration": duration,
            "start": start,
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": from_finalize,
            "channel": {"alternatives": [_alternative(transcript, start, duration)]},
            "metadata": {
                "request_id": stream.request_id,
                "model_info": {"name": stream.model, "version": "fake", "arch": "fake"},
                "model_uuid": stream.request_id,
            },
        }

        async def job() -> None:
            await asyncio.sleep(self.latency)
            await outbox.send_json(result)

        outbox.put(job)

    def _metadata(self, stream: _ListenStream, record: RecordedConnection) -> dict[str, Any]:
        return {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": stream.request_id,
            "sha256": hashlib.sha256(record.audio_received).hexdigest(),
            "created": datetime.now(UTC).isoformat(),
            "duration": stream.received_bytes / stream.bytes_per_sec,
            "channels": stream.channels,
            "models": [stream.request_id],
            "model_info": {stream.request_id: {"name": stream.model, "version": "fake"}},
        }


def _alternative(transcript: str, start: float, duration: float) -> dict[str, Any]:
    words = transcript.split()
    step = duration / max(1, len(words))
    return {
        "transcript": transcript,
        "confidence": 0.99,
        "words": [
            {
                "word": word.strip(string.punctuation).lower(),
                "start": start + i * step,
                "end": start + (i + 1) * step,
                "confidence": 0.99,
                "punctuated_word": word,
            }
            for i, word in enumerate(words)
        ],
    }


@dataclass
class _SpeakStream:
    """State of one TTS connection."""

    sample_rate: int
    buffer: str = ""
    generation: int = 0
    sequence_id: int = 0


class FakeDeepgramTTS(FakeProviderServer):
    """Deepgram Aura streaming TTS (``wss://api.deepgram.com/v1/speak``)."""

    def refuse(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Refusal | None:
        """Refuse other paths, bad keys, and encodings the fake cannot produce."""
        refusal = _refuse("/v1/speak", self.api_key, path, headers)
        if refusal is None and query.get("encoding", LINEAR16) != LINEAR16:
            message = f"the fake only speaks {LINEAR16}"
            refusal = _dg_refusal(HTTPStatus.BAD_REQUEST, "UNSUPPORTED_ENCODING", message)
        return refusal

    def response_headers(self) -> dict[str, str]:
        """Deepgram names each request in the upgrade response."""
        return {"dg-request-id": new_id()}

    async def converse(
        self, websocket: ServerConnection, record: RecordedConnection, outbox: Outbox
    ) -> None:
        """Speak until the client closes or sends ``Close``."""
        stream = _SpeakStream(sample_rate=int(record.query.get("sample_rate", "24000")))
        model = record.query.get("model", "aura-2-helena-en")
        await outbox.send_json(
            {
                "type": "Metadata",
                "request_id": new_id(),
                "model_name": model,
                "model_version": "fake",
                "model_uuid": new_id(),
            }
        )
        async for message in websocket:
            record.note_received(message)
            if isinstance(message, bytes):
                await outbox.send_json(_warning("Binary messages are not supported."))
                continue
            request = json.loads(message)
            kind = request.get("type")
            if kind == "Speak":
                stream.buffer += str(request.get("text", ""))
            elif kind == "Flush":
                self._flush(stream, record, outbox)
            elif kind == "Clear":
                stream.buffer = ""
                stream.generation += 1
                outbox.put(lambda: self._acknowledge(stream, outbox, "Cleared"))
            elif kind == "Close":
                outbox.put(outbox.close)
            else:
                await outbox.send_json(_warning(f"Unknown message type: {kind}"))

    def _flush(self, stream: _SpeakStream, record: RecordedConnection, outbox: Outbox) -> None:
        text, stream.buffer = stream.buffer, ""
        generation = stream.generation

        async def send_chunk(chunk: Chunk) -> None:
            if stream.generation != generation:
                raise StopStreaming
            await outbox.send(chunk.pcm)

        async def job() -> None:
            if stream.generation != generation:
                return
            if text.strip():
                utterance = self.utterance(text, stream.sample_rate)
                if not await self.stream(record, utterance, send_chunk):
                    return  # a Clear cut it short; Cleared answers instead
            await self._acknowledge(stream, outbox, "Flushed")

        outbox.put(job)

    async def _acknowledge(self, stream: _SpeakStream, outbox: Outbox, kind: str) -> None:
        await outbox.send_json({"type": kind, "sequence_id": stream.sequence_id})
        stream.sequence_id += 1


def _warning(description: str) -> dict[str, Any]:
    return {"type": "Warning", "description": description, "code": "INVALID_MESSAGE"}
