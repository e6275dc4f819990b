"""Phone callers through Twilio: the PIN sign-in webhooks and the status callback.

A call arrives at ``POST /twilio/voice``, which answers with a DTMF ``<Gather>`` for the
caller's voice PIN (numbers in ``TWILIO_TRUSTED_CALLERS`` that belong to a user skip it).
Twilio posts the keyed digits to ``POST /twilio/pin``; a right PIN creates the session in
Redis and answers ``<Connect><Stream>`` with the session id as a ``<Parameter>``, and the
stream itself is served by :mod:`convonet.transports.twilio`. The PIN is handled by these
webhooks alone: it never enters the stream, so it never reaches STT or the LLM.
"""

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from loguru import logger
from twilio.twiml.voice_response import VoiceResponse

from convonet.api.deps import RuntimeDep
from convonet.auth.voice import SignedIn, sign_in_with_pin, signed_in_as
from convonet.errors import (
    AuthenticationError,
    InvalidInputError,
    RateLimitedError,
    UnknownBotError,
    UnknownLLMError,
    UnknownProviderError,
)
from convonet.lifecycle.admission import phone_busy_refusal
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.settings import Settings
from convonet.storage.users import get_by_phone, normalize_phone
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

_TWIML: dict[str, Any] = {
    "response_class": Response,
    "responses": {200: {"content": {"application/xml": {}}, "description": "TwiML"}},
}


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
