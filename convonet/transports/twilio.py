"""Phone callers through Twilio: the media stream.

After the PIN webhooks (:mod:`convonet.transports.twilio_pin`) have signed the caller in,
Twilio opens ``WS /twilio/ws``, streams the caller's 8 kHz μ-law audio there and plays back what we
send. The stream runs the same pipeline as every other transport, with pipecat's Twilio
serializer (behind our bad-input guard) translating between the two. The PIN is handled by
the webhooks alone: it never enters the stream, so it never reaches STT or the LLM.
"""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket
from loguru import logger
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)

from convonet.api.deps import RuntimeDep
from convonet.errors import (
    ServerBusyError,
    SessionNotFoundError,
    UnknownBotError,
    UnknownLLMError,
    UnknownProviderError,
)
from convonet.lifecycle.admission import CLOSE_BUSY, check_room
from convonet.pipeline import build_pipeline
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.settings import Settings
from convonet.transfer.context import spoken_messages
from convonet.transfer.phone import PhoneLeg
from convonet.transports.audio_chunks import caller_chunker
from convonet.transports.guard import GuardedTwilioSerializer
from convonet.transports.twilio_auth import TwilioSignature

router = APIRouter(prefix="/twilio", tags=["telephony"])

TWILIO_RATE = 8000  # Twilio media streams carry 8 kHz μ-law
# The pipeline runs at Twilio's rate end to end: no streaming resampler delay on the way in
# (our Whisper service resamples each finished utterance to 16 kHz itself).
PIPELINE_IN_RATE = TWILIO_RATE
START_TIMEOUT_SECS = 10.0  # how long the stream may take to send its ``start`` message
CLOSE_NO_START = 4408  # no ``start`` message in time
CLOSE_BAD_CALL = 4400  # the session names a bot, LLM or provider this server lacks
CLOSE_UNAUTHORIZED = 4401  # no signed-in session for this call, or it is already streaming
STREAM_CLAIM = "twilio-stream"  # claim kind: one media stream per session
RESUMED = "How else can I help you?"


@dataclass(frozen=True)
class StreamStart:
    """What Twilio's ``start`` message tells about the call.

    Attributes:
        stream_sid: The media stream's id (``MZ...``); every message we send carries it.
        call_sid: The call's id (``CA...``).
        account_sid: The Twilio account (``AC...``).
        parameters: The ``<Parameter>``s of the TwiML ``<Stream>``.
    """

    stream_sid: str
    call_sid: str
    account_sid: str = ""
    parameters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, message: dict[str, Any]) -> "StreamStart | None":
        """Read a ``start`` message; ``None`` if it is not a usable one."""
        start = message.get("start")
        if message.get("event") != "start" or not isinstance(start, dict):
            return None
        stream_sid = start.get("streamSid") or message.get("streamSid")
        if not isinstance(stream_sid, str) or not stream_sid:
            return None
        raw = start.get("customParameters")
        parameters = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
        return cls(
            stream_sid=stream_sid,
            call_sid=str(start.get("callSid") or ""),
            account_sid=str(start.get("accountSid") or ""),
            parameters=parameters,
        )


def _parse_message(data: str | bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, absurd nesting
        return None
    return message if isinstance(message, dict) else None


async def read_start(websocket: WebSocket, max_bytes: int) -> StreamStart | None:
    """Read messages until Twilio's ``start``; anything else before it is logged and skipped.

    Returns:
        The call's details, or ``None`` if the caller disconnected first.
    """
    while True:
        received = await websocket.receive()
        if received["type"] == "websocket.disconnect":
            return None
        data = received.get("text") or received.get("bytes")
        if data is not None and len(data) > max_bytes:
            logger.warning(f"twilio stream: skipped a {len(data)}-byte message before start")
            continue
        message = _parse_message(data)
        if message is None:
            logger.warning("twilio stream: skipped a malformed message before start")
        elif message.get("event") == "connected":
            logger.debug(f"twilio stream connected: {message.get('protocol')}")
        elif start := StreamStart.parse(message):
            return start
        else:
            logger.warning(f"twilio stream: skipped {message.get('event')!r} before start")


def create_twilio_serializer(settings: Settings, start: StreamStart) -> GuardedTwilioSerializer:
    """Pipecat's Twilio serializer (behind the bad-input guard) for one stream.

    Auto hang-up (the serializer ends the call through Twilio's REST API when the pipeline
    ends while the stream is still open) is on only when the account sid and auth token are
    configured, so local development never calls Twilio.
    """
    token = settings.twilio_auth_token
    account_sid = settings.twilio_account_sid
    hang_up = bool(account_sid and token and start.call_sid)
    serializer = GuardedTwilioSerializer(
        max_bytes=settings.max_ws_message_bytes,
        stream_sid=start.stream_sid,
        call_sid=start.call_sid or None,
        account_sid=account_sid if hang_up else None,
        auth_token=token.get_secret_value() if hang_up and token else None,
        base_url=settings.twilio_api_base_url,
        params=TwilioFrameSerializer.InputParams(
            twilio_sample_rate=TWILIO_RATE,
            auto_hang_up=hang_up,
            # Keep the 8→16 kHz resampler's history across network jitter: clearing it after
            # a 0.2 s gap (pipecat's default) drops the ~90 ms of speech it holds.
            resampler_clear_after_secs=None,
        ),
    )
    serializer.chunker = caller_chunker(settings)
    return serializer


def create_twilio_transport(
    websocket: WebSocket, serializer: GuardedTwilioSerializer
) -> FastAPIWebsocketTransport:
    """Pipecat's FastAPI websocket transport speaking Twilio's media-stream protocol."""
    return FastAPIWebsocketTransport(
        websocket=websocket,
        params=FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            serializer=serializer,
            # Twilio sends no Origin header; the signature check is its authentication.
            allowed_origins=[],
        ),
    )


