"""The offline agent model: a LangChain chat model that maps utterances to tool calls by rules.

It needs no network and no weights. It is honest about what it cannot do, limited to the
intents it knows, and deterministic, so tests and benchmarks can rely on it.
"""

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
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
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from convonet.agents.offline import intents, phrasing


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


class OfflineAgentModel(BaseChatModel):
    """A rule-based chat model with tool calling.

    Attributes:
        tool_names: Names of the tools bound with :meth:`bind_tools`.
    """

    tool_names: frozenset[str] = frozenset()

    @property
    def _llm_type(self) -> str:
        return "convonet-offline"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Return a copy of the model that may call ``tools``."""
        names = frozenset(t.name if isinstance(t, BaseTool) else str(t["name"]) for t in tools)
        return self.model_copy(update={"tool_names": names})

    # --- deciding ---------------------------------------------------------------------------

    def decide(self, messages: Sequence[BaseMessage]) -> AIMessage:
        """Choose the next message: a tool call, or a spoken reply."""
        last = messages[-1] if messages else None
        if isinstance(last, ToolMessage):
            return AIMessage(content=self._phrase_tool_result(messages, last))
        text = _text(last) if isinstance(last, HumanMessage) else ""
        if intents.is_unintelligible(text):
            return AIMessage(content=phrasing.DIDNT_CATCH)
        intent = intents.classify(text)
        if intent is None:
            return AIMessage(content=phrasing.fallback(self.tool_names))
        if intent.tool is None:
            return AIMessage(content=phrasing.direct_reply(intent.name, self.tool_names))
        if intent.tool not in self.tool_names:
            return AIMessage(content=phrasing.missing_tool(intent.name))
        call_id = f"call_{uuid.uuid4().hex[:12]}"
        return AIMessage(
            content="",
            tool_calls=[{"name": intent.tool, "args": intent.args(text), "id": call_id}],
        )

    @staticmethod
    def _phrase_tool_result(messages: Sequence[BaseMessage], result: ToolMessage) -> str:
        args: dict[str, Any] = {}
        tool = result.name or ""
        for message in reversed(messages):
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    if call["id"] == result.tool_call_id:
                        args, tool = call["args"], call["name"]
                break
        return phrasing.tool_result(
            tool, args, _text(result), error=getattr(result, "status", "success") == "error"
        )

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
        for word in re.findall(r"\S+\s*", str(message.content)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(messages):
            if run_manager is not None:
                run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(messages):
            if run_manager is not None:
                await run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
            yield chunk
