"""Provider fallback: a chat model that tries each LLM of a chain until one answers.

:class:`FallbackChatModel` wraps the chat models of a chain (for example claude → openai →
gemini → offline). A request goes to the first provider; when it fails with a *transient*
error (connection refused or dropped, HTTP 5xx, HTTP 429 rate limit, no answer within
``timeout_secs``) the next provider gets the same request. Client errors (HTTP 400, 401, 403,
404 and other 4xx) do not move down the chain unless ``fallback_on_client_errors`` is set: a
bad key or a bad request is a configuration bug that fallback would hide; a rejected key is
logged at ERROR level either way.

Streaming: the fallback decision is made before the first chunk. Once a provider has streamed
a chunk (possibly already spoken by TTS) its failure is raised, not retried elsewhere, and a
stall longer than ``timeout_secs`` between two chunks raises :class:`TimeoutError`.

Which provider answered is written into the reply's
``response_metadata[LLM_METADATA_KEY]`` (read it with :func:`answered_by`), and every
attempt is reported to an optional listener as a :class:`ProviderEvent` (for metrics).
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, BaseMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langgraph.constants import TAG_NOSTREAM
from loguru import logger
from pydantic import SkipValidation

from convonet.agents.failures import (
    CLIENT_FAILURES,
    TRANSIENT_FAILURES,
    FailureKind,
    classify_failure,
)

LLM_METADATA_KEY = "convonet_llm"


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """One attempt of one provider of a fallback chain.

    Attributes:
        requested: The chain's first provider (the LLM the session asked for).
        provider: The provider this attempt went to.
        position: The provider's index in the chain (0 for the requested one).
        answered: Whether the provider answered.
        failure: Why it failed (None when it answered).
        error: The error's text (None when it answered).
        next_provider: After a failure, the provider tried next; None when the failure
            was raised to the caller.
        elapsed_ms: Time from the request to the answer (first chunk when streaming) or the
            failure.
    """

    requested: str
    provider: str
    position: int
    answered: bool
    elapsed_ms: float
    failure: FailureKind | None = None
    error: str | None = None
    next_provider: str | None = None


ProviderListener = Callable[[ProviderEvent], None]


@dataclass(frozen=True, slots=True)
class Provider:
    """A named chat model of a chain, possibly bound to tools.

    Attributes:
        name: The provider's LLM name (``claude``, ``offline``, ...).
        model: The provider's chat model.
        bound: ``model`` bound to the agent's tools, once :meth:`FallbackChatModel.bind_tools`
            ran; None before.
    """

    name: str
    model: BaseChatModel
    bound: Runnable[LanguageModelInput, BaseMessage] | None = None

    @property
    def runnable(self) -> Runnable[LanguageModelInput, BaseMessage]:
        """What requests go to: the tool-bound model if any, else the bare model."""
        return self.bound if self.bound is not None else self.model


def answered_by(messages: Sequence[BaseMessage]) -> str | None:
    """The provider that produced the last assistant message that records one.

    Args:
        messages: A conversation, oldest first (e.g. a graph run's ``state["messages"]``).

    Returns:
        The LLM name, or None when no assistant message was produced by a fallback model.
    """
    for message in reversed(messages):
        if isinstance(message, AIMessage) and LLM_METADATA_KEY in message.response_metadata:
            return str(message.response_metadata[LLM_METADATA_KEY])
    return None


class FallbackChatModel(BaseChatModel):
    """A chat model that moves down a chain of providers on transient errors.

    Attributes:
        providers: The chain, in order; the first is the requested LLM.
        timeout_secs: Per request: the longest wait for an answer (the first chunk when
            streaming) and, when streaming, between two chunks.
        fallback_on_client_errors: Also move on after 4xx errors other than 429 (bad key,
            bad request, unknown model).
        listener: Called with every attempt's :class:`ProviderEvent`; must not block.
    """

    providers: SkipValidation[tuple[Provider, ...]]
    timeout_secs: float = 8.0
    fallback_on_client_errors: bool = False
    listener: SkipValidation[ProviderListener | None] = None

    @property
    def _llm_type(self) -> str:
        return "convonet-fallback"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"providers": [p.name for p in self.providers], "timeout_secs": self.timeout_secs}

    @property
    def provider_names(self) -> list[str]:
        """The chain's LLM names, in order."""
        return [p.name for p in self.providers]

    def bind_tools(
        self, tools: Sequence[Any], **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Return a copy whose every provider is bound to ``tools`` (same keyword arguments)."""
        bound = tuple(
            replace(p, bound=p.model.bind_tools(list(tools), **kwargs)) for p in self.providers
        )
        return self.model_copy(update={"providers": bound})

    # --- async (the agent graph's path) -----------------------------------------------------

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        config = _child_config(run_manager)
        for position, provider in enumerate(self.providers):
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.timeout_secs):
                    reply = await provider.runnable.ainvoke(messages, config, stop=stop, **kwargs)
            except Exception as error:
                self._on_failure(position, error, started)
                continue
            self._on_answer(position, started)
            return ChatResult(generations=[ChatGeneration(message=_tagged(reply, provider.name))])
        raise AssertionError("unreachable: the last provider's failure is raised")

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        config = _child_config(run_manager)
        for position, provider in enumerate(self.providers):
            started = time.perf_counter()
            stream = provider.runnable.astream(messages, config, stop=stop, **kwargs)
            async with contextlib.aclosing(cast(Any, stream)):
                try:
                    async with asyncio.timeout(self.timeout_secs):
                        first = await anext(stream)
                except StopAsyncIteration:
                    self._on_answer(position, started)
                    return
                except Exception as error:
                    self._on_failure(position, error, started)
                    continue
                self._on_answer(position, started)
                yield ChatGenerationChunk(message=_tagged(first, provider.name))
                try:
                    async for chunk in _with_idle_timeout(stream, self.timeout_secs):
                        yield ChatGenerationChunk(message=cast(BaseMessageChunk, chunk))
                except Exception as error:  # already streaming: report, never fall back
                    self._on_failure(position, error, started, streaming=True)
                return

    # --- sync (scripts and notebooks; the client timeout bounds each request) ---------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        config = _child_config(run_manager)
        for position, provider in enumerate(self.providers):
            started = time.perf_counter()
            try:
                reply = provider.runnable.invoke(messages, config, stop=stop, **kwargs)
            except Exception as error:
                self._on_failure(position, error, started)
                continue
            self._on_answer(position, started)
            return ChatResult(generations=[ChatGeneration(message=_tagged(reply, provider.name))])
        raise AssertionError("unreachable: the last provider's failure is raised")

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        raise NotImplementedError("FallbackChatModel streams asynchronously only")

    # --- bookkeeping ------------------------------------------------------------------------

    def _on_answer(self, position: int, started: float) -> None:
        provider = self.providers[position]
        if position:
            logger.info(f"LLM fallback: {provider.name!r} answered for {self.providers[0].name!r}")
        self._notify(
            ProviderEvent(
                requested=self.providers[0].name,
                provider=provider.name,
                position=position,
                answered=True,
                elapsed_ms=_ms_since(started),
            )
        )

    def _on_failure(
        self, position: int, error: Exception, started: float, *, streaming: bool = False
    ) -> None:
        """Log and report a failed attempt; re-raise ``error`` unless the chain moves on.

        A provider that failed after streaming a chunk (``streaming``) is never replaced.
        """
        kind = classify_failure(error)
        name = self.providers[position].name
        movable = TRANSIENT_FAILURES | (
            CLIENT_FAILURES if self.fallback_on_client_errors else frozenset()
        )
        has_next = position + 1 < len(self.providers)
        moves_on = has_next and kind in movable and not streaming
        next_name = self.providers[position + 1].name if moves_on else None
        detail = f"{type(error).__name__}: {error}"
        if kind == "auth":
            logger.error(f"LLM {name!r} rejected its credentials; check its API key. {detail}")
        then = f"falling back to {next_name!r}" if next_name else "giving up"
        logger.warning(f"LLM {name!r} failed ({kind}), {then}: {detail}")
        self._notify(
            ProviderEvent(
                requested=self.providers[0].name,
                provider=name,
                position=position,
                answered=False,
                elapsed_ms=_ms_since(started),
                failure=kind,
                error=detail,
                next_provider=next_name,
            )
        )
        if next_name is None:
            raise error

    def _notify(self, event: ProviderEvent) -> None:
        if self.listener is None:
            return
        try:
            self.listener(event)
        except Exception:  # a metrics bug must not fail the caller's turn
            logger.exception("LLM provider listener failed")


def _child_config(
    run_manager: AsyncCallbackManagerForLLMRun | CallbackManagerForLLMRun | None,
) -> RunnableConfig:
    """Config for one provider call.

    It is tagged ``nostream`` so LangGraph does not stream the provider's tokens besides
    ours (we re-emit them), and traced as a child of our run.
    """
    if run_manager is None:
        return RunnableConfig(tags=[TAG_NOSTREAM])
    manager_type = (
        AsyncCallbackManager
        if isinstance(run_manager, AsyncCallbackManagerForLLMRun)
        else CallbackManager
    )
    child = manager_type(handlers=[], parent_run_id=run_manager.run_id)
    child.set_handlers(run_manager.inheritable_handlers)
    child.add_tags([*run_manager.inheritable_tags, TAG_NOSTREAM])
    child.add_metadata(run_manager.inheritable_metadata)
    return RunnableConfig(callbacks=child)


def _tagged(message: BaseMessage, provider: str) -> Any:
    """A copy of ``message`` recording the provider that produced it."""
    metadata = {**message.response_metadata, LLM_METADATA_KEY: provider}
    return message.model_copy(update={"response_metadata": metadata})


async def _with_idle_timeout(
    stream: AsyncIterator[BaseMessage], timeout_secs: float
) -> AsyncIterator[BaseMessage]:
    while True:
        try:
            async with asyncio.timeout(timeout_secs):
                chunk = await anext(stream)
        except StopAsyncIteration:
            return
        yield chunk


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
