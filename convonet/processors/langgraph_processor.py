"""LangGraphProcessor: runs a compiled LangGraph agent as the pipeline's LLM.

It consumes ``LLMContextFrame``, streams the graph's assistant tokens as ``LLMTextFrame``s
between ``LLMFullResponseStartFrame`` and ``LLMFullResponseEndFrame`` (the end frame is always
sent), and lets ``CancelledError`` propagate so an interruption cancels the graph mid-stream.
"""

import asyncio
from dataclasses import dataclass, field

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

from convonet.agents.context import AgentContext
from convonet.agents.graph import ASSISTANT_SUFFIX, AgentGraph
from convonet.agents.session_tools import END_CALL_TOOL
from convonet.agents.state import initial_state
from convonet.processors.context_messages import to_langchain

DEFAULT_APOLOGY = "Sorry, something went wrong on my side. Could you say that again?"
TIMEOUT_APOLOGY = "Sorry, that took too long. Let's try again."


@dataclass(slots=True)
class TurnOutcome:
    """What one graph run produced, for side effects after the reply."""

    text: str = ""
    tool_messages: list[ToolMessage] = field(default_factory=list)

    @property
    def ends_call(self) -> bool:
        """Whether the agent decided to end the call."""
        return any(m.name == END_CALL_TOOL and m.status != "error" for m in self.tool_messages)


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
        outcome = TurnOutcome()
        await self.push_frame(LLMFullResponseStartFrame())
        await self.start_processing_metrics()
        await self.start_ttfb_metrics()
        try:
            async with asyncio.timeout(self._turn_timeout_secs):
                await self._stream(messages, outcome)
        except TimeoutError as error:
            await self._fail(f"agent turn exceeded {self._turn_timeout_secs:.0f}s", error)
            await self._say(TIMEOUT_APOLOGY, outcome)
        except asyncio.CancelledError:
            # Barge-in: the caller spoke over us. Let the cancellation stop the graph.
            logger.debug(f"{self}: agent turn cancelled after {len(outcome.text)} chars")
            raise
        except Exception as error:  # the session boundary for agent failures: log, apologise
            await self._fail(f"agent failed: {error}", error)
            await self._say(self._apology, outcome)
        finally:
            await self.stop_ttfb_metrics()
            await self.stop_processing_metrics()
            await self.push_frame(LLMFullResponseEndFrame())
        if outcome.ends_call:
            # Downstream, behind the goodbye, so it is spoken before the pipeline ends.
            await self.push_frame(EndWorkerFrame(reason="caller said goodbye"))

    async def _stream(self, messages: list[BaseMessage], outcome: TurnOutcome) -> None:
        async for chunk, metadata in self._graph.astream(
            initial_state(messages),
            config=RunnableConfig(configurable={"thread_id": self._context.session_id}),
            context=self._context,
            stream_mode="messages",
        ):
            if isinstance(chunk, ToolMessage):
                outcome.tool_messages.append(chunk)
            elif (
                isinstance(chunk, AIMessageChunk)
                and isinstance(metadata, dict)
                # Only assistant nodes speak; other nodes' model calls stay internal.
                and str(metadata.get("langgraph_node", "")).endswith(ASSISTANT_SUFFIX)
                # .text covers both plain strings and content blocks (Claude streams blocks).
                and (text := chunk.text)
            ):
                await self._say(text, outcome)

    async def _say(self, text: str, outcome: TurnOutcome) -> None:
        if not outcome.text:
            await self.stop_ttfb_metrics()
        outcome.text += text
        await self.push_frame(LLMTextFrame(text))

    async def _fail(self, message: str, error: BaseException) -> None:
        logger.warning(f"{self}: {message}")
        await self.push_error(message, exception=error if isinstance(error, Exception) else None)
