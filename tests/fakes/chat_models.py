"""Scripted LangChain chat models for agent and processor tests."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult


class SlowStreamingChatModel(BaseChatModel):
    """Streams ``tokens`` tokens, ``delay`` seconds apart, and records cancellation."""

    tokens: int = 100
    delay: float = 0.05
    emitted: int = 0
    cancelled: bool = False

    @property
    def _llm_type(self) -> str:
        return "slow-fake"

    def bind_tools(self, tools: Any, **kwargs: Any) -> "SlowStreamingChatModel":
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = " ".join(f"word{i}" for i in range(self.tokens))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # Non-streamed calls take as long as the stream would.
        text = "".join([str(chunk.message.content) async for chunk in self._astream(messages)])
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        raise NotImplementedError("async only")

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        try:
            for index in range(self.tokens):
                await asyncio.sleep(self.delay)
                self.emitted += 1
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=f"word{index} "))
                yield chunk
        except asyncio.CancelledError:
            self.cancelled = True
            raise
