"""The one place a call's pipeline is assembled; every transport and the CLI use it.

transport.input → [bridge in] → STT → transfer phrases → user aggregator (Silero VAD +
  smart-turn or speech-timeout turn stop) → caller audio ends → LangGraphProcessor →
  transfer events → TTS → [bridge out] → transport.output → bot audio ends → assistant
  aggregator

A caller asking for a person ("a real person", "operator", ...) starts the transfer at the
phrase detector without an LLM round trip; the agent's ``transfer_to_agent`` tool starts the
same transfer. Either way each change of the call's transfer reaches the client as an RTVI
message through the transfer-events processor. A browser caller (``/ws``, WebRTC) has the
bridge ends: once a human agent answers, audio flows between the caller and the agent's
Twilio stream and the bot is muted until the agent hangs up.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from loguru import logger
from pipecat.frames.frames import EndFrame, TTSSpeakFrame
from pipecat.observers.base_observer import BaseObserver
from pipecat.observers.user_bot_latency_observer import UserBotLatencyObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService
from pipecat.transports.base_transport import BaseTransport
from pipecat.workers.runner import WorkerRunner

from convonet.agents.graph import AgentGraph
from convonet.observability.listeners import turn_listeners
from convonet.observability.sentry import sentry_active
from convonet.pipeline_worker import LeanPipelineWorker
from convonet.processors.bridge import BridgeInputProcessor, BridgeOutputProcessor
from convonet.processors.caller_audio_end import BotAudioEnd, CallerAudioEnd
from convonet.processors.langgraph_processor import LangGraphProcessor
from convonet.processors.transfer_events import TransferEventsProcessor
from convonet.processors.transfer_phrases import TransferPhraseProcessor
from convonet.runtime import Runtime
from convonet.services.speech import create_call_stt, create_call_tts
from convonet.services.turn_taking import shed_policy, user_turn_strategies
from convonet.services.vad import create_vad_analyzer
from convonet.session import CallSession
from convonet.transfer.bridge import AudioBridge
from convonet.transfer.browser import BrowserLeg
from convonet.transfer.call import CallTransfer, Leg
from convonet.transfer.service import call_transfer_starter
from convonet.transfer.summary import summarizer
from convonet.turns.voice import VoiceTurnTracker


@dataclass
class VoicePipeline:
    """A built, not yet running, call pipeline.

    Attributes:
        session: The call it serves.
        worker: Pipecat's worker running the pipeline.
        context: The conversation as pipecat keeps it (only what was actually spoken).
        latency: Pipecat's user→bot latency observer.
        greeting: What the bot says first.
        transfer: The call's side of its transfer to a person.
        bridge: The audio bridge to a human agent (browser callers only).
    """

    session: CallSession
    worker: PipelineWorker
    context: LLMContext
    latency: UserBotLatencyObserver
    greeting: str
    transfer: CallTransfer | None = None
    bridge: AudioBridge | None = None
    _greeted: bool = False
    _timers: list[asyncio.Task[None]] = field(default_factory=list)

    async def greet(self) -> None:
        """Speak the greeting once (later calls do nothing)."""
        if self._greeted:
            return
        self._greeted = True
        await self.worker.queue_frames([TTSSpeakFrame(self.greeting)])

    def greet_after(self, delay_secs: float) -> None:
        """Greet after ``delay_secs`` unless something greeted already."""

        async def later() -> None:
            await asyncio.sleep(delay_secs)
            await self.greet()

        self._timers.append(asyncio.create_task(later()))

    async def end_with(self, farewell: str) -> None:
        """Say ``farewell`` and end the call once it has been spoken (server shutdown).

        The ``EndFrame`` follows the speech down the pipeline, so the output transport plays
        the farewell out before the call closes.
        """
        await self.worker.queue_frames([TTSSpeakFrame(farewell), EndFrame()])

    def handle_call_events(self, transport: BaseTransport, greet_delay_secs: float) -> None:
        """Greet when the caller is ready and end the call when they hang up.

        Args:
            transport: The call's transport (its connect/disconnect events are used).
            greet_delay_secs: Greet this long after connecting unless RTVI ``client-ready``
                came first (clients without RTVI, such as pipecat's Python client, never
                send it); 0 greets at once (phones).
        """

        @self.worker.rtvi.event_handler("on_client_ready")
        async def on_client_ready(_rtvi: object) -> None:
            await self.greet()

        @transport.event_handler("on_client_connected")
        async def on_connected(_transport: object, _client: object) -> None:
            if greet_delay_secs > 0:
                self.greet_after(greet_delay_secs)
            else:
                await self.greet()

        @transport.event_handler("on_client_disconnected")
        async def on_disconnected(_transport: object, _client: object) -> None:
            logger.info(f"session {self.session.session_id}: caller disconnected")
            await self.worker.cancel()

    async def run(self) -> None:
        """Run the pipeline until it ends, is cancelled, or the caller hangs up."""
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(self.worker)
        try:
            await runner.run()
        finally:
            for timer in self._timers:
                timer.cancel()
            if self.bridge is not None:  # an agent still talking to nobody
                await asyncio.shield(self.bridge.close())
            if self.transfer is not None:  # an agent's phone still ringing for nobody
                await asyncio.shield(self.transfer.caller_left())


def _user_params(runtime: Runtime) -> LLMUserAggregatorParams:
    settings = runtime.settings
    vad = create_vad_analyzer(settings)
    live = runtime.live
    policy = shed_policy(
        settings, runtime.loop_lag, lambda: len(live), runtime.metrics.turn_verdict
    )
    strategies = user_turn_strategies(settings, runtime.models, policy)
    return LLMUserAggregatorParams(vad_analyzer=vad, user_turn_strategies=strategies)


def _call_transfer(
    runtime: Runtime,
    session: CallSession,
    context: LLMContext,
    leg: Leg | None,
    say: Callable[[str], Awaitable[None]],
) -> CallTransfer:
    """The call's side of a transfer to a person (it reads the conversation from ``context``)."""
    settings = runtime.settings
    return CallTransfer(
        runtime.db,
        runtime.store,
        session,
        context.get_messages,
        context_ttl_secs=settings.transfer_context_ttl_secs,
        leg=leg,
        say=say,
        crm=settings.crm_enabled,
        summarize=summarizer(settings, session.llm),
    )


