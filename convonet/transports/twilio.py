"""Phone callers through Twilio: PIN sign-in webhooks, status callback and media stream.

A call arrives at ``POST /twilio/voice``, which answers with a DTMF ``<Gather>`` for the
caller's voice PIN (numbers in ``TWILIO_TRUSTED_CALLERS`` that belong to a user skip it).
Twilio posts the keyed digits to ``POST /twilio/pin``; a right PIN creates the session in
Redis and answers ``<Connect><Stream>`` with the session id as a ``<Parameter>``. Twilio then
opens ``WS /twilio/ws``, streams the caller's 8 kHz μ-law audio there and plays back what we
send. The stream runs the same pipeline as every other transport, with pipecat's Twilio
serializer (behind our bad-input guard) translating between the two. The PIN is handled by
the webhooks alone: it never enters the stream, so it never reaches STT or the LLM.
"""

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response, WebSocket
from loguru import logger
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)
from twilio.twiml.voice_response import VoiceResponse

from convonet.admission import CLOSE_BUSY, check_room, phone_busy_refusal
from convonet.auth.voice import SignedIn, sign_in_with_pin, signed_in_as
from convonet.deps import RuntimeDep
from convonet.errors import (
    AuthenticationError,
    InvalidInputError,
    RateLimitedError,
    ServerBusyError,
    SessionNotFoundError,
    UnknownBotError,
    UnknownLLMError,
    UnknownProviderError,
)
from convonet.pipeline import build_pipeline
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.settings import Settings
from convonet.storage.users import get_by_phone, normalize_phone
from convonet.transfer.context import spoken_messages
from convonet.transfer.phone import PhoneLeg
from convonet.transports.guard import GuardedTwilioSerializer
from convonet.transports.twilio_auth import TwilioSignature, twilio_form
from convonet.transports.twilio_twiml import (
    ENTER_PIN,
    LOCKED_OUT,
    MISCONFIGURED,
    NO_PIN_GOODBYE,
    RETRY,
    WELCOME,
    WRONG_PIN_GOODBYE,
    PinStep,
    ask_for_pin,
    connect_stream,
    goodbye,
    twiml,
)

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
_TWIML: dict[str, Any] = {
    "response_class": Response,
    "responses": {200: {"content": {"application/xml": {}}, "description": "TwiML"}},
}


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


def _normalized(number: str) -> str | None:
    """``number`` in E.164, or ``None`` when it is not a phone number."""
    try:
        return normalize_phone(number)
    except InvalidInputError:
        return None


async def _trusted_caller(runtime: Runtime, caller: str) -> SignedIn | None:
    """The user a trusted caller number belongs to, or ``None`` (then the PIN is asked)."""
    number = _normalized(caller)
    trusted = {_normalized(n) for n in runtime.settings.twilio_trusted_callers}
    if number is None or number not in trusted:
        return None
    async with runtime.db.session() as db:
        user = await get_by_phone(db, number)
        if user is None:
            logger.warning(f"trusted caller {_mask(number)} is no user's phone; asking for a PIN")
            return None
        return await signed_in_as(db, user)


async def _start_session(
    runtime: Runtime, draft: CallSession, who: SignedIn, form: Mapping[str, str]
) -> CallSession:
    """Give the call's session its user and call details and store it for the stream."""
    draft.user_id, draft.user_name, draft.timezone = who.user_id, who.name, who.timezone
    draft.metadata.update(
        call_sid=form.get("CallSid", ""),
        from_number=form.get("From", ""),
        to_number=form.get("To", ""),
    )
    await runtime.save_session(draft, who.team_ids)
    return draft


def _draft_session(runtime: Runtime, step: PinStep) -> CallSession | None:
    """A session with the number's choices, or ``None`` when the number is misconfigured."""
    try:
        return runtime.new_session("twilio", bot=step.bot, llm=step.llm)
    except (UnknownBotError, UnknownLLMError, UnknownProviderError) as error:
        logger.warning(f"twilio webhook misconfigured: {error}")
        return None


