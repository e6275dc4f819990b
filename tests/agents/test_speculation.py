"""A speculative agent run: tools that change anything wait for the turn's confirmation."""

import asyncio

from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from convonet.agents.context import AgentContext
from convonet.agents.graph import build_agent_graph
from convonet.agents.offline import OfflineAgentModel
from convonet.agents.session_tools import END_CALL_TOOL, session_tools
from convonet.agents.speculation import is_read_only, speculative
from convonet.agents.turn import run_agent_turn

calls: list[str] = []


@tool
def end_call(reason: str = "caller said goodbye") -> str:
    """End the call (records that it ran)."""
    calls.append(reason)
    return '{"ended": true}'


def _graph():  # type: ignore[no-untyped-def]
    clock = [t for t in session_tools() if t.name != END_CALL_TOOL]
    tools = [*clock, end_call]
    return build_agent_graph(OfflineAgentModel().bind_tools(tools), {"general": tools})


async def _turn(text: str, confirmed: asyncio.Event) -> asyncio.Task:  # type: ignore[type-arg]
    async def run():  # type: ignore[no-untyped-def]
        with speculative(confirmed):
            return await run_agent_turn(
                _graph(), AgentContext(session_id="s"), [HumanMessage(text)], timeout_secs=5
            )

    return asyncio.create_task(run())


async def test_a_tool_that_changes_something_waits_for_the_confirmation() -> None:
    calls.clear()
    confirmed = asyncio.Event()
    task = await _turn("goodbye", confirmed)

    await asyncio.sleep(0.3)
    assert not task.done() and calls == [], "end_call ran before the turn was confirmed"

    confirmed.set()
    outcome = await asyncio.wait_for(task, 5)
    assert calls and outcome.ends_call, outcome


async def test_the_verdict_comes_with_the_reply_after_a_held_call() -> None:
    calls.clear()
    confirmed = asyncio.Event()
    verdicts: list[tuple[bool, list[str]]] = []

    async def judged(whole: bool) -> None:
        verdicts.append((whole, list(calls)))

    with speculative(confirmed):
        task = asyncio.create_task(
            run_agent_turn(
                _graph(),
                AgentContext(session_id="s"),
                [HumanMessage("goodbye")],
                timeout_secs=5,
                on_verdict=judged,
            )
        )
        await asyncio.sleep(0.3)
        assert verdicts == [], "no verdict may end the turn before a held call is confirmed"
        confirmed.set()
        outcome = await asyncio.wait_for(task, 5)

    # Reported once, as soon as the reply's first words carried it, after the call ran.
    assert verdicts == [(True, [verdicts[0][1][0]])] and outcome.ends_call, verdicts


async def test_a_withdrawn_run_never_calls_the_tool() -> None:
    calls.clear()
    task = await _turn("goodbye", asyncio.Event())
    await asyncio.sleep(0.2)

    task.cancel()  # the caller went on: the processor cancels the run

    await asyncio.gather(task, return_exceptions=True)
    assert calls == []


async def test_a_read_only_tool_runs_before_the_confirmation() -> None:
    task = await _turn("what time is it", asyncio.Event())

    outcome = await asyncio.wait_for(task, 5)  # never confirmed, still answered

    assert outcome.text.startswith("It's"), outcome
    assert outcome.user_turn_complete is True


def test_the_clock_is_read_only_and_ending_the_call_is_not() -> None:
    by_name = {t.name: t for t in session_tools()}
    assert is_read_only(by_name["get_current_datetime"])
    assert not is_read_only(by_name[END_CALL_TOOL])
