"""One agent turn: run the graph on a conversation, with the rules every channel shares.

:func:`run_agent_turn` is the one place that streams the graph and applies the turn's rules,
for voice calls (the pipecat processor, which speaks each token as it arrives) and text
turns (``/agent/process``, ``convonet chat``) alike:

* only assistant nodes speak; their tokens are the answer (``on_text`` gets each one);
* a turn longer than ``timeout_secs`` is cancelled and answered with :data:`TIMEOUT_APOLOGY`;
  any other failure with the bot's apology (logged; the caller never hears an exception);
* the turn's tool calls are collected (:func:`~convonet.tools.records.tool_log`);
* a successful ``end_call`` ends the call; a successful ``transfer_to_agent`` is a transfer.

Cancellation (a caller speaking over the bot) propagates: the graph stops mid-stream.

The conversation's memory is the history the caller passes in (the pipecat context of a
call, the stored history of a text session), holding what was said and nothing else; the
graph has no checkpointer and no thread of its own. A timed-out turn therefore leaves
nothing half-finished behind to replay: the next turn starts from the spoken history.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, GenerationChunk, LLMResult
from langgraph.constants import TAG_HIDDEN, TAG_NOSTREAM
from langgraph.types import Command
from loguru import logger

from convonet.agents.context import AgentContext
from convonet.agents.fallback import LLM_METADATA_KEY
from convonet.agents.graph import ASSISTANT_SUFFIX, AgentGraph
from convonet.agents.session_tools import END_CALL_TOOL
from convonet.agents.speculation import USER_TURN_COMPLETE_KEY
from convonet.agents.state import initial_state
from convonet.tools.records import ToolCallRecord, tool_log

DEFAULT_APOLOGY = "Sorry, something went wrong on my side. Could you say that again?"
TIMEOUT_APOLOGY = "Sorry, that took too long. Let's try again."
TRANSFER_TOOL = "transfer_to_agent"

TextSink = Callable[[str], Awaitable[None]]
VerdictSink = Callable[[bool], Awaitable[None]]
MessageSink = Callable[[BaseMessage, bool], Awaitable[None]]


@dataclass
class AgentOutcome:
    """What one agent turn said and did.

    Attributes:
        text: Everything the agent said (its answer, or the apology).
        tool_calls: The turn's tool calls, with timings and outcomes.
        transfer: ``{"department", "extension", "status"}`` when the caller asked for a person.
        ends_call: Whether the agent ended the call (a successful ``end_call``).
        timed_out: Whether the turn, or one of its tool calls, ran out of time.
        error: What went wrong, if the turn failed or timed out.
        llm_used: The provider that answered (after any fallback), if a model answered.
        user_turn_complete: The model's verdict on whether the caller's words made a whole
            request (:data:`~convonet.agents.speculation.USER_TURN_COMPLETE_KEY`), if any.
        started_at: ``time.time()`` when the turn began.
        first_token_at: ``time.time()`` of the first spoken token, if any.
        ended_at: ``time.time()`` when the turn ended.
    """

    text: str = ""
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    transfer: dict[str, str] | None = None
    ends_call: bool = False
    timed_out: bool = False
    error: str | None = None
    llm_used: str | None = None
    user_turn_complete: bool | None = None
    started_at: float = 0.0
    first_token_at: float | None = None
    ended_at: float = 0.0

    @property
    def elapsed_ms(self) -> float:
        """Wall time of the turn in ms."""
        return round(max(0.0, self.ended_at - self.started_at) * 1000, 1)

    @property
    def tools_ms(self) -> float:
        """The sum of the tool calls' times in ms."""
        return round(sum(call.elapsed_ms for call in self.tool_calls), 1)


def ends_call(messages: Sequence[ToolMessage]) -> bool:
    """Whether a successful ``end_call`` is among a turn's tool results."""
    return any(m.name == END_CALL_TOOL and m.status != "error" for m in messages)


