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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
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


async def _stream(
    graph: AgentGraph,
    context: AgentContext,
    messages: Sequence[BaseMessage],
    outcome: AgentOutcome,
    tools: list[ToolMessage],
    say: TextSink,
    judge: VerdictSink,
) -> None:
    async for chunk, metadata in graph.astream(
        initial_state(messages), context=context, stream_mode="messages"
    ):
        if isinstance(chunk, ToolMessage):
            tools.append(chunk)
            continue
        if not isinstance(chunk, AIMessage) or not isinstance(metadata, dict):
            continue
        outcome.llm_used = chunk.response_metadata.get(LLM_METADATA_KEY) or outcome.llm_used
        # Chunks of a streaming model, or whole messages of one that does not stream.
        # Only assistant nodes speak; .text covers strings and content blocks (Claude).
        if str(metadata.get("langgraph_node", "")).endswith(ASSISTANT_SUFFIX) and (
            text := chunk.text
        ):
            await say(text)
        # After the words, so a prepared reply's text is on its way before the turn ends.
        verdict = chunk.response_metadata.get(USER_TURN_COMPLETE_KEY)
        if isinstance(verdict, bool):
            await judge(verdict)
