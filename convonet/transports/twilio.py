"""Phone callers through Twilio: the voice webhook, status callback and media stream.

``POST /twilio/voice`` answers an incoming call with TwiML that connects it to
``WS /twilio/ws``; Twilio then streams the caller's 8 kHz μ-law audio there and plays back
what we send. The stream runs the same pipeline as every other transport, with pipecat's
Twilio serializer (behind our bad-input guard) translating between the two.
"""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response, WebSocket
from loguru import logger
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)
from twilio.twiml.voice_response import Connect, VoiceResponse

from convonet.deps import RuntimeDep
from convonet.errors import UnknownBotError, UnknownLLMError, UnknownProviderError
from convonet.pipeline import build_pipeline
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.settings import Settings
from convonet.transports.guard import GuardedTwilioSerializer
from convonet.transports.twilio_auth import TwilioSignature, twilio_form
from convonet.transports.urls import websocket_url

router = APIRouter(prefix="/twilio", tags=["telephony"])

TWILIO_RATE = 8000  # Twilio media streams carry 8 kHz μ-law
# The pipeline runs at Twilio's rate end to end: no streaming resampler delay on the way in
# (our Whisper service resamples each finished utterance to 16 kHz itself).
PIPELINE_IN_RATE = TWILIO_RATE
START_TIMEOUT_SECS = 10.0  # how long the stream may take to send its ``start`` message
CLOSE_NO_START = 4408  # no ``start`` message in time
CLOSE_BAD_CALL = 4400  # the stream asked for an unknown bot, LLM or provider


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


def _mask(number: str) -> str:
    """A phone number safe for logs (last four digits)."""
    return f"…{number[-4:]}" if len(number) > 4 else number


@router.post(
    "/voice",
    dependencies=[TwilioSignature],
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "TwiML"}},
)
async def voice_webhook(request: Request, runtime: RuntimeDep) -> Response:
    """Answer an incoming call: connect it to this server's media stream.

    Query ``?bot=`` (and ``?llm=``) on the number's webhook URL choose the bot for that number.
    """
    form = await twilio_form(request)
    bot = request.query_params.get("bot") or runtime.settings.default_bot
    llm = request.query_params.get("llm")
    caller = form.get("From", "")
    logger.info(f"twilio call {form.get('CallSid', '?')} from {_mask(caller)} for bot {bot}")
    response = VoiceResponse()
    try:
        runtime.new_session("twilio", bot=bot, llm=llm)  # validates the number's choices
    except (UnknownBotError, UnknownLLMError, UnknownProviderError) as error:
        logger.warning(f"twilio voice webhook misconfigured: {error}")
        response.say("Sorry, this number is not set up correctly. Goodbye.")
        response.hangup()
        return Response(str(response), media_type="application/xml")
    connect = Connect()
    stream = connect.stream(url=websocket_url(request, runtime.settings, "/twilio/ws"))
    stream.parameter(name="bot", value=bot)
    if llm:
        stream.parameter(name="llm", value=llm)
    stream.parameter(name="from_number", value=caller)
    stream.parameter(name="to_number", value=form.get("To", ""))
    response.append(connect)
    return Response(str(response), media_type="application/xml")


@router.post("/status", dependencies=[TwilioSignature], status_code=204)
async def status_callback(request: Request) -> Response:
    """Record a call status change Twilio reports (ringing, in-progress, completed, ...)."""
    form = await twilio_form(request)
    logger.info(
        f"twilio call {form.get('CallSid', '?')} status {form.get('CallStatus', '?')}"
        f" (duration {form.get('CallDuration', '-')} s)"
    )
    return Response(status_code=204)


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
    return GuardedTwilioSerializer(
        max_bytes=settings.max_ws_message_bytes,
        stream_sid=start.stream_sid,
        call_sid=start.call_sid or None,
        account_sid=account_sid if hang_up else None,
        auth_token=token.get_secret_value() if hang_up and token else None,
        params=TwilioFrameSerializer.InputParams(
            twilio_sample_rate=TWILIO_RATE,
            auto_hang_up=hang_up,
            # Keep the 8→16 kHz resampler's history across network jitter: clearing it after
            # a 0.2 s gap (pipecat's default) drops the ~90 ms of speech it holds.
            resampler_clear_after_secs=None,
        ),
    )


def create_twilio_transport(
    websocket: WebSocket, settings: Settings, start: StreamStart
) -> FastAPIWebsocketTransport:
    """Pipecat's FastAPI websocket transport speaking Twilio's media-stream protocol."""
    return FastAPIWebsocketTransport(
        websocket=websocket,
        params=FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            serializer=create_twilio_serializer(settings, start),
            # Twilio sends no Origin header; the signature check is its authentication.
            allowed_origins=[],
        ),
    )


async def _open_session(
    websocket: WebSocket, runtime: Runtime, start: StreamStart
) -> CallSession | None:
    params = start.parameters
    try:
        session = runtime.new_session(
            "twilio", bot=params.get("bot") or None, llm=params.get("llm") or None
        )
    except (UnknownBotError, UnknownLLMError, UnknownProviderError) as error:
        await websocket.close(code=CLOSE_BAD_CALL, reason=str(error)[:120])
        return None
    session.metadata.update(
        call_sid=start.call_sid,
        stream_sid=start.stream_sid,
        from_number=params.get("from_number", ""),
        to_number=params.get("to_number", ""),
    )
    return session


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
    logger.info(f"session {session.session_id}: twilio call {start.call_sid} started")
    if not runtime.models.ready:
        await runtime.models.load()
    transport = create_twilio_transport(websocket, runtime.settings, start)
    voice = build_pipeline(
        transport,
        session,
        runtime,
        audio_in_sample_rate=PIPELINE_IN_RATE,
        audio_out_sample_rate=TWILIO_RATE,
    )
    voice.handle_call_events(transport, greet_delay_secs=0)
    await runtime.live.run(session, voice.run(), handle=voice)
