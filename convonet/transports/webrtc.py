"""Browser callers over WebRTC: pipecat's SmallWebRTC signalling on ``POST/PATCH /api/offer``.

Pipecat's official browser client (``@pipecat-ai/client-js`` + small-webrtc transport) posts
its SDP offer here and trickles ICE candidates with ``PATCH``. Each new peer connection gets
its own pipeline, run in the background so the offer is answered at once. No ICE servers
are configured: peers connect with host candidates and no STUN server is ever contacted.
"""

import asyncio

from aiortc.exceptions import InvalidAccessError, InvalidStateError
from aiortc.sdp import SessionDescription, candidate_from_sdp
from fastapi import APIRouter, FastAPI, HTTPException, Request
from pipecat.transports.base_transport import TransportParams
from pipecat.transports.smallwebrtc.connection import SmallWebRTCConnection
from pipecat.transports.smallwebrtc.request_handler import (
    IceCandidate,
    SmallWebRTCPatchRequest,
    SmallWebRTCRequest,
    SmallWebRTCRequestHandler,
)
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from convonet.api.deps import RuntimeDep
from convonet.errors import (
    ServerBusyError,
    SessionNotFoundError,
)
from convonet.lifecycle.admission import busy_response, check_room
from convonet.pipeline import VoicePipeline, build_pipeline
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.transfer.browser import BrowserLeg

router = APIRouter(prefix="/api", tags=["voice"])

MAX_SDP_CHARS = 64 * 1024
# What aiortc raises for offers it cannot apply (missing ICE credentials, wrong state, ...).
_BAD_OFFER_ERRORS = (ValueError, InvalidStateError, InvalidAccessError)


class OfferData(BaseModel):
    """What ``request_data`` carries: the single-use token ``/api/connect`` returned."""

    model_config = ConfigDict(extra="ignore")

    token: str | None = Field(
        default=None, max_length=128, description="Session token from /api/connect"
    )


class OfferRequest(BaseModel):
    """Pipecat's SmallWebRTC offer (``requestData`` is accepted as well as ``request_data``)."""

    model_config = ConfigDict(extra="ignore")

    sdp: str = Field(max_length=MAX_SDP_CHARS, description="The SDP offer")
    type: str = Field(max_length=16, description='Always "offer"')
    pc_id: str | None = Field(default=None, max_length=128, description="Peer to renegotiate")
    restart_pc: bool | None = None
    request_data: OfferData | None = Field(
        default=None, validation_alias=AliasChoices("request_data", "requestData")
    )


class OfferAnswer(BaseModel):
    """The SDP answer and the id to use for ICE trickle and renegotiation."""

    sdp: str
    type: str
    pc_id: str


class Candidate(BaseModel):
    """One trickled ICE candidate (empty ``candidate`` = end of candidates)."""

    candidate: str = Field(max_length=1024)
    sdp_mid: str = Field(max_length=64)
    sdp_mline_index: int = Field(ge=0, le=16)


class CandidatesRequest(BaseModel):
    """ICE candidates for an existing peer."""

    pc_id: str = Field(max_length=128)
    candidates: list[Candidate] = Field(max_length=64)


class WebRTCPeers:
    """The app's one SmallWebRTC request handler and the pipeline task of each peer."""

    def __init__(self) -> None:
        self.handler = SmallWebRTCRequestHandler(ice_servers=None)
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, pc_id: str, runtime: Runtime, voice: VoicePipeline) -> None:
        """Run ``voice`` as a live session in the background."""
        task = asyncio.create_task(runtime.live.run(voice.session, voice.run()))
        self.tasks[pc_id] = task
        task.add_done_callback(self._forget)

    def rename(self, old_pc_id: str, new_pc_id: str) -> None:
        """Follow a peer whose id changed (a renegotiation with ``restart_pc``)."""
        task = self.tasks.pop(old_pc_id, None)
        if task is not None:
            self.tasks[new_pc_id] = task

    def _forget(self, task: asyncio.Task[None]) -> None:
        for pc_id in [key for key, value in self.tasks.items() if value is task]:
            del self.tasks[pc_id]

    async def close(self) -> None:
        """Hang up every peer and wait for their pipelines to end."""
        await self.handler.close()
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _peers(app: FastAPI) -> WebRTCPeers:
    peers: WebRTCPeers | None = getattr(app.state, "webrtc", None)
    if peers is None:
        peers = WebRTCPeers()
        app.state.webrtc = peers
    return peers


async def close_all(app: FastAPI) -> None:
    """Close every WebRTC peer of ``app`` (called by the lifespan on shutdown)."""
    peers: WebRTCPeers | None = getattr(app.state, "webrtc", None)
    if peers is not None:
        await peers.close()


def check_offer(sdp: str, sdp_type: str) -> None:
    """Reject what aiortc would accept but cannot make a call of.

    Raises:
        HTTPException: 400 when ``sdp`` is not an offer with an audio section.
    """
    if sdp_type != "offer":
        raise HTTPException(status_code=400, detail=f'SDP type must be "offer", not {sdp_type!r}')
    try:
        description = SessionDescription.parse(sdp)
    except (ValueError, IndexError) as error:
        raise HTTPException(status_code=400, detail=f"malformed SDP: {error}") from error
    if not sdp.startswith("v=0") or not any(m.kind == "audio" for m in description.media):
        raise HTTPException(status_code=400, detail="malformed SDP: no audio media section")


