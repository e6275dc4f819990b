"""``/call-center/api``: the agent's state, call steps, SIP account and customer popup.

Every endpoint needs an access token of a user with the agent, supervisor or admin role
(``Authorization: Bearer``); the agent endpoints also need the user's agent record (403
without). A step the state machine forbids answers 409 with the reason (the current state,
where the step is allowed from, what the current state allows). The supervisor's views,
history, metrics and the live feed are in :mod:`convonet.api.call_center_views`.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, status
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from convonet.api.deps import RuntimeDep
from convonet.auth.deps import AgentUser
from convonet.auth.tokens import TokenClaims
from convonet.callcenter import calls
from convonet.callcenter.agents import AgentInfo
from convonet.callcenter.api_models import (
    AgentStatus,
    CallSid,
    CustomerRecord,
    Extension,
    HoldBody,
    LoginBody,
    Number,
    Popup,
    RingingBody,
    RingingResult,
    SessionId,
    SipAccount,
    TransferBody,
)
from convonet.callcenter.calls import Mutation
from convonet.callcenter.customers import CallRef, customer_record, find_customer, popup
from convonet.callcenter.scope import Scope, allowed_extensions, load_scope, may_read
from convonet.callcenter.service import CallCenter
from convonet.callcenter.states import Action
from convonet.errors import NotAnAgentError, StorageError, TransitionRefusedError
from convonet.runtime import Runtime
from convonet.storage.models import CallCenterAgent

PREFIX = "/call-center/api"
router = APIRouter(prefix=PREFIX, tags=["call-center"])
AGENT_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or bad access token"},
    403: {"description": "Not an agent (role or agent record)"},
    409: {"description": "The state machine forbids this step now (reason given)"},
}


@asynccontextmanager
async def answers() -> AsyncIterator[None]:
    """Turn the call center's refusals into HTTP answers with their reasons."""
    try:
        yield
    except TransitionRefusedError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except NotAnAgentError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    except (StorageError, RedisError, SQLAlchemyError) as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the call-center store is unavailable"
        ) from error


async def scope_of(runtime: Runtime, claims: TokenClaims) -> Scope:
    """The viewer's team scope."""
    async with runtime.db.session() as session:
        return await load_scope(session, claims)


async def _step(
    runtime: Runtime, claims: TokenClaims, action: Action, mutate: Mutation | None = None
) -> AgentStatus:
    center = runtime.call_center
    async with answers():
        agent = await center.agent_of(claims.user_id)
        await center.settle(agent.id, agent)
        await center.move(agent, action, mutate)
        return await center.status(agent)


async def _agent(center: CallCenter, claims: TokenClaims) -> AgentInfo:
    async with answers():
        return await center.agent_of(claims.user_id)


@router.post("/agent/login", responses=AGENT_ERRORS)
async def login(
    runtime: RuntimeDep, claims: AgentUser, body: Annotated[LoginBody | None, Body()] = None
) -> AgentStatus:
    """Sign the agent in at their extension: ``logged_out`` → ``not_ready``."""
    agent = await _agent(runtime.call_center, claims)
    if body is not None and body.extension not in (None, agent.extension):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"extension {body.extension} is not yours (yours is {agent.extension})",
        )
    return await _step(runtime, claims, Action.LOGIN)


@router.post("/agent/logout", responses=AGENT_ERRORS)
async def logout(runtime: RuntimeDep, claims: AgentUser) -> AgentStatus:
    """Sign out (from ``not_ready``, ``ready`` or ``wrap_up``)."""
    return await _step(runtime, claims, Action.LOGOUT)


@router.post("/agent/ready", responses=AGENT_ERRORS)
async def ready(runtime: RuntimeDep, claims: AgentUser) -> AgentStatus:
    """Take calls (from ``not_ready``, or ending ``wrap_up`` early)."""
    return await _step(runtime, claims, Action.READY)


@router.post("/agent/not-ready", responses=AGENT_ERRORS)
async def not_ready(runtime: RuntimeDep, claims: AgentUser) -> AgentStatus:
    """Stop taking calls (from ``ready`` or ``wrap_up``)."""
    return await _step(runtime, claims, Action.NOT_READY)


@router.get("/agent/status", responses=AGENT_ERRORS)
async def agent_status(runtime: RuntimeDep, claims: AgentUser) -> AgentStatus:
    """The agent's state, time in it, wrap-up left and current call."""
    center = runtime.call_center
    async with answers():
        return await center.status(await center.agent_of(claims.user_id))


