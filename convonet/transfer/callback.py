"""``POST /twilio/transfer_callback``: Twilio reports how dialing the agent ended.

It is the ``<Dial>``'s action URL (signed like every Twilio webhook). ``DialCallStatus``
``answered``/``completed`` → the transfer is connected and the call ends normally afterwards;
``busy``, ``no-answer``, ``failed``, ``canceled`` → it failed: the caller hears that nobody is
free and the call is connected to a new media stream for the SAME session, where the bot
carries on with the conversation kept in Redis. Any server process may receive it: the change
goes through the transfer service and reaches the call's process by pub/sub.
"""

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from loguru import logger
from twilio.twiml.voice_response import VoiceResponse

from convonet.api.deps import RuntimeDep
from convonet.errors import TransferError
from convonet.storage.redis import TransferRecord
from convonet.transfer.call import CANCELLED, NOBODY_FREE
from convonet.transfer.service import TransferService
from convonet.transfer.state import under_way
from convonet.transports.twilio import STREAM_CLAIM
from convonet.transports.twilio_auth import TwilioSignature, twilio_form
from convonet.transports.twilio_twiml import connect_stream, twiml

router = APIRouter(prefix="/twilio", tags=["telephony"])

CONNECTED = frozenset({"answered", "completed"})
FAILED = frozenset({"busy", "no-answer", "failed", "canceled"})
CALL_STATUSES = frozenset(
    {"queued", "initiated", "ringing", "in-progress", "answered", "completed", *FAILED}
)
LEG_ENDED = frozenset({"completed", *FAILED})
LEGS = frozenset({"phone", "browser"})


async def _under_way(runtime: RuntimeDep, session_id: str) -> TransferRecord:
    """The transfer under way for ``session_id``; 404 when there is none."""
    record = await runtime.store.get_transfer(session_id) if session_id else None
    if not under_way(record):
        reason = "no transfer is under way for this session (unknown or finished)"
        raise HTTPException(status.HTTP_404_NOT_FOUND, reason)
    assert record is not None
    return record


@router.post(
    "/transfer_callback",
    dependencies=[TwilioSignature],
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "TwiML"},
        400: {"description": "Unknown DialCallStatus"},
        404: {"description": "No transfer under way for the session"},
    },
)
async def transfer_callback(
    request: Request, runtime: RuntimeDep, session_id: str = Query("", max_length=64)
) -> Response:
    """Record how dialing the agent ended; on failure reconnect the caller to the bot."""
    form = await twilio_form(request)
    dial_status = form.get("DialCallStatus", "")
    if dial_status not in CONNECTED | FAILED:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"unknown DialCallStatus {dial_status!r}")
    await _under_way(runtime, session_id)
    service = TransferService(runtime.store)
    caller_gone = form.get("CallStatus") == "completed"
    try:
        if dial_status in CONNECTED:
            await service.advance(session_id, "connected")
            return twiml(VoiceResponse())  # nothing more: the call ends when the agent's does
        failure = CANCELLED if caller_gone else dial_status
        await service.advance(session_id, "failed", failure=failure)
    except TransferError as error:  # another process finished it meanwhile
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    if caller_gone:  # the caller hung up while the agent's phone rang: nobody to reconnect
        return twiml(VoiceResponse())
    logger.info(f"session {session_id}: agent {dial_status}; reconnecting the caller to the bot")
    await runtime.store.release_claim(STREAM_CLAIM, session_id)
    response = VoiceResponse()
    response.say(NOBODY_FREE)
    for verb in connect_stream(request, runtime.settings, session_id).verbs:
        response.append(verb)
    return twiml(response)


@router.post(
    "/transfer_status",
    dependencies=[TwilioSignature],
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        400: {"description": "Unknown CallStatus or leg"},
        404: {"description": "No transfer under way for the session"},
    },
)
async def transfer_status(
    request: Request,
    runtime: RuntimeDep,
    session_id: str = Query("", max_length=64),
    leg: str = Query("phone", max_length=16),
) -> None:
    """Follow the agent's leg: ``ringing``, and a browser leg that ended unanswered."""
    form = await twilio_form(request)
    call_status = form.get("CallStatus", "")
    if call_status not in CALL_STATUSES:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"unknown CallStatus {call_status!r}")
    if leg not in LEGS:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"unknown leg {leg!r}")
    record = await _under_way(runtime, session_id)
    service = TransferService(runtime.store)
    try:
        if call_status == "ringing" and record.status == "initiated":
            await service.advance(session_id, "ringing")
        elif leg == "browser" and call_status in LEG_ENDED:
            await service.advance(session_id, "failed", failure=call_status)
    except TransferError as error:  # another process moved it on meanwhile
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
