"""Request and response bodies of ``/call-center/api`` (what the OpenAPI document shows)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from convonet.callcenter.states import Action
from convonet.storage.models.call_center import AgentCallOutcome, AgentState
from convonet.storage.models.calls import TransferOutcome
from convonet.transfer.context import TranscriptLine

Extension = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z*#+_-]{1,16}$")]
CallSid = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@-]{1,64}$")]
SessionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Number = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z+*#().@_ -]{1,32}$")]


class LoginBody(BaseModel):
    """``POST /agent/login``: the extension signing in (must be the agent's own)."""

    extension: Extension | None = None


class RingingBody(BaseModel):
    """``POST /call/ringing``: the SIP ``X-Convonet-*`` header values of the incoming call."""

    call_sid: CallSid | None = None
    session_id: SessionId | None = None
    caller_number: Number | None = None
    extension: Extension | None = Field(
        default=None, description="X-Convonet-Extension (the department's extension dialled)"
    )


class HoldBody(BaseModel):
    """``POST /call/hold``: put the call on hold (``true``) or take it off (``false``)."""

    on: bool


class TransferBody(BaseModel):
    """``POST /call/transfer``: where the agent sends the call, and how."""

    target: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z*#+_.@:-]{1,64}$")
    kind: Literal["blind", "attended"]


class CurrentCall(BaseModel):
    """The call an agent is ringing with, on, or wrapping up."""

    leg_id: str
    call_id: str
    call_sid: str | None
    session_id: str | None
    caller_number: str | None
    customer_id: str | None
    customer_name: str | None
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    on_hold: bool
    hold_secs: float
    duration_secs: float = Field(description="Since answered (0 while ringing), until ended")
    transfers: list[dict[str, str]]


class AgentStatus(BaseModel):
    """An agent's live state."""

    agent_id: str
    user_id: str
    name: str
    extension: str
    department: str | None
    state: AgentState
    state_since: datetime
    seconds_in_state: float
    wrap_up_remaining: float | None = Field(description="Seconds left of wrap-up, else null")
    current_call: CurrentCall | None
    allowed_actions: list[Action]


class SipAccount(BaseModel):
    """``GET /agent/sip``: what the agent's softphone registers with (only its own)."""

    uri: str
    username: str
    password: str
    ws_url: str
    display_name: str
    extension: str


class OpenCase(BaseModel):
    """An earlier request for a person that did not reach one (still to follow up)."""

    call_id: str
    started_at: datetime
    department: str | None
    outcome: TransferOutcome | None
    summary: str | None


class CustomerRecord(BaseModel):
    """The caller as the agent sees them."""

    id: str
    name: str
    email: str
    phone: str | None
    account_status: Literal["active", "disabled"]
    customer_since: datetime
    last_contact: datetime | None = Field(description="Start of their latest earlier call")
    open_cases: list[OpenCase]


class Popup(BaseModel):
    """The incoming-call popup: who calls, what was said and why.

    ``source`` says where it came from: the transfer context in Redis, the database (the
    context expired or never existed), or nothing known (only the caller's number).
    """

    source: Literal["transfer_context", "database", "unknown"]
    call_id: str | None
    call_sid: str | None
    session_id: str | None
    caller_number: str | None
    department: str | None
    reason: str | None
    customer: CustomerRecord | None
    transcript: list[TranscriptLine]
    summary: str | None


class RingingResult(BaseModel):
    """``POST /call/ringing``: the agent's new status and the popup."""

    status: AgentStatus
    popup: Popup


class HistoryItem(BaseModel):
    """One call offered to an agent of the team."""

    leg_id: str
    call_id: str
    agent_id: str
    agent_name: str
    extension: str
    channel: str
    call_sid: str | None
    session_id: str
    caller_number: str | None
    customer_id: str | None
    customer_name: str | None
    department: str | None
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wrap_up_ended_at: datetime | None
    outcome: AgentCallOutcome | None = Field(description="null while the call goes on")
    talk_secs: float | None
    hold_secs: float
    handle_secs: float | None = Field(description="Answer to end of wrap-up (or hang-up)")
    transfers: list[dict[str, str]]
    transfer_outcome: TransferOutcome | None
    summary: str | None


class HistoryPage(BaseModel):
    """``GET /history``: newest first."""

    items: list[HistoryItem]
    total: int
    limit: int
    offset: int


class AgentMetrics(BaseModel):
    """One agent's figures over the window."""

    agent_id: str
    name: str
    extension: str
    offered: int
    answered: int
    calls_handled: int = Field(description="Answered calls that have ended")
    average_handle_secs: float | None
    answer_rate: float | None = Field(description="answered / offered (0..1)")
    availability_pct: float | None = Field(
        description="Percent of logged-in time not spent not-ready"
    )
    logged_in_secs: float


class MetricsReport(BaseModel):
    """``GET /metrics``."""

    since: datetime
    until: datetime
    agents: list[AgentMetrics]


class FeedTicket(BaseModel):
    """``POST /events/ticket``: a single-use ticket for ``GET /events?ticket=``."""

    ticket: str
    expires_in: int