@router.post("/voice", dependencies=[TwilioSignature], **_TWIML)
async def voice_webhook(request: Request, runtime: RuntimeDep) -> Response:
    """Answer an incoming call: ask for the caller's PIN (trusted numbers skip it).

    Query ``?bot=`` (and ``?llm=``) on the number's webhook URL choose the bot for that number.
    """
    form = await twilio_form(request)
    step = PinStep.from_request(request, runtime.settings)
    caller = form.get("From", "")
    logger.info(f"twilio call {form.get('CallSid', '?')} from {_mask(caller)} for bot {step.bot}")
    draft = _draft_session(runtime, step)
    if draft is None:
        return twiml(goodbye(MISCONFIGURED))
    if (busy := phone_busy_refusal(runtime, None)) is not None:
        return busy  # before the PIN: a caller is not asked for it only to be refused
    trusted = await _trusted_caller(runtime, caller)
    if trusted is not None:
        if (busy := phone_busy_refusal(runtime, draft.session_id)) is not None:
            return busy
        session = await _start_session(runtime, draft, trusted, form)
        logger.info(f"session {session.session_id}: trusted caller {_mask(caller)}, no PIN")
        return twiml(connect_stream(request, runtime.settings, session.session_id))
    return twiml(ask_for_pin(step.url(request, runtime.settings), WELCOME))


def _another_try(
    request: Request, settings: Settings, step: PinStep, prompt: str, farewell: str
) -> VoiceResponse:
    """Ask again (the next attempt), or say ``farewell`` after the call's last attempt."""
    if step.attempt >= settings.twilio_pin_attempts:
        return goodbye(farewell)
    return ask_for_pin(step.next().url(request, settings), prompt)


@router.post("/pin", dependencies=[TwilioSignature], **_TWIML)
async def pin_webhook(request: Request, runtime: RuntimeDep) -> Response:
    """Check the PIN the caller keyed; connect the call, ask again, or say goodbye.

    The digits are checked here and go nowhere else: never into logs, never into the media
    stream, so they cannot reach speech recognition or the LLM.
    """
    form = await twilio_form(request)
    settings = runtime.settings
    call_sid = form.get("CallSid", "?")
    step = PinStep.from_request(request, settings)
    draft = _draft_session(runtime, step)
    if draft is None:
        return twiml(goodbye(MISCONFIGURED))
    digits = form.get("Digits", "")
    if not digits:  # the Gather timed out: this attempt is used up, but nothing failed
        return twiml(_another_try(request, settings, step, ENTER_PIN, NO_PIN_GOODBYE))
    # Anonymous calls share one lockout key rather than escaping the limit.
    caller = form.get("From", "").strip() or "unknown"
    try:
        who = await sign_in_with_pin(
            runtime,
            digits,
            client_ip=None,
            caller_number=caller,
            called_number=form.get("To", "").strip() or None,
        )
    except RateLimitedError as error:
        logger.warning(
            f"twilio call {call_sid}: {_mask(caller)} locked out ({error.retry_after} s)"
        )
        return twiml(goodbye(LOCKED_OUT))
    except AuthenticationError:
        logger.info(f"twilio call {call_sid}: wrong PIN, attempt {step.attempt}")
        return twiml(_another_try(request, settings, step, RETRY, WRONG_PIN_GOODBYE))
    if (busy := phone_busy_refusal(runtime, draft.session_id)) is not None:
        return busy
    session = await _start_session(runtime, draft, who, form)
    logger.info(f"session {session.session_id}: twilio call {call_sid} signed in by PIN")
    return twiml(connect_stream(request, settings, session.session_id))


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
        base_url=settings.twilio_api_base_url,
        params=TwilioFrameSerializer.InputParams(
            twilio_sample_rate=TWILIO_RATE,
            auto_hang_up=hang_up,
            # Keep the 8→16 kHz resampler's history across network jitter: clearing it after
            # a 0.2 s gap (pipecat's default) drops the ~90 ms of speech it holds.
            resampler_clear_after_secs=None,
        ),
    )


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
        phone_leg=PhoneLeg(runtime.settings, start.call_sid, serializer),
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
