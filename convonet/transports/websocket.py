"""Browser and SDK callers over ``WS /ws``: protobuf frames with RTVI.

Pipecat's official browser client (``@pipecat-ai/client-js`` + websocket transport) and its
Python ``WebsocketClientTransport`` both work against this endpoint unchanged.
"""

from fastapi import APIRouter, WebSocket
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)

from convonet.api.deps import RuntimeDep
from convonet.errors import ServerBusyError, SessionNotFoundError
from convonet.lifecycle.admission import CLOSE_BUSY, check_room
from convonet.pipeline import VoicePipeline, build_pipeline
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.storage.outage import REASONS, outage_of
from convonet.transfer.browser import BrowserLeg
from convonet.transports.audio_chunks import caller_chunker
from convonet.transports.guard import GuardedProtobufSerializer

router = APIRouter(tags=["voice"])

CLOSE_UNAUTHORIZED = 4401  # the token is missing, used, expired or forged
CLOSE_NOT_READY = 4503  # models are still loading or the server is draining


def create_websocket_transport(
    websocket: WebSocket, runtime: Runtime
) -> tuple[FastAPIWebsocketTransport, GuardedProtobufSerializer]:
    """Build pipecat's FastAPI websocket transport with the guarded protobuf serializer."""
    settings = runtime.settings
    serializer = GuardedProtobufSerializer(max_bytes=settings.max_ws_message_bytes)
    serializer.chunker = caller_chunker(settings)
    transport = FastAPIWebsocketTransport(
        websocket=websocket,
        params=FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            serializer=serializer,
        ),
    )
    return transport, serializer


def report_bad_input(voice: VoicePipeline, serializer: GuardedProtobufSerializer) -> None:
    """Answer every rejected client message with an RTVI error message."""

    async def report(reason: str) -> None:
        await voice.worker.rtvi.send_error(f"bad input: {reason}")

    serializer.on_bad_input = report


async def _session_for(websocket: WebSocket, runtime: Runtime) -> CallSession | None:
    try:
        return await runtime.claim_token(websocket.query_params.get("token"), "websocket")
    except SessionNotFoundError as error:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason=str(error))
        return None
    except Exception as error:  # the session store is down: say so (try again), never a 1011
        if (store := outage_of(error)) is None:
            raise
        await websocket.close(code=CLOSE_NOT_READY, reason=REASONS[store][:120])
        return None


@router.websocket("/ws")
async def websocket_call(websocket: WebSocket, runtime: RuntimeDep) -> None:
    """Run one voice call over a websocket (``?token=`` from ``/api/connect``)."""
    await websocket.accept()
    session = await _session_for(websocket, runtime)
    if session is None:
        return
    try:
        check_room(runtime, session.session_id)
    except ServerBusyError as error:
        await websocket.close(code=CLOSE_BUSY, reason=str(error)[:120])
        return
    await runtime.ensure_ready()
    transport, serializer = create_websocket_transport(websocket, runtime)
    voice = build_pipeline(transport, session, runtime, leg=BrowserLeg(runtime.settings))
    voice.handle_call_events(transport, runtime.settings.greeting_grace_secs)
    report_bad_input(voice, serializer)
    await runtime.live.run(session, voice.run(), handle=voice)
