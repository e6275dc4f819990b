"""The lean callback reports: LangChain's behaviour, without a task per report."""

import asyncio
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from langchain_core.callbacks import manager
from langchain_core.callbacks.base import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import HumanMessage

from convonet.agents import lean_callbacks
from convonet.agents.context import AgentContext
from convonet.agents.factory import AgentFactory
from convonet.agents.turn import run_agent_turn
from convonet.server import create_app
from convonet.settings import Settings
from tests.conftest import test_settings

SEEN: ContextVar[str] = ContextVar("seen", default="")


@pytest.fixture(autouse=True)
def _langchain_reports_around() -> Iterator[None]:
    lean_callbacks.uninstall()  # an app built by an earlier test installs them process-wide
    yield
    lean_callbacks.uninstall()


class Inline(BaseCallbackHandler):
    """A plain handler run inline, as LangGraph's message streamer is."""

    run_inline = True

    def __init__(self, fail: bool = False) -> None:
        self.ends: list[Any] = []
        self.raise_error = fail

    def on_chain_end(self, outputs: Any, **kwargs: Any) -> None:
        SEEN.set("handler")  # must not leak into the caller's context
        if self.raise_error:
            raise ValueError("handler failed")
        self.ends.append(outputs)


class Awaiting(AsyncCallbackHandler):
    """A coroutine handler that waits: the report must stay LangChain's shielded task."""

    def __init__(self) -> None:
        self.ends: list[Any] = []

    async def on_chain_end(self, outputs: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        self.ends.append(outputs)


def _run(handlers: list[BaseCallbackHandler]) -> manager.AsyncCallbackManagerForChainRun:
    return manager.AsyncCallbackManagerForChainRun(
        run_id=uuid4(), handlers=handlers, inheritable_handlers=[]
    )


def _counting_tasks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    created: list[Any] = []
    loop = asyncio.get_running_loop()
    create_task: Callable[..., asyncio.Task[Any]] = loop.create_task

    def counting(coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        created.append(coro)
        return create_task(coro, **kwargs)

    monkeypatch.setattr(loop, "create_task", counting)
    return created


def test_the_installed_langchain_is_the_one_the_lean_reports_replace() -> None:
    # Fails after a LangChain upgrade: review the new reports and update the hash or drop this.
    assert lean_callbacks.langchain_source_sha256() == lean_callbacks.LANGCHAIN_SOURCE_SHA256
    assert lean_callbacks.install()
    lean_callbacks.uninstall()
    assert lean_callbacks.langchain_source_sha256() == lean_callbacks.LANGCHAIN_SOURCE_SHA256


async def test_an_inline_report_runs_at_once_in_its_own_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert lean_callbacks.install()
    handler = Inline()
    created = _counting_tasks(monkeypatch)

    await _run([handler]).on_chain_end({"answer": 42})

    assert handler.ends == [{"answer": 42}]
    assert created == []  # LangChain's shielded report makes one task per report
    assert SEEN.get() == ""


async def test_langchain_own_report_makes_a_task(monkeypatch: pytest.MonkeyPatch) -> None:
    # The counter above can see a task: without the lean reports there is one per report.
    handler = Inline()
    created = _counting_tasks(monkeypatch)

    await _run([handler]).on_chain_end({"answer": 42})

    assert handler.ends == [{"answer": 42}] and len(created) == 1
    assert SEEN.get() == ""


async def test_a_handler_that_waits_keeps_the_shielded_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert lean_callbacks.install()
    handler = Awaiting()
    created = _counting_tasks(monkeypatch)

    await _run([handler]).on_chain_end("done")

    assert handler.ends == ["done"] and len(created) >= 1


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "langchain"])
async def test_a_failing_handler_fails_the_report_alike(lean: bool) -> None:
    if lean:
        assert lean_callbacks.install()
    with pytest.raises(ValueError, match="handler failed"):
        await _run([Inline(fail=True)]).on_chain_end({})


async def test_a_report_that_waits_after_all_is_driven_to_its_end() -> None:
    """Unreachable with LangChain's own reports; the lean report must still finish one."""
    steps: list[str] = []

    async def report(run: Any, outputs: Any) -> str:
        await asyncio.sleep(0)
        steps.append(SEEN.get())
        SEEN.set("report")
        future = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(future.set_result, "later")
        return f"{outputs} {await future}"

    async def shielded(run: Any, outputs: Any) -> str:
        raise AssertionError("the inline path was expected")

    shielded.__wrapped__ = report  # type: ignore[attr-defined]
    lean = lean_callbacks._lean(shielded, "on_chain_end")
    SEEN.set("caller")

    assert await lean(_run([]), "done") == "done later"
    assert steps == ["caller"] and SEEN.get() == "caller"


async def test_an_agent_turn_says_and_does_the_same_with_the_lean_reports() -> None:
    graph = AgentFactory(Settings()).graph("offline")

    async def turn() -> tuple[list[str], list[str]]:
        said: list[str] = []

        async def on_text(text: str) -> None:
            said.append(text)

        outcome = await run_agent_turn(
            graph,
            AgentContext(session_id="s"),
            [HumanMessage("what time is it")],
            timeout_secs=5,
            on_text=on_text,
        )
        assert outcome.error is None
        return said, [call.name for call in outcome.tool_calls]

    langchain = await turn()
    assert lean_callbacks.install()
    lean = await turn()

    assert lean == langchain
    assert lean[0][0].startswith("It's ")  # the clock tool's answer, streamed


@pytest.mark.parametrize("enabled", [True, False])
def test_the_app_installs_the_lean_reports_as_set(tmp_path: Path, enabled: bool) -> None:
    create_app(test_settings(tmp_path, tools_enabled=False, lean_agent_callbacks=enabled))
    assert bool(lean_callbacks._ORIGINALS) is enabled


async def test_cancelling_a_report_that_waits_delivers_the_cancellation_into_it() -> None:
    seen: list[str] = []

    async def report(run: Any) -> None:
        try:
            await asyncio.get_running_loop().create_future()  # never done
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    async def shielded(run: Any) -> None:
        raise AssertionError("the inline path was expected")

    shielded.__wrapped__ = report  # type: ignore[attr-defined]
    task = asyncio.create_task(lean_callbacks._lean(shielded, "on_chain_end")(_run([])))
    await asyncio.sleep(0)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"]
