"""The tool hub: real stdio MCP subprocesses, caller scope in _meta, timeouts, records."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.prebuilt import ToolNode

from convonet.agents.context import AgentContext
from convonet.agents.speculation import is_read_only
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.users import create_user
from convonet.tools.hub import ToolHub, ToolServerSpec, unwrap_exception_group
from convonet.tools.records import tool_log
from tests.fakes.backends import TEST_PIN_SECRET, storage_settings

pytestmark = pytest.mark.integration


@asynccontextmanager
async def running(hub: ToolHub) -> AsyncIterator[ToolHub]:
    stop = asyncio.Event()
    task = asyncio.create_task(hub.serve(stop))
    await asyncio.wait_for(hub.ready.wait(), 60)
    try:
        yield hub
    finally:
        stop.set()
        await task


async def _settings_with_user(tmp_path: Path) -> tuple[Settings, str]:
    settings = storage_settings(tmp_path, tool_timeout_secs=1.0)
    await migrate.upgrade(settings)
    async with Database.from_settings(settings) as db, db.session() as session:
        user = await create_user(session, pin_secret=TEST_PIN_SECRET, email="a@b.c", name="Ann")
        return settings, user.id


async def _run(tool_node: ToolNode, name: str, args: dict, user_id: str | None) -> ToolMessage:  # type: ignore[type-arg]
    call = AIMessage("", tool_calls=[{"name": name, "args": args, "id": "call-1"}])
    context = AgentContext(session_id="s1", user_id=user_id)
    from langgraph.graph import START, MessagesState, StateGraph

    builder = StateGraph(MessagesState, context_schema=AgentContext)
    builder.add_node("tools", tool_node)
    builder.add_edge(START, "tools")
    state = await builder.compile().ainvoke(
        {"messages": [HumanMessage("go"), call]}, context=context
    )
    message = state["messages"][-1]
    assert isinstance(message, ToolMessage)
    return message


async def test_stdio_todo_server_acts_as_the_caller(tmp_path: Path) -> None:
    settings, user_id = await _settings_with_user(tmp_path)
    hub = ToolHub(settings, {"todo": ToolServerSpec(("-m", "convonet.tools", "todo"), "work")})
    async with running(hub):
        assert hub.domains == ["work"]
        tools = hub.tools_for("work")
        assert sorted(t.name for t in tools) == [
            "complete_todo", "create_todo", "delete_todo", "get_todos", "update_todo"
        ]  # fmt: skip
        # Only the read reaches the agent marked read-only (MCP's readOnlyHint).
        assert [t.name for t in tools if is_read_only(t)] == ["get_todos"]
        node = ToolNode(tools, handle_tool_errors=True)
        with tool_log() as log:
            created = await _run(node, "create_todo", {"title": "stdio works"}, user_id)
            anonymous = await _run(node, "get_todos", {}, None)
        assert "stdio works" in created.text and created.status != "error"
        assert anonymous.status == "error" and "signed-in user" in anonymous.text
    first, second = log.records
    assert (first.name, first.outcome, first.args) == (
        "create_todo",
        "ok",
        {"title": "stdio works"},
    )
    assert first.result["todo"]["title"] == "stdio works" and first.elapsed_ms > 0
    assert second.outcome == "error"


async def test_a_slow_tool_times_out_and_is_recorded(tmp_path: Path) -> None:
    settings = storage_settings(tmp_path, tool_timeout_secs=1.0)
    hub = ToolHub(settings, {"slow": ToolServerSpec(("-m", "tests.fakes.slow_tool_server"), "x")})
    async with running(hub):
        node = ToolNode(hub.tools_for("x"), handle_tool_errors=True)
        with tool_log() as log:
            quick = await _run(node, "sleepy", {"seconds": 0.01}, "u1")
            slow = await _run(node, "sleepy", {"seconds": 3}, "u1")
            broken = await _run(node, "broken", {}, "u1")
    assert quick.status != "error"
    assert slow.status == "error" and "did not answer within 1s" in slow.text
    assert broken.status == "error" and "the widget is broken" in broken.text
    assert [r.outcome for r in log.records] == ["ok", "timeout", "error"]
    assert log.timed_out
    assert 950 < log.records[1].elapsed_ms < 2900


async def test_a_tool_server_that_fails_to_start_leaves_the_hub_usable(tmp_path: Path) -> None:
    settings = storage_settings(tmp_path)
    hub = ToolHub(settings, {"bad": ToolServerSpec(("-m", "convonet.tools", "nope"), "x")})
    async with running(hub):
        assert hub.failed is not None
        assert hub.tools_for("x") == []


def test_exception_groups_are_unwrapped() -> None:
    inner = ValueError("the real problem")
    group = ExceptionGroup("outer", [ExceptionGroup("inner", [inner])])
    assert unwrap_exception_group(group) is inner
    assert unwrap_exception_group(inner) is inner


@pytest.mark.slow
async def test_the_default_tool_timeout_is_eight_seconds(tmp_path: Path) -> None:
    settings = storage_settings(tmp_path)
    assert settings.tool_timeout_secs == 8.0
    hub = ToolHub(settings, {"slow": ToolServerSpec(("-m", "tests.fakes.slow_tool_server"), "x")})
    async with running(hub):
        node = ToolNode(hub.tools_for("x"), handle_tool_errors=True)
        with tool_log() as log:
            slow = await _run(node, "sleepy", {"seconds": 9}, "u1")
    assert "did not answer within 8s" in slow.text
    assert log.records[0].outcome == "timeout" and 7_900 < log.records[0].elapsed_ms < 8_900