@router.get("/agent/sip", responses=AGENT_ERRORS)
async def sip_account(runtime: RuntimeDep, claims: AgentUser) -> SipAccount:
    """The agent's own SIP credentials and the WebSocket URL to register over."""
    agent = await _agent(runtime.call_center, claims)
    async with runtime.db.session() as session:
        row = await session.get(CallCenterAgent, agent.id)
    if row is None or not row.sip_password:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no SIP account is set for your extension")
    settings = runtime.settings
    username = row.sip_username or row.extension
    return SipAccount(
        uri=f"sip:{username}@{settings.sip_domain}",
        username=username,
        password=row.sip_password,
        ws_url=settings.sip_ws_url,
        display_name=agent.name,
        extension=agent.extension,
    )


@router.post("/call/ringing", responses=AGENT_ERRORS)
async def call_ringing(runtime: RuntimeDep, claims: AgentUser, body: RingingBody) -> RingingResult:
    """A call rings at the agent's softphone (``ready`` → ``ringing``); returns the popup."""
    center = runtime.call_center
    async with answers():
        agent = await center.agent_of(claims.user_id)
        scope = await scope_of(runtime, claims)
        extensions = agent.extensions
        if body.extension and body.extension not in extensions:
            async with runtime.db.session() as session:
                allowed = await allowed_extensions(session, scope)
            if may_read(scope, body.extension, allowed):  # else: ignored, never trusted
                extensions = (body.extension, *extensions)
        ref = CallRef(body.call_sid, body.session_id, body.caller_number, extensions)
        _, shown = await center.ring(agent, ref, scope)
        return RingingResult(status=await center.status(agent), popup=shown)


@router.post("/call/answer", responses=AGENT_ERRORS)
async def call_answer(runtime: RuntimeDep, claims: AgentUser) -> AgentStatus:
    """The agent picks up: ``ringing`` → ``on_call``."""
    return await _step(runtime, claims, Action.ANSWER, calls.answered)


@router.post("/call/drop", responses=AGENT_ERRORS)
async def call_drop(runtime: RuntimeDep, claims: AgentUser) -> AgentStatus:
    """Hang up: ``on_call`` → ``wrap_up`` (then ``ready``), or reject: ``ringing`` → ``ready``.

    Wrap-up lasts ``CALL_CENTER_WRAP_UP_SECS``; the server makes the agent ready after it.
    """
    return await _step(runtime, claims, Action.DROP, calls.hung_up)


@router.post("/call/hold", responses=AGENT_ERRORS)
async def call_hold(runtime: RuntimeDep, claims: AgentUser, body: HoldBody) -> AgentStatus:
    """Hold (``on: true``) or resume (``on: false``) the call; only ``on_call``."""
    return await _step(runtime, claims, Action.HOLD, calls.held(body.on))


@router.post("/call/transfer", responses=AGENT_ERRORS)
async def call_transfer(runtime: RuntimeDep, claims: AgentUser, body: TransferBody) -> AgentStatus:
    """Record a transfer of the call to ``target``.

    Blind: the call leaves the agent (``wrap_up``); attended: the agent stays ``on_call``
    (consults, then hangs up).
    """
    action = Action.BLIND_TRANSFER if body.kind == "blind" else Action.ATTENDED_TRANSFER
    return await _step(runtime, claims, action, calls.transferred(body.target, body.kind))


@router.get("/customer/lookup", responses={**AGENT_ERRORS, 400: {}})
async def customer_lookup(
    runtime: RuntimeDep,
    claims: AgentUser,
    call_sid: Annotated[CallSid | None, Query()] = None,
    session_id: Annotated[SessionId | None, Query()] = None,
    extension: Annotated[Extension | None, Query()] = None,
    caller_number: Annotated[Number | None, Query()] = None,
) -> Popup:
    """The popup for a call: its transfer context, else what the database knows.

    The database is searched by call SID, session id, then caller number; only the viewer's
    teams' records are used, and only their extensions' transfer contexts.
    """
    if not (call_sid or session_id or caller_number):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "give call_sid, session_id or caller_number"
        )
    scope = await scope_of(runtime, claims)
    async with answers(), runtime.db.session() as session:
        allowed = await allowed_extensions(session, scope)
        if extension is not None:
            if not may_read(scope, extension, allowed):
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN, f"extension {extension} is not in your teams"
                )
            extensions: tuple[str, ...] = (extension,)
        else:
            extensions = tuple(sorted(allowed))
        ref = CallRef(call_sid, session_id, caller_number, extensions)
        return await popup(session, runtime.store, ref, scope=scope)


@router.get("/customer/{customer_id}", responses={**AGENT_ERRORS, 404: {}})
async def customer(
    runtime: RuntimeDep,
    claims: AgentUser,
    customer_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="Customer id")],
) -> CustomerRecord:
    """A customer's record, if they are in the viewer's teams (or called one of its agents)."""
    scope = await scope_of(runtime, claims)
    async with answers(), runtime.db.session() as session:
        user = await find_customer(session, scope, customer_id)
        if user is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such customer in your teams")
        return await customer_record(session, user)
