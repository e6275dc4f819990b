"""LangGraphProcessor: runs a compiled LangGraph agent as the pipeline's LLM.

It consumes ``LLMContextFrame``, streams the graph's assistant tokens as ``LLMTextFrame``s
between ``LLMFullResponseStartFrame`` and ``LLMFullResponseEndFrame`` (the end frame is always
sent), and lets ``CancelledError`` propagate so an interruption cancels the graph mid-stream.
Graph side effects become frames: an ``AgentTurnFrame`` after every turn, an RTVI server
message when a transfer is requested, an ``EndWorkerFrame`` after a goodbye.
"""

import asyncio
import json
import time

from langchain_core.messages import AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from loguru import logger
from pipecat.frames.frames import (
    EndWorkerFrame,
    Frame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.processors.frameworks.rtvi.frames import RTVIServerMessageFrame

from convonet.agents.context import AgentContext
from convonet.agents.fallback import LLM_METADATA_KEY
from convonet.agents.graph import ASSISTANT_SUFFIX, AgentGraph
from convonet.agents.session_tools import END_CALL_TOOL
from convonet.agents.state import initial_state
from convonet.processors.context_messages import to_langchain
from convonet.processors.frames import AgentTurnFrame
from convonet.tools.records import tool_log

DEFAULT_APOLOGY = "Sorry, something went wrong on my side. Could you say that again?"
TIMEOUT_APOLOGY = "Sorry, that took too long. Let's try again."
TRANSFER_TOOL = "transfer_to_agent"


def fresh_thread_id(session_id: str) -> str:
    """A new, timestamped conversation thread id for ``session_id`` (after a timeout)."""
    return f"{session_id}-{int(time.time() * 1000)}"


def ends_call(messages: list[ToolMessage]) -> bool:
    """Whether a successful ``end_call`` is among a turn's tool results."""
    return any(m.name == END_CALL_TOOL and m.status != "error" for m in messages)


def transfer_request(messages: list[ToolMessage]) -> dict[str, str] | None:
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


class LangGraphProcessor(FrameProcessor):
    """A pipecat processor that answers each user turn with a LangGraph agent."""

    def __init__(
        self,
        graph: AgentGraph,
        context: AgentContext,
        *,
        turn_timeout_secs: float = 10.0,
        apology: str = DEFAULT_APOLOGY,
        **kwargs: object,
    ) -> None:
        """Create the processor.

        Args:
            graph: The compiled agent graph (takes ``AgentContext`` as run-time context).
            context: Who is calling, with which bot; passed to every node and tool.
            turn_timeout_secs: Upper bound on one agent turn.
            apology: Spoken when the agent fails.
            **kwargs: Passed to :class:`FrameProcessor`.
        """
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._graph = graph
        self._context = context
        self._turn_timeout_secs = turn_timeout_secs
        self._apology = apology
        self.thread_id = context.session_id

    def can_generate_metrics(self) -> bool:
        """This processor reports TTFB and processing time like an LLM service."""
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Answer ``LLMContextFrame``s; forward everything else."""
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self._respond(to_langchain(frame.context.get_messages()))
        else:
            await self.push_frame(frame, direction)

    async def _respond(self, messages: list[BaseMessage]) -> None:
        turn = AgentTurnFrame(
            session_id=self._context.session_id, thread_id=self.thread_id, started_at=time.time()
        )
        tool_messages: list[ToolMessage] = []
        timed_out = False
        await self.push_frame(LLMFullResponseStartFrame())
        await self.start_processing_metrics()
        await self.start_ttfb_metrics()
        with tool_log() as log:
            try:
                async with asyncio.timeout(self._turn_timeout_secs):
                    await self._stream(messages, turn, tool_messages)
            except TimeoutError as error:
                timed_out = True
                turn.error = f"agent turn exceeded {self._turn_timeout_secs:g}s"
                await self._fail(turn.error, error)
                await self._say(TIMEOUT_APOLOGY, turn)
            except asyncio.CancelledError:
                # Barge-in: the caller spoke over us. Let the cancellation stop the graph.
                logger.debug(f"{self}: agent turn cancelled after {len(turn.text)} chars")
                raise
            except Exception as error:  # the session boundary for agent failures: log, apologise
                turn.error = f"agent failed: {error}"
                await self._fail(turn.error, error)
                await self._say(self._apology, turn)
            finally:
                await self.stop_ttfb_metrics()
                await self.stop_processing_metrics()
                await self.push_frame(LLMFullResponseEndFrame())
        turn.tool_calls = log.records
        await self._finish(turn, tool_messages, timed_out=timed_out or log.timed_out)

    async def _finish(
        self, turn: AgentTurnFrame, tools: list[ToolMessage], *, timed_out: bool
    ) -> None:
        turn.ended_at = time.time()
        turn.ends_call = ends_call(tools)
        turn.transfer = transfer_request(tools)
        if timed_out:
            self._reset_thread(turn)
        await self.push_frame(turn)
        if turn.transfer is not None:
            await self.push_frame(
                RTVIServerMessageFrame(data={"type": "transfer", **turn.transfer})
            )
        if turn.ends_call:
            # Downstream, behind the goodbye, so it is spoken before the pipeline ends.
            await self.push_frame(EndWorkerFrame(reason="caller said goodbye"))

    def _reset_thread(self, turn: AgentTurnFrame) -> None:
        # A timed-out turn may leave a half-finished tool exchange behind; continue on a
        # fresh, timestamped thread so it can never be replayed to the model.
        self.thread_id = fresh_thread_id(self._context.session_id)
        turn.thread_reset = True
        reason = turn.error or "a tool timed out"
        logger.warning(f"session {self._context.session_id}: thread reset ({reason})")

    async def _stream(
        self, messages: list[BaseMessage], turn: AgentTurnFrame, tools: list[ToolMessage]
    ) -> None:
        async for chunk, metadata in self._graph.astream(
            initial_state(messages),
            config=RunnableConfig(configurable={"thread_id": self.thread_id}),
            context=self._context,
            stream_mode="messages",
        ):
            if isinstance(chunk, ToolMessage):
                tools.append(chunk)
                continue
            if not isinstance(chunk, AIMessageChunk) or not isinstance(metadata, dict):
                continue
            turn.llm_used = chunk.response_metadata.get(LLM_METADATA_KEY) or turn.llm_used
            # Only assistant nodes speak; .text covers strings and content blocks (Claude).
            if str(metadata.get("langgraph_node", "")).endswith(ASSISTANT_SUFFIX) and (
                text := chunk.text
            ):
                await self._say(text, turn)

    async def _say(self, text: str, turn: AgentTurnFrame) -> None:
        if not turn.text:
            turn.first_token_at = time.time()
            await self.stop_ttfb_metrics()
        turn.text += text
        await self.push_frame(LLMTextFrame(text))

    async def _fail(self, message: str, error: BaseException) -> None:
        logger.warning(f"{self}: {message}")
        await self.push_error(message, exception=error if isinstance(error, Exception) else None)
