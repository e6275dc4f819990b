"""Factories for the STT and TTS services a session asks for, with their fallbacks."""

from collections.abc import Callable
from typing import Any

from pipecat.processors.frame_processor import FrameProcessor
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService

from convonet.errors import ConfigurationError, UnknownProviderError
from convonet.services.embedded import SharedPiperTTSService, SharedWhisperSTTService
from convonet.services.failover import stt_with_fallback, tts_with_fallback
from convonet.services.models import EmbeddedModels
from convonet.services.speculative_stt import SpeculativeWhisperSTTService
from convonet.services.speech_http import SpeechHttp, build_deepgram_stt
from convonet.settings import Settings, SttProvider, TtsProvider

STT_PROVIDERS: tuple[SttProvider, ...] = ("whisper", "deepgram")
TTS_PROVIDERS: tuple[TtsProvider, ...] = ("piper", "deepgram", "elevenlabs", "cartesia")


def _key(settings: Settings, provider: str) -> str:
    secret = getattr(settings, f"{provider}_api_key")
    if secret is None:
        raise ConfigurationError(f"{provider} needs {provider.upper()}_API_KEY to be set")
    return str(secret.get_secret_value())


def check_stt(name: str, settings: Settings) -> SttProvider:
    """Validate an STT provider name against what is configured.

    Raises:
        UnknownProviderError: The name is unknown or the provider has no key.
    """
    if name not in STT_PROVIDERS:
        raise UnknownProviderError(f"unknown STT provider {name!r}; known: {STT_PROVIDERS}")
    if name != "whisper" and getattr(settings, f"{name}_api_key") is None:
        raise UnknownProviderError(f"STT provider {name!r} is not configured (no API key)")
    return name  # type: ignore[return-value]


def check_tts(name: str, settings: Settings) -> TtsProvider:
    """Validate a TTS provider name against what is configured.

    Raises:
        UnknownProviderError: The name is unknown or the provider has no key.
    """
    if name not in TTS_PROVIDERS:
        raise UnknownProviderError(f"unknown TTS provider {name!r}; known: {TTS_PROVIDERS}")
    if name != "piper" and getattr(settings, f"{name}_api_key") is None:
        raise UnknownProviderError(f"TTS provider {name!r} is not configured (no API key)")
    return name  # type: ignore[return-value]


def create_stt(
    provider: SttProvider,
    settings: Settings,
    models: EmbeddedModels,
    http: SpeechHttp | None = None,
) -> STTService:
    """Build the STT service for one session.

    Args:
        provider: Which provider to use.
        settings: Keys and URLs.
        models: The shared embedded models (for ``whisper``).
        http: The process's shared HTTP client (for ``deepgram``); without it the service
            makes its own, which costs ~20-45 ms of CPU (a new SSL context) per call.

    Returns:
        A fresh pipecat STT service.
    """
    if provider == "whisper":
        whisper: dict[str, Any] = {
            "model": models.whisper,
            "model_path": str(settings.resolved_whisper_model_path),
            "beam_size": settings.whisper_beam_size,
            "fit_context": settings.whisper_fit_context,
            # The turn strategies' safety net when no transcript comes (Whisper transcripts
            # are final, so it is never waited out otherwise). Tiny.en takes up to ~0.8 s
            # after the end of speech on a loaded 2-core machine; a shorter net could end
            # a turn before the transcript of its last words arrives.
            "ttfs_p99_latency": 1.5,
        }
        if settings.speculative_stt:
            return SpeculativeWhisperSTTService(
                quiet_secs=settings.speculative_stt_quiet_secs,
                confirm_secs=settings.turn_confirm_secs,
                enable_eager_end_of_turn=settings.prepare_reply,
                confirm_on_verdict=settings.turn_confirm_by_agent,
                **whisper,
            )
        return SharedWhisperSTTService(**whisper)
    if provider == "deepgram":
        return build_deepgram_stt(
            http,
            api_key=_key(settings, "deepgram"),
            base_url=settings.deepgram_stt_url,
            send_secs=settings.stt_send_chunk_secs,
        )
    raise UnknownProviderError(f"unknown STT provider {provider!r}")


def create_tts(
    provider: TtsProvider, settings: Settings, models: EmbeddedModels, voice: str | None = None
) -> TTSService:
    """Build the TTS service for one session.

    Args:
        provider: Which provider to use.
        settings: Keys, URLs and default voices.
        models: The shared embedded models (for ``piper``).
        voice: A provider-specific voice id overriding the configured default.

    Returns:
        A fresh pipecat TTS service.
    """
    if provider == "piper":
        return SharedPiperTTSService(
            voice=models.piper,
            voice_name=settings.piper_voice,
            first_clause=settings.tts_first_clause,
        )
    if provider == "deepgram":
        from pipecat.services.deepgram.tts import DeepgramTTSService

        deepgram_voice = voice or settings.deepgram_tts_voice
        # Deepgram's voice *is* its model (aura-2-...); say so, or metrics name no model.
        return DeepgramTTSService(
            api_key=_key(settings, "deepgram"),
            base_url=settings.deepgram_tts_url,
            settings=DeepgramTTSService.Settings(model=deepgram_voice, voice=deepgram_voice),
        )
    if provider == "elevenlabs":
        from pipecat.services.elevenlabs.tts import ElevenLabsTTSService

        return ElevenLabsTTSService(
            api_key=_key(settings, "elevenlabs"),
            url=settings.elevenlabs_url,
            settings=ElevenLabsTTSService.Settings(voice=voice or settings.elevenlabs_voice_id),
        )
    if provider == "cartesia":
        from pipecat.services.cartesia.tts import CartesiaTTSService

        return CartesiaTTSService(
            api_key=_key(settings, "cartesia"),
            url=settings.cartesia_url,
            settings=CartesiaTTSService.Settings(voice=voice or settings.cartesia_voice_id),
        )
    raise UnknownProviderError(f"unknown TTS provider {provider!r}")


# Called with (kind, from, to) when a call's fallback takes over (metrics).
FallbackListener = Callable[[str, str, str], None]


def create_call_stt(
    provider: SttProvider,
    settings: Settings,
    models: EmbeddedModels,
    on_fallback: FallbackListener | None = None,
    http: SpeechHttp | None = None,
) -> FrameProcessor:
    """The STT of one call: ``provider``, switching to ``STT_FALLBACK`` if it dies.

    ``http`` is the process's shared HTTP client (see :func:`create_stt`).

    Returns:
        The provider's service alone when no (other) fallback is configured.
    """
    stt = create_stt(provider, settings, models, http)
    fallback = settings.stt_fallback
    if fallback is None or fallback == provider:
        return stt
    return stt_with_fallback(
        stt,
        create_stt(fallback, settings, models, http),
        lambda: on_fallback("stt", provider, fallback) if on_fallback else None,
    )


def create_call_tts(
    provider: TtsProvider,
    settings: Settings,
    models: EmbeddedModels,
    voice: str | None = None,
    on_fallback: FallbackListener | None = None,
) -> FrameProcessor:
    """The TTS of one call: ``provider``, switching to ``TTS_FALLBACK`` if it dies or stalls.

    The fallback speaks in its own configured voice (``voice`` is the primary's voice id).

    Returns:
        The provider's service alone when no (other) fallback is configured.
    """
    tts = create_tts(provider, settings, models, voice=voice)
    fallback = settings.tts_fallback
    if fallback is None or fallback == provider:
        return tts
    return tts_with_fallback(
        tts,
        create_tts(fallback, settings, models),
        lambda: on_fallback("tts", provider, fallback) if on_fallback else None,
        settings.tts_stall_secs,
    )