async def _stream_session(runtime: Runtime, start: StreamStart) -> CallSession:
    """The signed-in session a stream's ``session_id`` parameter names, claimed for it.

    Raises:
        SessionNotFoundError: No such session, one made for another call, or one whose
            stream is already connected.
    """
    session_id = start.parameters.get("session_id", "")
    if not session_id:
        raise SessionNotFoundError("the stream has no session_id parameter")
    session = await runtime.load_session(session_id, "twilio")
    call_sid = session.metadata.get("call_sid")
    if not call_sid or call_sid != start.call_sid:
        raise SessionNotFoundError("the session belongs to another call")
    ttl = runtime.settings.session_ttl_secs
    if not await runtime.store.claim_once(STREAM_CLAIM, session_id, ttl):
        raise SessionNotFoundError("the session already has a media stream")
    session.metadata["stream_sid"] = start.stream_sid
    return session


async def _open_session(
    websocket: WebSocket, runtime: Runtime, start: StreamStart
) -> CallSession | None:
    """The stream's session, or ``None`` after closing the stream with the reason."""
    try:
        return await _stream_session(runtime, start)
    except SessionNotFoundError as error:
        code, reason = CLOSE_UNAUTHORIZED, str(error)
    except (UnknownBotError, UnknownLLMError, UnknownProviderError) as error:
        code, reason = CLOSE_BAD_CALL, str(error)
    logger.warning(f"twilio stream for call {start.call_sid} refused: {reason}")
    await websocket.close(code=code, reason=reason[:120])
    return None


@router.websocket("/ws", dependencies=[TwilioSignature])
async def media_stream(websocket: WebSocket, runtime: RuntimeDep) -> None:
    """Run one phone call over a Twilio media stream."""
    await websocket.accept()
    try:
        async with asyncio.timeout(START_TIMEOUT_SECS):
            start = await read_start(websocket, runtime.settings.max_ws_message_bytes)
    except TimeoutError:
        reason = f"no Twilio start message within {START_TIMEOUT_SECS:g} s"
        logger.warning(f"twilio stream closed: {reason}")
        await websocket.close(code=CLOSE_NO_START, reason=reason)
        return
    if start is None:
        return
    session = await _open_session(websocket, runtime, start)
    if session is None:
        return
    try:
        check_room(runtime, session.session_id)
    except ServerBusyError as error:
        await websocket.close(code=CLOSE_BUSY, reason=str(error)[:120])
        return
    logger.info(f"session {session.session_id}: twilio call {start.call_sid} started")
    if not runtime.models.ready:
        await runtime.models.load()
    serializer = create_twilio_serializer(runtime.settings, start)
    transport = create_twilio_transport(websocket, serializer)
    history = await runtime.store.get_history(session.session_id)
    voice = build_pipeline(
        transport,
        session,
        runtime,
        audio_in_sample_rate=PIPELINE_IN_RATE,
        audio_out_sample_rate=TWILIO_RATE,
        leg=PhoneLeg(runtime.settings, start.call_sid, serializer),
        history=history,
    )
    if history:  # back from a transfer nobody took: carry on, no second welcome
        voice.greeting = RESUMED
    voice.handle_call_events(transport, greet_delay_secs=0)
    try:
        await runtime.live.run(session, voice.run(), handle=voice)
    finally:  # kept for a stream that comes back to this session after a failed transfer
        await runtime.store.save_history(
            session.session_id,
            spoken_messages(voice.context.get_messages()),
            runtime.settings.session_ttl_secs,
        )