@dataclass(frozen=True)
class _Parts:
    """What a call's processors are built from, besides the session and the runtime."""

    transport: BaseTransport
    context: LLMContext
    transfer: CallTransfer
    bridge: AudioBridge | None
    stt: STTService | None
    tts: TTSService | None
    agent_graph: AgentGraph | None


def _processors(session: CallSession, runtime: Runtime, parts: _Parts) -> list[FrameProcessor]:
    """The call's processors, in pipeline order (see the module docstring)."""
    settings = runtime.settings

    def on_fallback(kind: str, provider: str, fallback: str) -> None:
        logger.warning(
            f"session {session.session_id}: {kind} {provider} failed; {fallback} took over"
        )
        runtime.metrics.speech_fallbacks.labels(kind, provider, fallback).inc()

    user_aggregator, assistant_aggregator = LLMContextAggregatorPair(
        parts.context, user_params=_user_params(runtime)
    )
    stt = parts.stt or create_call_stt(
        session.stt, settings, runtime.models, on_fallback, runtime.speech_http
    )
    tts = parts.tts or create_call_tts(
        session.tts, settings, runtime.models, session.bot.voice, on_fallback
    )
    start_transfer = call_transfer_starter(
        runtime.db, runtime.store, session.session_id, session.user_id
    )
    agent = LangGraphProcessor(
        parts.agent_graph or runtime.agents.graph(session.llm),
        session.agent_context(),
        turn_timeout_secs=settings.agent_turn_timeout_secs,
    )
    transfer_events = TransferEventsProcessor(
        runtime.transfer_events, session.session_id, on_change=parts.transfer.changed
    )
    bridge = parts.bridge
    return [
        parts.transport.input(),
        *([BridgeInputProcessor(bridge)] if bridge else []),
        stt,
        TransferPhraseProcessor(start_transfer, parts.context),
        user_aggregator,
        CallerAudioEnd(),
        agent,
        transfer_events,
        tts,
        *([BridgeOutputProcessor(bridge)] if bridge else []),
        parts.transport.output(),
        BotAudioEnd(),
        assistant_aggregator,
    ]


def build_pipeline(
    transport: BaseTransport,
    session: CallSession,
    runtime: Runtime,
    *,
    audio_in_sample_rate: int = 16000,
    audio_out_sample_rate: int = 24000,
    observers: Sequence[BaseObserver] = (),
    stt: STTService | None = None,
    tts: TTSService | None = None,
    agent_graph: AgentGraph | None = None,
    leg: Leg | None = None,
    history: Sequence[dict[str, str]] = (),
) -> VoicePipeline:
    """Assemble the voice pipeline for one call.

    Args:
        transport: The call's pipecat transport.
        session: Who is calling, with which bot, LLM and speech providers.
        runtime: Shared process services (models, agents, settings).
        audio_in_sample_rate: Rate the pipeline works at on input.
        audio_out_sample_rate: Rate of the audio sent to the caller.
        observers: Extra observers (benchmarks).
        stt: An STT service to use instead of the session's provider (benchmarks).
        tts: A TTS service to use instead of the session's provider (benchmarks).
        agent_graph: An agent graph to use instead of the session LLM's (benchmarks).
        leg: How a transfer reaches an agent from this call (a
            :class:`~convonet.transfer.browser.BrowserLeg` adds the audio bridge).
        history: The conversation so far (a phone call back from a failed transfer).

    Returns:
        The built pipeline; call :meth:`VoicePipeline.run` to start it.
    """
    context = LLMContext(messages=list(history))  # type: ignore[arg-type]

    async def say(text: str) -> None:  # the worker exists by the time anything speaks
        await worker.queue_frames([TTSSpeakFrame(text)])

    transfer = _call_transfer(runtime, session, context, leg, say)
    bridge = AudioBridge(say) if isinstance(leg, BrowserLeg) else None
    parts = _Parts(transport, context, transfer, bridge, stt, tts, agent_graph)
    latency = UserBotLatencyObserver()
    # The call's turns go to the Agent Monitor, Prometheus and Sentry (opened in this context).
    sentry = sentry_active(runtime.settings)
    listeners = turn_listeners(runtime.monitor, runtime.metrics, sentry=sentry, call=session)
    worker = LeanPipelineWorker(
        Pipeline(_processors(session, runtime, parts)),
        params=PipelineParams(
            audio_in_sample_rate=audio_in_sample_rate,
            audio_out_sample_rate=audio_out_sample_rate,
            enable_metrics=True,
        ),
        observers=[latency, VoiceTurnTracker(session, listeners), *observers],
        idle_timeout_secs=runtime.settings.session_idle_timeout_secs,
        conversation_id=session.session_id,
    )
    voice = VoicePipeline(
        session,
        worker,
        context,
        latency,
        session.bot.greeting_for(session.user_name),
        transfer=transfer,
        bridge=bridge,
    )

    @latency.event_handler("on_latency_measured")
    async def on_latency(_observer: UserBotLatencyObserver, seconds: float) -> None:
        logger.info(f"session {session.session_id}: voice-to-voice {seconds * 1000:.0f} ms")

    return voice