def transfer_request(messages: Sequence[ToolMessage]) -> dict[str, str] | None:
    """The department and extension a successful ``transfer_to_agent`` call returned."""
    for message in messages:
        if message.name == TRANSFER_TOOL and message.status != "error":
            try:
                result = json.loads(message.text)
            except ValueError:
                continue
            if isinstance(result, dict) and result.get("extension"):
                return {
                    "department": str(result.get("department", "")),
                    "extension": str(result["extension"]),
                    "status": str(result.get("status", "requested")),
                }
    return None


async def run_agent_turn(
    graph: AgentGraph,
    context: AgentContext,
    messages: Sequence[BaseMessage],
    *,
    timeout_secs: float,
    apology: str = DEFAULT_APOLOGY,
    on_text: TextSink | None = None,
    on_verdict: VerdictSink | None = None,
) -> AgentOutcome:
    """Answer the last message of ``messages``; never raises for agent failures.

    Args:
        graph: The compiled agent graph.
        context: Who is talking, with which bot (the graph's run-time context).
        messages: The conversation so far, the caller's new words last.
        timeout_secs: Upper bound on the whole turn (model and tool calls).
        apology: Said when the agent fails (not for timeouts: :data:`TIMEOUT_APOLOGY`).
        on_text: Awaited with each spoken piece as it arrives (streaming), apologies included.
        on_verdict: Awaited once with the model's verdict on whether the caller's words made
            a whole request, as soon as a message carries one (the first one counts).

    Returns:
        The outcome; on a timeout or failure the apology with ``error`` set.

    Raises:
        asyncio.CancelledError: The turn was cancelled (the graph is stopped too).
    """
    outcome = AgentOutcome(started_at=time.time())
    tools: list[ToolMessage] = []

    async def judge(verdict: bool) -> None:
        # The first verdict counts: it judged the caller's words; later ones (a reply after a
        # tool) only repeat it.
        if outcome.user_turn_complete is None:
            outcome.user_turn_complete = verdict
            if on_verdict is not None:
                await on_verdict(verdict)

    async def say(text: str) -> None:
        if not outcome.text:
            outcome.first_token_at = time.time()
        outcome.text += text
        if on_text is not None:
            await on_text(text)

    with tool_log() as log:
        try:
            async with asyncio.timeout(timeout_secs):
                await _stream(graph, context, messages, outcome, tools, say, judge)
        except TimeoutError:
            outcome.timed_out = True
            outcome.error = f"agent turn exceeded {timeout_secs:g}s"
            logger.warning(f"session {context.session_id}: {outcome.error}")
            await say(TIMEOUT_APOLOGY)
        except Exception as error:  # the agent's boundary: log, apologise, keep the session
            outcome.error = f"agent failed: {error}"
            logger.opt(exception=error).warning(f"session {context.session_id}: {outcome.error}")
            await say(apology)
    outcome.tool_calls = log.records
    outcome.timed_out = outcome.timed_out or log.timed_out
    outcome.ends_call = ends_call(tools)
    outcome.transfer = transfer_request(tools)
    outcome.ended_at = time.time()
    return outcome


