"""Fake Cartesia streaming TTS websocket (``/tts/websocket``).

The protocol pipecat's ``CartesiaTTSService`` speaks. The key travels in the ``X-API-Key``
header (or the ``api_key`` query parameter) and the API version in ``Cartesia-Version`` (or
``cartesia_version``); a bad key is refused with HTTP 401, a missing version with HTTP 400.

Each client message is a JSON generation request ``{"transcript", "continue", "context_id",
"model_id", "voice": {"mode": "id", "id"}, "output_format": {"container": "raw", "encoding":
"pcm_s16le", "sample_rate"}, "add_timestamps", ...}`` or a cancel ``{"context_id", "cancel":
true}``. A transcript is voiced at once (as with ``max_buffer_delay_ms=0``) as ``chunk``
messages carrying base64 PCM, each followed, when ``add_timestamps`` is set, by a
``timestamps`` message for the words starting in it (seconds from the start of the context).
``continue: false`` ends the context with ``done``; ``"flush": true`` is answered with
``flush_done``; anything invalid, or sent to a finished context, gets an ``error`` message.
"""

import base64
import functools
import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection

from tests.fakes.provider import (
    Chunk,
    FakeProviderServer,
    Outbox,
    RecordedConnection,
    Refusal,
    StopStreaming,
)

PATH = "/tts/websocket"
_SAMPLE_RATES = {8000, 16000, 22050, 24000, 44100, 48000}
_WORD = re.compile(r"\S+")


@dataclass
class _Context:
    """One generation context."""

    sample_rate: int
    spoken_chars: int = 0
    flushes: int = 0
    done: bool = False
    cancelled: bool = False


@dataclass
class _Session:
    """State of one connection."""

    contexts: dict[str, _Context] = field(default_factory=dict)


class FakeCartesia(FakeProviderServer):
    """Cartesia TTS websocket; :attr:`url` is the full websocket URL (path included)."""

    URL_PATH = PATH  # Cartesia's setting holds the whole websocket URL

    def refuse(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Refusal | None:
        """Refuse other paths, bad keys and requests without an API version."""
        if path != PATH:
            return Refusal(HTTPStatus.NOT_FOUND, "Not Found")
        if (headers.get("x-api-key") or query.get("api_key")) != self.api_key:
            return Refusal(HTTPStatus.UNAUTHORIZED, json.dumps({"error": "Invalid API key"}))
        if not (headers.get("cartesia-version") or query.get("cartesia_version")):
            body = json.dumps({"error": "Cartesia-Version header is required"})
            return Refusal(HTTPStatus.BAD_REQUEST, body)
        return None

    async def converse(
        self, websocket: ServerConnection, record: RecordedConnection, outbox: Outbox
    ) -> None:
        """Serve generation requests until the client closes."""
        session = _Session()
        async for message in websocket:
            record.note_received(message)
            request = json.loads(message)
            context_id = str(request.get("context_id") or "")
            if request.get("cancel"):
                context = session.contexts.get(context_id)
                if context is not None:
                    context.cancelled = context.done = True
                continue
            problem = _validate(request, session.contexts.get(context_id))
            if problem:
                outbox.put(functools.partial(outbox.send_json, _error(context_id, problem)))
                continue
            self._generate(session, record, outbox, context_id, request)

    def _generate(
        self,
        session: _Session,
        record: RecordedConnection,
        outbox: Outbox,
        context_id: str,
        request: dict[str, Any],
    ) -> None:
        sample_rate = int(request["output_format"]["sample_rate"])
        context = session.contexts.setdefault(context_id, _Context(sample_rate))
        transcript = str(request.get("transcript", ""))
        if transcript.strip():
            self._voice(record, outbox, context_id, context, transcript, request)
        if request.get("flush"):
            context.flushes += 1
            flush_id = context.flushes
            outbox.put(lambda: outbox.send_json(_flush_done(context_id, flush_id)))
        if request.get("continue") is False:
            context.done = True
            outbox.put(lambda: self._finish(outbox, context_id, context))

    def _voice(
        self,
        record: RecordedConnection,
        outbox: Outbox,
        context_id: str,
        context: _Context,
        transcript: str,
        request: dict[str, Any],
    ) -> None:
        add_timestamps = bool(request.get("add_timestamps"))

        async def send_chunk(chunk: Chunk) -> None:
            if context.cancelled:
                raise StopStreaming
            await outbox.send_json(
                {
                    "type": "chunk",
                    "data": base64.b64encode(chunk.pcm).decode(),
                    "done": False,
                    "status_code": 206,
                    "step_time": chunk.ms_per_char * len(chunk.text),
                    "context_id": context_id,
                }
            )
            if add_timestamps:
                words = _word_timestamps(chunk, transcript, context.spoken_chars)
                if words["words"]:
                    await outbox.send_json(_timestamps(context_id, words))

        async def job() -> None:
            if context.cancelled:
                return
            utterance = self.utterance(transcript, context.sample_rate, context_id)
            await self.stream(record, utterance, send_chunk)
            context.spoken_chars += len(transcript)

        outbox.put(job)

    async def _finish(self, outbox: Outbox, context_id: str, context: _Context) -> None:
        if not context.cancelled:
            await outbox.send_json(
                {"type": "done", "done": True, "status_code": 200, "context_id": context_id}
            )


def _validate(request: dict[str, Any], context: _Context | None) -> str | None:
    if not request.get("context_id"):
        return "context_id is required"
    if context is not None and context.done:
        return f"context {request['context_id']} is already done"
    if not request.get("model_id"):
        return "model_id is required"
    voice = request.get("voice") or {}
    if voice.get("mode") != "id" or not voice.get("id"):
        return "voice must be {'mode': 'id', 'id': <voice id>}"
    output = request.get("output_format") or {}
    if output.get("container") != "raw" or output.get("encoding") != "pcm_s16le":
        return "the fake produces raw pcm_s16le only"
    if output.get("sample_rate") not in _SAMPLE_RATES:
        return f"unsupported sample_rate {output.get('sample_rate')!r}"
    return None


def _word_timestamps(chunk: Chunk, transcript: str, context_offset: int) -> dict[str, list[Any]]:
    """Words that start within ``chunk``, timed in seconds from the start of the context."""
    words: dict[str, list[Any]] = {"words": [], "start": [], "end": []}
    end_of_chunk = chunk.offset + len(chunk.text)
    for match in _WORD.finditer(transcript):
        if chunk.offset <= match.start() < end_of_chunk:
            words["words"].append(match.group())
            words["start"].append((context_offset + match.start()) * chunk.ms_per_char / 1000)
            words["end"].append((context_offset + match.end()) * chunk.ms_per_char / 1000)
    return words


def _timestamps(context_id: str, words: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        "type": "timestamps",
        "done": False,
        "status_code": 206,
        "context_id": context_id,
        "word_timestamps": words,
    }


def _flush_done(context_id: str, flush_id: int) -> dict[str, Any]:
    return {
        "type": "flush_done",
        "done": False,
        "flush_done": True,
        "flush_id": flush_id,
        "status_code": 206,
        "context_id": context_id,
    }


def _error(context_id: str, message: str) -> dict[str, Any]:
    return {
        "type": "error",
        "done": True,
        "status_code": 400,
        "error": message,
        "context_id": context_id,
    }
