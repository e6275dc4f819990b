"""Response models of the Agent Monitor and tool-execution APIs."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from convonet.turns.record import Turn


class StageRow(BaseModel):
    """``GET /agent-monitor/api/stages``: one row of the stage table."""

    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(description="The key in a turn's stages (ms)")
    label: str
    from_: list[str] = Field(alias="from", description="Start moments (the first present wins)")
    to: str | None = Field(description="End moment; null for tools_ms (a sum of tool calls)")
    waterfall: bool = Field(description="One of the stages that sum to voice_to_voice_ms")
    description: str


class StageSummary(BaseModel):
    """Percentiles of one stage, in ms."""

    p50: float
    p95: float
    max: float
    count: int


class ToolSummary(BaseModel):
    """Calls of one tool: how many, how many failed or timed out, how long they took."""

    count: int
    errors: int
    timeouts: int
    p50_ms: float
    p95_ms: float


class SeriesPoint(BaseModel):
    """One time bucket: its start, its turns, and stage percentiles over them."""

    t: float
    turns: int
    stages: dict[str, dict[str, float]]


class Series(BaseModel):
    """Stage percentiles over time (equal buckets across the window)."""

    bucket_s: float
    points: list[SeriesPoint]


class Stats(BaseModel):
    """``GET /agent-monitor/api/stats``."""

    window_s: int
    since: float = Field(description="Window start (epoch seconds)")
    until: float = Field(description="Window end (epoch seconds)")
    sessions: int
    turns: int = Field(description="Voice and text turns (greetings are counted apart)")
    greetings: int
    by_kind: dict[str, int]
    interrupted: int
    errors: int
    timeouts: int = Field(description="Turns whose agent (or a tool) ran out of time")
    transfers: int
    llm_used: dict[str, int]
    tool_calls: int
    stages: dict[str, StageSummary]
    tools: dict[str, ToolSummary]
    series: Series
    scanned: int = Field(description="Stream entries read")
    truncated: bool = Field(description="Whether older turns in the window were not read")


class InteractionsPage(BaseModel):
    """``GET /agent-monitor/api/interactions``: turns, newest first."""

    items: list[Turn]
    next_cursor: str | None = Field(description="Pass as cursor for the next (older) page")


class ToolCallRow(BaseModel):
    """One tool call with the turn it belongs to."""

    at: float = Field(description="When its turn reached the agent (epoch seconds)")
    turn_id: str
    session_id: str
    kind: str
    channel: str
    bot: str
    user_id: str | None
    llm_used: str | None
    name: str
    args: dict[str, Any]
    result: Any
    summary: str
    elapsed_ms: float
    outcome: str


class ToolCallsPage(BaseModel):
    """``GET /tool-execution/api/calls``: tool calls, newest first."""

    items: list[ToolCallRow]
    scanned: int = Field(description="Stream entries read")


def tool_rows(
    turn: Turn, *, tool: str | None = None, outcome: str | None = None
) -> list[ToolCallRow]:
    """The tool calls of ``turn`` (those matching ``tool``/``outcome``), last call first."""
    at = turn.times.agent_start_at or turn.at
    return [
        ToolCallRow(
            at=at,
            turn_id=turn.turn_id,
            session_id=turn.session_id,
            kind=turn.kind,
            channel=turn.channel,
            bot=turn.bot,
            user_id=turn.user_id,
            llm_used=turn.llm_used,
            **call.model_dump(),
        )
        for call in reversed(turn.tool_calls)
        if (tool is None or call.name == tool) and (outcome is None or call.outcome == outcome)
    ]
