"""Tools every bot has, whatever its domain: the clock and ending the call.

They are plain LangChain tools (no database, no MCP server): they act on the call itself.
Both are coroutines although neither awaits anything: LangChain runs a plain function tool
in the default thread pool when the agent runs async, a thread hop per call for a clock read.
"""

import json
from typing import Literal

from langchain_core.tools import BaseTool, tool
from langgraph.prebuilt import ToolRuntime

from convonet.agents.context import AgentContext
from convonet.agents.speculation import mark_read_only

END_CALL_TOOL = "end_call"


@tool
async def get_current_datetime(  # noqa: D417 - runtime is injected, not an LLM argument
    what: Literal["date", "time", "both"], runtime: ToolRuntime[AgentContext]
) -> str:
    """Get the current date and/or time in the caller's timezone.

    Args:
        what: Whether the caller asked for the date, the time, or both.
    """
    now = runtime.context.now()
    hour = now.strftime("%I").lstrip("0") or "12"
    return json.dumps(
        {
            "what": what,
            "iso": now.isoformat(timespec="seconds"),
            "date_spoken": f"{now:%A}, {now:%B} {now.day}, {now.year}",
            "time_spoken": f"{hour}:{now:%M} {now:%p}",
            "timezone": str(now.tzinfo),
        }
    )


mark_read_only(get_current_datetime)  # reading the clock changes nothing


@tool(END_CALL_TOOL)
async def end_call(reason: str = "caller said goodbye") -> str:
    """End the call politely after saying goodbye. Use only when the caller wants to hang up.

    Args:
        reason: Why the call ends.
    """
    return json.dumps({"ended": True, "reason": reason})


def session_tools() -> list[BaseTool]:
    """The tools shared by every domain agent."""
    return [get_current_datetime, end_call]
