"""LangChain's end-of-run callbacks without a task each when nothing in them can wait.

Why: on a loaded server an agent turn's time to its first word is the number of event-loop
turns it spans times the length of a loop turn, which grows with every other call on the
process (measured in the server at 50 sessions: a clock answer spanned 50 loop turns of
p50 5.6 ms, p90 13 ms; ``docs/benchmarks.md``, sixth session). LangChain reports the end
of every chain (each graph node) and every model call through a ``@shielded`` method: a new
task running the handlers, awaited through ``asyncio.shield`` so that cancelling the caller
cannot cut the handlers short. That costs three loop turns per report even when every
handler is a plain function run inline, as LangGraph's message streamer is: such a report
never suspends, so nothing could cut it short and the shield protects nothing.

:func:`install` replaces the four shielded reports (chain end and error, model end and error)
with one that runs the report at once, in a copy of the context as LangChain's task does,
when every handler of the run is inline and a plain function for that event; otherwise it
calls LangChain's shielded method unchanged. It applies itself only when LangChain's source
for the methods and their helpers is the source this was written against
(:data:`LANGCHAIN_SOURCE_SHA256`); on any other version it leaves LangChain alone and says
so, and its test fails, so an upgrade is reviewed rather than patched blind.
"""

import functools
import hashlib
import inspect
import types
from collections.abc import Callable, Coroutine, Generator
from contextvars import Context, copy_context
from typing import Any

from langchain_core.callbacks import manager
from langchain_core.callbacks.base import BaseCallbackHandler
from loguru import logger

# sha256 of langchain-core 1.8.3's shielded reports and the helpers they run through.
LANGCHAIN_SOURCE_SHA256 = "6efe7b5b8b1a2b8294a4352db9b7271827a3a2ab4f3161b1112abc85296bec27"

_REPORTS: tuple[tuple[type, str], ...] = (
    (manager.AsyncCallbackManagerForChainRun, "on_chain_end"),
    (manager.AsyncCallbackManagerForChainRun, "on_chain_error"),
    (manager.AsyncCallbackManagerForLLMRun, "on_llm_end"),
    (manager.AsyncCallbackManagerForLLMRun, "on_llm_error"),
)
# LangChain's shielded methods while the lean reports are installed.
_ORIGINALS: dict[tuple[type, str], Callable[..., Any]] = {}


def langchain_source_sha256() -> str:
    """The sha256 of the installed LangChain's shielded reports and their helpers."""
    parts: list[Callable[..., Any]] = [
        manager.shielded,
        manager.ahandle_event,
        manager._ahandle_event_for_handler,
    ]
    for cls, name in _REPORTS:
        shielded = _ORIGINALS.get((cls, name), getattr(cls, name))
        parts.append(shielded.__wrapped__)
    source = "".join(inspect.getsource(part) for part in parts)
    return hashlib.sha256(source.encode()).hexdigest()


def _runs_inline(handlers: list[BaseCallbackHandler], event: str) -> bool:
    """Whether ``ahandle_event`` would call every handler of ``event`` without awaiting."""
    return all(
        handler.run_inline and not inspect.iscoroutinefunction(getattr(handler, event, None))
        for handler in handlers
    )


@types.coroutine
def _finish(coroutine: Coroutine[Any, Any, Any], context: Context, waits_on: Any) -> Generator:
    """Drive a report that suspended after all, in this task (unreachable on the hashed source)."""
    while True:
        try:
            sent = yield waits_on
        except BaseException as error:  # delivered into the report, as a task would
            step: Callable[[], Any] = functools.partial(coroutine.throw, error)
        else:
            step = functools.partial(coroutine.send, sent)
        try:
            waits_on = context.run(step)
        except StopIteration as done:
            return done.value


def _lean(shielded: Any, event: str) -> Callable[..., Any]:
    """``shielded``'s report, run at once when ``event``'s handlers cannot make it wait."""
    report: Callable[..., Coroutine[Any, Any, Any]] = shielded.__wrapped__

    @functools.wraps(report)
    async def lean_report(run: Any, *args: Any, **kwargs: Any) -> Any:
        if not _runs_inline(run.handlers, event):
            return await shielded(run, *args, **kwargs)
        coroutine = report(run, *args, **kwargs)
        context = copy_context()  # as LangChain's task: handlers' context changes stay inside
        try:
            waits_on = context.run(coroutine.send, None)
        except StopIteration as done:
            return done.value
        return await _finish(coroutine, context, waits_on)

    return lean_report


def install() -> bool:
    """Use the lean reports for every agent run of this process.

    Returns:
        Whether they are in use: false when LangChain's reports are not the ones replaced.
    """
    if _ORIGINALS:
        return True
    found = langchain_source_sha256()
    if found != LANGCHAIN_SOURCE_SHA256:
        logger.warning(
            f"LangChain's callback reports are not the ones convonet's lean reports replace "
            f"(source sha256 {found[:12]}); keeping LangChain's"
        )
        return False
    for cls, name in _REPORTS:
        shielded = getattr(cls, name)
        _ORIGINALS[(cls, name)] = shielded
        setattr(cls, name, _lean(shielded, name))
    return True


def uninstall() -> None:
    """Put LangChain's own reports back (tests, or the setting turned off)."""
    for (cls, name), shielded in _ORIGINALS.items():
        setattr(cls, name, shielded)
    _ORIGINALS.clear()
