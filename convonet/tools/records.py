"""Records of tool calls made during an agent turn, for replies, APIs and the monitor.

The caller of a graph run opens a :func:`tool_log`; the MCP client interceptor appends one
:class:`ToolCallRecord` per call (name, arguments, result summary, elapsed time, outcome).
A context variable carries the log, so concurrent sessions never mix their records.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["ok", "error", "timeout"]
SUMMARY_CHARS = 300


@dataclass
class ToolCallRecord:
    """One tool call.

    Attributes:
        name: Tool name.
        args: Arguments the model passed.
        result: The structured result (ok) or the error message.
        summary: A short text of the result, for tables and logs.
        elapsed_ms: Wall time of the call.
        outcome: ``ok``, ``error`` or ``timeout``.
    """

    name: str
    args: dict[str, Any]
    result: Any
    summary: str
    elapsed_ms: float
    outcome: Outcome

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def summarize(result: Any) -> str:
    """A short, single-line text of a tool result."""
    text = result if isinstance(result, str) else json.dumps(result, default=str)
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


@dataclass
class ToolLog:
    """The tool calls of one agent turn."""

    records: list[ToolCallRecord] = field(default_factory=list)

    @property
    def timed_out(self) -> bool:
        """Whether any call of the turn timed out."""
        return any(record.outcome == "timeout" for record in self.records)


_current: ContextVar[ToolLog | None] = ContextVar("convonet_tool_log", default=None)


@contextmanager
def tool_log() -> Iterator[ToolLog]:
    """Collect the tool calls made inside the block (in this task and its children)."""
    log = ToolLog()
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)


def record_tool_call(record: ToolCallRecord) -> None:
    """Append ``record`` to the current turn's log, if one is open."""
    log = _current.get()
    if log is not None:
        log.records.append(record)
