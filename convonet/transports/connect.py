"""``POST /api/connect`` (start a browser session) and ``GET /api/bots`` (the pickers)."""

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from convonet.agents.llms import available_llms, resolve_llm
from convonet.api.deps import RuntimeDep
from convonet.auth.session_access import issue_session_token
from convonet.auth.voice import sign_in_with_pin
from convonet.errors import (
    AuthenticationError,
    RateLimitedError,
    ServerBusyError,
    UnknownBotError,
    UnknownLLMError,
    UnknownProviderError,
)
from convonet.lifecycle.admission import admit, busy_response
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.transports.urls import websocket_url

router = APIRouter(prefix="/api", tags=["sessions"])


class ConnectRequest(BaseModel):
    """What a browser caller asks for; everything is optional."""

    model_config = ConfigDict(extra="ignore")

    pin: str = Field(min_length=1, max_length=64, description="The caller's voice PIN")
    email: str | None = Field(default=None, max_length=320, description="Optional: who")
    phone: str | None = Field(default=None, max_length=32, description="Optional: who")
    bot: str | None = Field(default=None, max_length=64, description="Bot name")
    llm: str | None = Field(default=None, max_length=64, description="LLM provider name")
    stt: str | None = Field(default=None, max_length=32, description="STT provider")
    tts: str | None = Field(default=None, max_length=32, description="TTS provider")


class ConnectResponse(BaseModel):
    """Where and how to connect."""

    session_id: str = Field(description="Names the session (not a credential)")
    session_token: str = Field(
        description="Bearer secret for POST /agent/process on this session, until its call "
        "ends; keep it private"
    )
    ws_url: str = Field(description="Absolute WebSocket URL with a single-use token (60 s)")
    token: str = Field(description="The same single-use token, for WebRTC offers")
    user_name: str
    bot: str
    llm: str
    stt: str
    tts: str


class BotInfo(BaseModel):
    """A bot, as shown in the picker."""

    name: str
    title: str
    description: str


class BotsResponse(BaseModel):
    """Bots and LLMs a caller may choose from."""

    bots: list[BotInfo]
    llms: list[str]
    default_bot: str
    default_llm: str


async def _signed_in_session(
    runtime: Runtime, body: ConnectRequest, client_ip: str | None
) -> CallSession:
    try:
        draft = runtime.new_session(
            "websocket", bot=body.bot, llm=body.llm, stt=body.stt, tts=body.tts
        )
    except (UnknownBotError, UnknownLLMError, UnknownProviderError) as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    try:
        who = await sign_in_with_pin(
            runtime, body.pin, client_ip=client_ip, email=body.email, phone=body.phone
        )
    except RateLimitedError as error:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            str(error),
            headers={"Retry-After": str(error.retry_after)},
        ) from error
    except AuthenticationError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    draft.user_id, draft.user_name, draft.timezone = who.user_id, who.name, who.timezone
    await runtime.save_session(draft, who.team_ids)
    return draft


@router.post(
    "/connect",
    responses={
        400: {"description": "Unknown bot, LLM or provider"},
        401: {"description": "Wrong PIN"},
        429: {"description": "Too many failed attempts (see Retry-After)"},
        503: {"description": "Server busy: at its session capacity (see Retry-After)"},
    },
)
async def connect(runtime: RuntimeDep, request: Request, body: ConnectRequest) -> ConnectResponse:
    """Sign in with a voice PIN and get a single-use WebSocket URL for the call."""
    client_ip = request.client.host if request.client else None
    session = await _signed_in_session(runtime, body, client_ip)
    try:
        admit(runtime, session.session_id, holder=session.user_id)
    except ServerBusyError as error:
        raise busy_response(error) from error
    token = await runtime.store.issue_ws_token(
        session.session_id, runtime.settings.session_token_ttl_secs
    )
    url = websocket_url(request, runtime.settings, f"/ws?token={token}")
    text_token = await issue_session_token(
        runtime.store, session.session_id, runtime.settings.session_ttl_secs
    )
    return ConnectResponse(
        session_id=session.session_id,
        session_token=text_token,
        ws_url=url,
        token=token,
        user_name=session.user_name or "",
        bot=session.bot.name,
        llm=session.llm,
        stt=session.stt,
        tts=session.tts,
    )


@router.get("/bots")
async def bots(runtime: RuntimeDep) -> BotsResponse:
    """List the bots and LLMs available on this server."""
    settings = runtime.settings
    return BotsResponse(
        bots=[BotInfo(name=b.name, title=b.title, description=b.description) for b in runtime.bots],
        llms=available_llms(settings),
        default_bot=settings.default_bot,
        default_llm=resolve_llm(None, None, settings),
    )