def check_candidate(candidate: str) -> None:
    """Reject an ICE candidate line aiortc cannot parse (empty = end of candidates).

    Raises:
        HTTPException: 400 with the reason.
    """
    if not candidate:
        return
    if len(candidate.split()) < 8:
        raise HTTPException(status_code=400, detail="malformed ICE candidate: too few fields")
    try:
        candidate_from_sdp(candidate)
    except ValueError as error:
        raise HTTPException(status_code=400, detail=f"malformed ICE candidate: {error}") from error


async def session_for(data: OfferData, runtime: Runtime) -> CallSession:
    """Claim the ``/api/connect`` session the offer's token admits.

    Raises:
        HTTPException: 401 for a missing, used, expired or forged token.
    """
    try:
        return await runtime.claim_token(data.token, "webrtc")
    except SessionNotFoundError as error:
        raise HTTPException(status_code=401, detail=str(error)) from error


class _PipelineStarter:
    """The new-connection callback; remembers a failure the request handler would swallow."""

    def __init__(self, peers: WebRTCPeers, runtime: Runtime, session: CallSession) -> None:
        self._peers = peers
        self._runtime = runtime
        self._session = session
        self.connection: SmallWebRTCConnection | None = None
        self.error: Exception | None = None

    async def __call__(self, connection: SmallWebRTCConnection) -> None:
        self.connection = connection
        try:
            transport = SmallWebRTCTransport(
                webrtc_connection=connection,
                params=TransportParams(audio_in_enabled=True, audio_out_enabled=True),
            )
            leg = BrowserLeg(self._runtime.settings)
            voice = build_pipeline(transport, self._session, self._runtime, leg=leg)
            voice.handle_call_events(transport, self._runtime.settings.greeting_grace_secs)
            self._peers.start(connection.pc_id, self._runtime, voice)
        except Exception as error:
            self.error = error
            raise


async def _answer(
    peers: WebRTCPeers, request: SmallWebRTCRequest, starter: _PipelineStarter | None
) -> OfferAnswer:
    async def renegotiated(_connection: SmallWebRTCConnection) -> None:
        """Not called: ``pc_id`` names an existing peer."""

    try:
        answer = await peers.handler.handle_web_request(request, starter or renegotiated)
    except _BAD_OFFER_ERRORS as error:
        raise HTTPException(status_code=400, detail=f"unusable SDP offer: {error}") from error
    if starter is not None and starter.error is not None:
        if starter.connection is not None:
            await starter.connection.disconnect()
        raise starter.error
    if answer is None:  # pipecat raises instead; this keeps the type honest
        raise RuntimeError("the SmallWebRTC connection produced no SDP answer")
    return OfferAnswer.model_validate(answer)


@router.post(
    "/offer",
    responses={
        400: {"description": "Malformed SDP"},
        401: {"description": "Missing, used, expired or forged session token"},
        503: {"description": "Server busy: at its session capacity (see Retry-After)"},
    },
)
async def offer(body: OfferRequest, request: Request, runtime: RuntimeDep) -> OfferAnswer:
    """Answer a WebRTC offer; a new peer needs ``request_data.token`` from ``/api/connect``."""
    check_offer(body.sdp, body.type)
    peers = _peers(request.app)
    pipecat_request = SmallWebRTCRequest(
        sdp=body.sdp, type=body.type, pc_id=body.pc_id, restart_pc=body.restart_pc
    )
    if body.pc_id is not None and body.pc_id in peers.tasks:
        answer = await _answer(peers, pipecat_request, None)
        peers.rename(body.pc_id, answer.pc_id)
        return answer
    pipecat_request.pc_id = None  # an unknown peer id starts a new peer
    session = await session_for(body.request_data or OfferData(), runtime)
    try:
        check_room(runtime, session.session_id)
    except ServerBusyError as error:
        raise busy_response(error) from error
    await runtime.ensure_ready()
    return await _answer(peers, pipecat_request, _PipelineStarter(peers, runtime, session))


@router.patch(
    "/offer",
    responses={
        400: {"description": "Malformed ICE candidate"},
        404: {"description": "Unknown peer"},
    },
)
async def ice_candidates(body: CandidatesRequest, request: Request) -> dict[str, str]:
    """Add trickled ICE candidates to a peer created by ``POST /api/offer``."""
    for c in body.candidates:
        check_candidate(c.candidate)
    patch = SmallWebRTCPatchRequest(
        pc_id=body.pc_id,
        candidates=[
            IceCandidate(
                candidate=c.candidate, sdp_mid=c.sdp_mid, sdp_mline_index=c.sdp_mline_index
            )
            for c in body.candidates
        ],
    )
    try:
        await _peers(request.app).handler.handle_patch_request(patch)
    except ValueError as error:
        raise HTTPException(status_code=400, detail=f"unusable ICE candidate: {error}") from error
    return {"status": "success"}
