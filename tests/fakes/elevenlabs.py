"""Fake ElevenLabs multi-context streaming TTS (``/v1/text-to-speech/{voice}/multi-stream-input``).

The protocol pipecat's ``ElevenLabsTTSService`` speaks: the key travels in the ``xi-api-key``
header (a bad one is refused with HTTP 401 and ElevenLabs' ``invalid_api_key`` body), the query
carries ``model_id``, ``output_format`` (``pcm_<rate>``; the fake produces no MP3/µ-law) and
``auto_mode``. Client messages are JSON:

* ``{"text", "context_id", "voice_settings"?}``: the first message of a context opens it; with
  ``auto_mode=true`` each non-blank text is voiced at once, otherwise it is buffered;
  ``{"text": ""}`` is a keepalive;
* ``{"context_id", "flush": true}``: voice the context's buffered text;
* ``{"context_id", "close_context": true}``: drop the buffer and, after the audio already
  queued for it, answer ``{"isFinal": true, "contextId"}``;
* ``{"close_socket": true}``: close the connection once pending work is done.

Audio goes out as ``{"audio": <base64 PCM>, "alignment", "normalizedAlignment", "contextId"}``
where the alignments give per-character ``chars``/``charStartTimesMs``/``charDurationsMs``,
relative to the start of each message, as ElevenLabs does.
"""

import base64
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

_PATH = re.compile(r"^/v1/text-to-speech/(?P<voice>[^/]+)/multi-stream-input$")
_PCM_FORMAT = re.compile(r"^pcm_(?P<rate>\d+)$")
_SAMPLE_RATES = {8000, 16000, 22050, 24000, 32000, 44100, 48000}


@dataclass
class _Context:
    """One server-side synthesis context."""

    voice_settings: dict[str, Any] | None
    buffer: str = ""
    closed: bool = False


@dataclass
class _Session:
    """State of one connection."""

    sample_rate: int
    auto_mode: bool
    contexts: dict[str, _Context] = field(default_factory=dict)


class FakeElevenLabs(FakeProviderServer):
    """ElevenLabs ``multi-stream-input`` websocket; :attr:`url` is the base URL."""

    def refuse(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Refusal | None:
        """Refuse other paths, bad keys, and output formats the fake cannot produce."""
        if not _PATH.match(path):
            return Refusal(HTTPStatus.NOT_FOUND, json.dumps({"detail": "Not Found"}))
        if headers.get("xi-api-key") != self.api_key:
            detail = {"status": "invalid_api_key", "message": "Invalid API key"}
            return Refusal(HTTPStatus.UNAUTHORIZED, json.dumps({"detail": detail}))
        output = _PCM_FORMAT.match(query.get("output_format", "pcm_24000"))
        if output is None or int(output["rate"]) not in _SAMPLE_RATES:
            detail = {"status": "invalid_output_format", "message": "the fake speaks pcm_* only"}
            return Refusal(HTTPStatus.BAD_REQUEST, json.dumps({"detail": detail}))
        return None

    async def converse(
        self, websocket: ServerConnection, record: RecordedConnection, outbox: Outbox
    ) -> None:
        """Serve contexts until the client closes or sends ``close_socket``."""
        output = _PCM_FORMAT.match(record.query.get("output_format", "pcm_24000"))
        assert output is not None  # checked in refuse()
        session = _Session(
            sample_rate=int(output["rate"]),
            auto_mode=record.query.get("auto_mode") == "true",
        )
        async for message in websocket:
            record.note_received(message)
            request = json.loads(message)
            if request.get("close_socket"):
                outbox.put(outbox.close)
                continue
            context_id = request.get("context_id")
            if context_id is None:
                continue  # a connection-level keepalive
            self._handle(session, record, outbox, str(context_id), request)

    def _handle(
        self,
        session: _Session,
        record: RecordedConnection,
        outbox: Outbox,
        context_id: str,
        request: dict[str, Any],
    ) -> None:
        context = session.contexts.get(context_id)
        text = str(request.get("text", ""))
        if context is None or context.closed:
            if not text:
                return  # flushing, closing or keeping alive a context that is not open
            context = _Context(voice_settings=request.get("voice_settings"))
            session.contexts[context_id] = context
        if request.get("close_context"):
            context.buffer = ""
            context.closed = True
            outbox.put(lambda: outbox.send_json({"isFinal": True, "contextId": context_id}))
            return
        if text.strip():
            if session.auto_mode:
                self._voice(session, record, outbox, context_id, context, text)
            else:
                context.buffer += text
        if request.get("flush") and context.buffer:
            self._voice(session, record, outbox, context_id, context, context.buffer)
            context.buffer = ""

    def _voice(
        self,
        session: _Session,
        record: RecordedConnection,
        outbox: Outbox,
        context_id: str,
        context: _Context,
        text: str,
    ) -> None:
        async def send_chunk(chunk: Chunk) -> None:
            if session.contexts.get(context_id) is not context:
                raise StopStreaming  # the context was closed and reopened meanwhile
            alignment = _alignment(chunk)
            await outbox.send_json(
                {
                    "audio": base64.b64encode(chunk.pcm).decode(),
                    "isFinal": None,
                    "alignment": alignment,
                    "normalizedAlignment": alignment,
                    "contextId": context_id,
                }
            )

        async def job() -> None:
            utterance = self.utterance(text, session.sample_rate, context_id)
            await self.stream(record, utterance, send_chunk)

        outbox.put(job)


def _alignment(chunk: Chunk) -> dict[str, list[Any]]:
    return {
        "chars": list(chunk.text),
        "charStartTimesMs": [round(i * chunk.ms_per_char) for i in range(len(chunk.text))],
        "charDurationsMs": [round(chunk.ms_per_char)] * len(chunk.text),
    }
