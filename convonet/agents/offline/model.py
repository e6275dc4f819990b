"""The offline agent model: a LangChain chat model that maps utterances to tool calls by rules.

It needs no network and no weights. It is honest about what it cannot do, limited to the
intents it knows, and deterministic, so tests and benchmarks can rely on it.
"""

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import Field

from convonet.agents.offline import dialog, phrasing
from convonet.agents.speculation import USER_TURN_COMPLETE_KEY

# A system message line carrying the caller's local time, e.g. from the agent context.
CLOCK_PREFIX = "Current local time:"
_CLOCK_LINE = re.compile(rf"{re.escape(CLOCK_PREFIX)}\s*(\S+)")


def clock_line(now: datetime) -> str:
    """The system-prompt line that tells the model the caller's local time."""
    return f"{CLOCK_PREFIX} {now.isoformat(timespec='seconds')}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def _reply(text: str, *, understood: bool) -> AIMessage:
    """A spoken reply with the model's verdict on whether the caller's turn was complete."""
    return AIMessage(content=text, response_metadata={USER_TURN_COMPLETE_KEY: understood})


def _spoken(messages: Sequence[BaseMessage]) -> list[dialog.Spoken]:
    """The conversation as spoken: caller words and assistant replies (tool calls break it)."""
    spoken: list[dialog.Spoken] = []
    for message in messages:
        if isinstance(message, HumanMessage):
            spoken.append(("human", _text(message)))
        elif isinstance(message, AIMessage):
            spoken.append(("ai", "" if message.tool_calls else _text(message)))
    return spoken


class OfflineAgentModel(BaseChatModel):
    """A rule-based chat model with tool calling.

    Attributes:
        tool_names: Names of the tools bound with :meth:`bind_tools`.
        now: The clock, used when no system message gives the caller's local time
            (see :func:`clock_line`); injectable so tests can pin it.
    """

    tool_names: frozenset[str] = frozenset()
    now: Callable[[], datetime] = Field(default=_utc_now, exclude=True)

    @property
    def _llm_type(self) -> str:
        return "convonet-offline"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Return a copy of the model that may call ``tools``."""
        return self.with_tools(t.name if isinstance(t, BaseTool) else str(t["name"]) for t in tools)

    def with_tools(self, names: Any) -> "OfflineAgentModel":
        """A copy of the model that may call the tools called ``names``."""
        return self.model_copy(update={"tool_names": frozenset(names)})

    # --- deciding ---------------------------------------------------------------------------

    def local_now(self, messages: Sequence[BaseMessage]) -> datetime:
        """The caller's current time: from a system message if one says it, else the clock.

        Aware when the timezone is known (replies convert tool times to it); slots use its
        wall-clock time.
        """
        for message in messages:
            if isinstance(message, SystemMessage):
                match = _CLOCK_LINE.search(_text(message))
                if match:
                    try:
                        return datetime.fromisoformat(match.group(1))
                    except ValueError:
                        pass
        return self.now()

    def decide(self, messages: Sequence[BaseMessage]) -> AIMessage:
        """Choose the next message: a tool call, or a spoken reply."""
        now = self.local_now(messages)
        last = messages[-1] if messages else None
        if isinstance(last, ToolMessage):
            asked = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
            whole = asked is None or not dialog.may_go_on(_text(asked))
            return _reply(self._phrase_tool_result(messages, last, now), understood=whole)
        if not isinstance(last, HumanMessage):
            # Nothing the caller said reached us (an empty or blank turn).
            return _reply(phrasing.DIDNT_CATCH, understood=False)
        decision = dialog.decide(_spoken(messages), self.tool_names, now.replace(tzinfo=None))
        if decision.tool is None:
            return _reply(decision.reply, understood=decision.understood)
        call_id = f"call_{uuid.uuid4().hex[:12]}"
        return AIMessage(
            content="",
            tool_calls=[{"name": decision.tool, "args": decision.args, "id": call_id}],
            # No verdict goes with a call: a held call (a new to-do) waits out the whole
            # confirm window, since a caller cut off there cannot take it back. With one, a
            # paused "Add milk, ... and eggs" became a to-do for milk alone (1 run in 3).
        )

    @staticmethod
    def _phrase_tool_result(
        messages: Sequence[BaseMessage], result: ToolMessage, now: datetime
    ) -> str:
        args: dict[str, Any] = {}
        tool = result.name or ""
        for message in reversed(messages):
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    if call["id"] == result.tool_call_id:
                        args, tool = call["args"], call["name"]
                break
        error = getattr(result, "status", "success") == "error"
        return phrasing.tool_result(tool, args, _text(result), error=error, now=now)

    # --- LangChain plumbing -----------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.decide(messages))])

    def _chunks(self, messages: list[BaseMessage]) -> Iterator[ChatGenerationChunk]:
        message = self.decide(messages)
        if message.tool_calls:
            call = message.tool_calls[0]
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        {
                            "name": call["name"],
                            "args": json.dumps(call["args"]),
                            "id": call["id"],
                            "index": 0,
                        }
                    ],
                )
            )
            return
        # Word by word, like a real model streams, so TTS can start on the first sentence.
        # Every chunk carries the verdict, so it is known from the first word on.
        for word in re.findall(r"\S+\s*", str(message.content)):
            yield ChatGenerationChunk(
                message=AIMessageChunk(content=word, response_metadata=message.response_metadata)
            )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # LangChain's streaming wrapper reports each chunk to the callbacks itself.
        yield from self._chunks(messages)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(messages):
            yield chunk