class _ModelListener(AsyncCallbackHandler):
    """Hears the graph's chat models as they generate, and the tools' results.

    Why not ``graph.astream(stream_mode="messages")``: streaming makes LangGraph run every
    node as a task of its own beside a waiter task, 61 event-loop turns before the first
    word of a clock answer against 44 this way (23 against 12 for a greeting), and on a
    loaded server each turn of the loop costs up to milliseconds. The rules are that
    stream's: a model run tagged ``nostream`` (the fallback chain's inner provider run) is
    not heard, a model that did not stream is heard whole when it ends, and a message a
    node returns is heard unless a model run was heard saying it.
    """

    run_inline = True  # awaited in the graph's own task, in order

    def __init__(self, on_message: MessageSink, tools: list[ToolMessage]) -> None:
        """Create the listener.

        Args:
            on_message: Awaited with each chunk (or whole message) and whether its node speaks.
            tools: Gets every tool result, as the tool node returns it.
        """
        self._on_message = on_message
        self._tools = tools
        self._runs: dict[UUID, _ModelRun] = {}
        self._nodes: dict[UUID, bool] = {}  # graph node runs: whether the node speaks
        self._heard: set[str] = set()  # ids of messages heard, or given to the graph

    # Having these two makes the handler a LangChain streaming handler, for which chat
    # models stream on ``ainvoke`` (LangGraph's message stream is heard the same way).
    def tap_output_aiter(self, run_id: UUID, output: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Leave a streamed output as it is."""
        return output

    def tap_output_iter(self, run_id: UUID, output: Iterator[Any]) -> Iterator[Any]:
        """Leave a streamed output as it is."""
        return output

    async def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Hear the run unless it is tagged ``nostream``."""
        if metadata is not None and TAG_NOSTREAM not in (tags or ()):
            node = str(metadata.get("langgraph_node", ""))
            self._runs[run_id] = _ModelRun(speaks=node.endswith(ASSISTANT_SUFFIX))

    async def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Pass a streamed chunk on."""
        if (run := self._runs.get(run_id)) is not None and isinstance(chunk, ChatGenerationChunk):
            run.streamed = True
            await self._hear(chunk.message, run.speaks)

    async def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Pass on the whole message of a model that did not stream."""
        run = self._runs.pop(run_id, None)
        if run is None or not response.generations:
            return
        for generation in response.generations[0][:1]:
            if not isinstance(generation, ChatGeneration):
                continue
            if run.streamed:  # heard as chunks: only keep its node from saying it again
                self._heard.add(generation.message.id or "")
            else:
                await self._hear(generation.message, run.speaks)

    async def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a failed run."""
        self._runs.pop(run_id, None)

    async def on_chain_start(
        self,
        serialized: dict[str, Any],
        inputs: dict[str, Any],
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Note a graph node's run (a node may answer without a model, and tools answer)."""
        if metadata is None or TAG_HIDDEN in (tags or ()):
            return
        node = metadata.get("langgraph_node")
        if node is not None and kwargs.get("name") == node:
            self._nodes[run_id] = str(node).endswith(ASSISTANT_SUFFIX)
            self._heard.update(m.id for m in _messages(inputs) if m.id is not None)

    async def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Keep a node's tool results; hear its messages no model run was heard saying."""
        speaks = self._nodes.pop(run_id, None)
        if speaks is None:
            return
        for message in _messages(outputs):
            if isinstance(message, ToolMessage):
                self._tools.append(message)
            elif message.id is None or message.id not in self._heard:
                await self._hear(message, speaks)

    async def _hear(self, message: BaseMessage, speaks: bool) -> None:
        if message.id is not None:
            self._heard.add(message.id)
        await self._on_message(message, speaks)


def _messages(value: Any) -> list[BaseMessage]:
    """The messages a node got or returned (a state update, or a ``Command`` carrying one)."""
    if isinstance(value, Command):
        value = value.update
    found = value.get("messages") if isinstance(value, dict) else None
    if isinstance(found, BaseMessage):
        return [found]
    if isinstance(found, list):
        return [m for m in found if isinstance(m, BaseMessage)]
    return []


@dataclass
class _ModelRun:
    """A chat model run being heard: whether its node speaks, whether it streamed yet."""

    speaks: bool
    streamed: bool = False


async def _stream(
    graph: AgentGraph,
    context: AgentContext,
    messages: Sequence[BaseMessage],
    outcome: AgentOutcome,
    tools: list[ToolMessage],
    say: TextSink,
    judge: VerdictSink,
) -> None:
    async def hear(message: BaseMessage, speaks: bool) -> None:
        if not isinstance(message, AIMessage):
            return
        outcome.llm_used = message.response_metadata.get(LLM_METADATA_KEY) or outcome.llm_used
        # Chunks of a streaming model, or whole messages of one that does not stream.
        # Only assistant nodes speak; .text covers strings and content blocks (Claude).
        if speaks and (text := message.text):
            await say(text)
        # After the words, so a prepared reply's text is on its way before the turn ends.
        verdict = message.response_metadata.get(USER_TURN_COMPLETE_KEY)
        if isinstance(verdict, bool):
            await judge(verdict)

    listener = _ModelListener(hear, tools)
    await graph.ainvoke(initial_state(messages), {"callbacks": [listener]}, context=context)
