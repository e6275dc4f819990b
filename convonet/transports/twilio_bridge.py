"""``WS /twilio/bridge``: the agent's side of a browser caller's transfer.

Twilio opens it when the agent answers the call placed by
:class:`~convonet.transfer.browser.BrowserLeg` (``<Connect><Stream>`` with the session id as
a stream parameter); the upgrade is signature-checked like every Twilio request. The stream
must belong to the transfer under way (its call SID is the transfer's ``call_sid``) and land
on the process running the caller's pipeline, whose :class:`~convonet.transfer.bridge.AudioBridge`
then carries audio both ways until the agent hangs up. The transfer becomes ``connected``.
"""

import asyncio

from fastapi import APIRouter, WebSocket
from loguru import logger

from convonet.api.deps import RuntimeDep
from convonet.errors import TransferError
from convonet.runtime import Runtime
from convonet.transfer.bridge import AudioBridge
from convonet.transfer.browser import BRIDGE_PATH
from convonet.transfer.service import TransferService
from convonet.transfer.state import under_way
from convonet.transports.twilio import (
    CLOSE_NO_START,
    START_TIMEOUT_SECS,
    StreamStart,
    read_start,
)
from convonet.transports.twilio_auth import TwilioSignature

router = APIRouter(tags=["telephony"])

CLOSE_NOT_HERE = 4404  # the caller's pipeline does not run in this process (or has ended)
CLOSE_NOT_RINGING = 4409  # no transfer of that session is waiting for this call


class Refused(Exception):
    """The stream cannot be bridged; ``code`` and ``reason`` close it."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


async def _bridge_for(runtime: Runtime, start: StreamStart) -> AudioBridge:
    """The caller's bridge for this stream, the transfer now ``connected``.

    Raises:
        Refused: The caller is not here, or no transfer waits for this call.
    """
    session_id = start.parameters.get("session_id", "")
    voice = runtime.live.handle(session_id) if session_id else None
    bridge = getattr(voice, "bridge", None)
    if not isinstance(bridge, AudioBridge):
        reason = "no browser caller of that session is on this server process"
        raise Refused(CLOSE_NOT_HERE, reason)
    record = await runtime.store.get_transfer(session_id)
    if not under_way(record) or record is None or record.call_sid != start.call_sid:
        raise Refused(CLOSE_NOT_RINGING, "no transfer of that session is waiting for this call")
    try:
        await TransferService(runtime.store).advance(session_id, "connected")
    except TransferError as error:
        raise Refused(CLOSE_NOT_RINGING, str(error)) from error
    return bridge


@router.websocket(BRIDGE_PATH, dependencies=[TwilioSignature])
async def bridge_stream(websocket: WebSocket, runtime: RuntimeDep) -> None:
    """Bridge the agent who answered to the browser caller waiting for them."""
    await websocket.accept()
    try:
        async with asyncio.timeout(START_TIMEOUT_SECS):
            start = await read_start(websocket, runtime.settings.max_ws_message_bytes)
    except TimeoutError:
        await websocket.close(code=CLOSE_NO_START, reason="no Twilio start message in time")
        return
    if start is None:
        return
    try:
        bridge = await _bridge_for(runtime, start)
    except Refused as refused:
        logger.warning(f"bridge stream for call {start.call_sid} refused: {refused.reason}")
        await websocket.close(code=refused.code, reason=refused.reason[:120])
        return
    try:
        await bridge.run(websocket, start.stream_sid)
    except TransferError as error:
        await websocket.close(code=CLOSE_NOT_HERE, reason=str(error)[:120])
