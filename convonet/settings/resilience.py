"""Resilience settings: how Redis, the database and the speech providers fail over."""

from pydantic import BaseModel, Field

from convonet.settings.voice import SttProvider, TtsProvider


class ResilienceSettings(BaseModel):
    """Timeouts and retries of the stores, the monitor's buffer and the speech fallbacks."""

    # --- reliability: outages of Redis, the database and providers (issue 13) ------------
    redis_timeout_secs: float = Field(
        default=2.0,
        gt=0,
        description="Connect and read timeout of every Redis command: during an outage a "
        "request fails fast (503 with a reason) instead of hanging.",
    )
    redis_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries (with a short exponential backoff) of a Redis command whose "
        "connection dropped; the pool reconnects by itself once Redis is back.",
    )
    redis_health_check_secs: float = Field(
        default=5.0,
        ge=0,
        description="An idle pooled Redis connection is PINGed before reuse after this long "
        "(0 = never), so a connection that died in an outage is replaced, not used.",
    )
    database_connect_timeout_secs: float = Field(
        default=3.0,
        gt=0,
        description="Longest wait for a new PostgreSQL connection (and for a free pooled "
        "one): during an outage a request fails fast instead of hanging.",
    )
    monitor_buffer_max: int = Field(
        default=10_000,
        ge=1,
        description="Agent Monitor records kept in memory while Redis is unreachable (written "
        "once it is back); beyond it the oldest are dropped and counted.",
    )
    stt_fallback: SttProvider | None = Field(
        default=None,
        description="STT a call switches to when its cloud STT dies mid-call (whisper = the "
        "embedded model); no fallback when unset.",
    )
    tts_fallback: TtsProvider | None = Field(
        default=None,
        description="TTS a call switches to when its cloud TTS dies or stalls mid-call "
        "(piper = the embedded voice); no fallback when unset.",
    )
    tts_stall_secs: float = Field(
        default=3.0,
        gt=0,
        description="With a TTS fallback: a cloud TTS that sends no audio this long after "
        "being asked to speak counts as dead and the fallback speaks instead.",
    )
