"""``POST /api/connect`` (start a browser session) and ``GET /api/bots`` (the pickers)."""

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from convonet.agents.llms import available_llms, resolve_llm
from convonet.deps import RuntimeDep
from convonet.errors import UnknownBotError, UnknownLLMError, UnknownProviderError
from convonet.transports.urls import websocket_url

router = APIRouter(prefix="/api", tags=["sessions"])


class ConnectRequest(BaseModel):
    """What a browser caller asks for; everything is optional."""

    model_config = ConfigDict(extra="ignore")

    bot: str | None = Field(default=None, max_length=64, description="Bot name")
    llm: str | None = Field(default=None, max_length=64, description="LLM provider name")
    stt: str | None = Field(default=None, max_length=32, description="STT provider")
    tts: str | None = Field(default=None, max_length=32, description="TTS provider")


class ConnectResponse(BaseModel):
    """Where and how to connect."""

    session_id: str
    ws_url: str = Field(description="Absolute WebSocket URL (single use, expires quickly)")
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


@router.post("/connect", responses={400: {"description": "Unknown bot, LLM or provider"}})
async def connect(
    runtime: RuntimeDep, request: Request, body: ConnectRequest | None = None
) -> ConnectResponse:
    """Create a session and return the WebSocket URL that runs it."""
    body = body or ConnectRequest()
    try:
        session = runtime.new_session(
            "websocket", bot=body.bot, llm=body.llm, stt=body.stt, tts=body.tts
        )
    except (UnknownBotError, UnknownLLMError, UnknownProviderError) as error:
        raise HTTPException(status_code=400, detail=str(error)) from error
    runtime.pending.add(session)
    url = websocket_url(request, runtime.settings, f"/ws?session_id={session.session_id}")
    return ConnectResponse(
        session_id=session.session_id,
        ws_url=url,
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
