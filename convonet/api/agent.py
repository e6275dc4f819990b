"""``POST /agent/process``: the agent without audio (the seed's agent-llm API).

A request names a session from ``/api/connect`` (``session_id``) and carries its
``session_token`` as a bearer token, or carries a user JWT (see
:mod:`convonet.auth.session_access`); consecutive requests with one ``session_id`` are one
conversation.
"""

import time
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from convonet.agents.llms import resolve_llm
from convonet.auth.session_access import TextCaller
from convonet.auth.tokens import TokenClaims
from convonet.chat import Reply, history_from_json, history_to_json, run_text_turn
from convonet.deps import RuntimeDep
from convonet.errors import (
    SessionNotFoundError,
    UnknownBotError,
    UnknownLLMError,
)
from convonet.monitor.records import ToolCall, TurnRecord, TurnTimes
from convonet.observability.text_turns import observe_text_turn
from convonet.runtime import Runtime
from convonet.session import CallSession
from convonet.storage.models import User

router = APIRouter(tags=["agent"])


class AgentRequest(BaseModel):
    """One utterance for the agent."""

    text: str = Field(min_length=1, max_length=4000, description="What the caller said")
    session_id: str | None = Field(default=None, max_length=64, description="From /api/connect")
    bot: str | None = Field(default=None, max_length=64)
    llm: str | None = Field(default=None, max_length=64)
    metadata: dict[str, Any] | None = Field(default=None, description="Free-form, echoed")


class ToolCallOut(BaseModel):
    """A tool call the agent made."""

    name: str
    args: dict[str, Any]
    result: Any
    elapsed_ms: float
    outcome: str


class AgentResponse(BaseModel):
    """The agent's answer and what it did."""

    response: str
    session_id: str
    tool_calls: list[ToolCallOut]
    transfer: dict[str, str] | None
    llm_used: str | None
    ended: bool
    error: str | None = None
    timing: dict[str, float]
    metadata: dict[str, Any] | None = None


async def _existing_or_new(
    runtime: Runtime, body: AgentRequest, user: TokenClaims | None
) -> CallSession:
    if body.session_id is not None:
        session = await runtime.load_session(body.session_id, "text")
        if user is not None and session.user_id != user.user_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "that session is not yours")
        return session
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "send a session_id from /api/connect or a bearer JWT"
        )
    async with runtime.db.session() as db:
        account = await db.get(User, user.user_id)
    if account is None or not account.is_active:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the account no longer exists")
    session = runtime.new_session("text", user_id=account.id, user_name=account.name)
    session.timezone = account.timezone
    await runtime.save_session(session)
    return session


async def _session_for(
    runtime: Runtime, body: AgentRequest, user: TokenClaims | None
) -> CallSession:
    try:
        session = await _existing_or_new(runtime, body, user)
        # A request may switch the bot or LLM for this turn.
        if body.bot:
            session.bot = runtime.bots.get(body.bot)
        if body.llm:
            session.llm = resolve_llm(body.llm, None, runtime.settings)
    except SessionNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except (UnknownBotError, UnknownLLMError) as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    return session


def _response(session: CallSession, reply: Reply, body: AgentRequest) -> AgentResponse:
    return AgentResponse(
        response=reply.text,
        session_id=session.session_id,
        tool_calls=[ToolCallOut(**record.as_dict()) for record in reply.tool_calls],
        transfer=reply.transfer,
        llm_used=reply.llm_used,
        ended=reply.ended,
        error=reply.error,
        timing={
            "total_ms": reply.elapsed_ms,
            "tools_ms": round(sum(r.elapsed_ms for r in reply.tool_calls), 1),
        },
        metadata=body.metadata,
    )


def _turn_record(
    session: CallSession, text: str, reply: Reply, started_at: float, index: int
) -> TurnRecord:
    """The Agent Monitor's record of a text turn (no speech stages)."""
    return TurnRecord(
        session_id=session.session_id,
        kind="text",
        index=index,
        channel=session.channel,
        user_id=session.user_id,
        bot=session.bot.name,
        llm=session.llm,
        llm_used=reply.llm_used,
        thread_id=session.session_id,
        user_text=text,
        bot_text=reply.text,
        times=TurnTimes(
            agent_start_at=started_at, agent_end_at=started_at + reply.elapsed_ms / 1000
        ),
        error=reply.error,
        thread_reset=reply.thread_reset,
        transfer=reply.transfer,
        ends_call=reply.ended,
        tool_calls=[ToolCall.of(call) for call in reply.tool_calls],
    ).with_stages()


@router.post(
    "/agent/process",
    responses={400: {}, 401: {}, 403: {}, 404: {"description": "Unknown or expired session"}},
)
async def process(body: AgentRequest, runtime: RuntimeDep, user: TextCaller) -> AgentResponse:
    """Answer one utterance with the agent graph, as a voice call would (without audio)."""
    session = await _session_for(runtime, body, user)
    await runtime.ensure_tools()
    history = history_from_json(await runtime.store.get_history(session.session_id))
    started_at = time.time()
    reply = await run_text_turn(runtime, session, history, body.text)
    observe_text_turn(runtime, session, reply)
    runtime.monitor.record(
        _turn_record(session, body.text, reply, started_at, len(history) // 2 + 1)
    )
    history += history_from_json(
        [{"role": "user", "content": body.text}, {"role": "assistant", "content": reply.text}]
    )
    await runtime.store.save_history(
        session.session_id, history_to_json(history), runtime.settings.session_ttl_secs
    )
    return _response(session, reply, body)
