"""Operations settings: observability, capacity and reliability."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr


class OperationsSettings(BaseModel):
    """What the server reports, how many sessions it takes, and how it stops."""

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
    max_sessions_per_process: Annotated[int, Field(ge=0)] | Literal["auto"] = Field(
        default="auto",
        description="Live calls one server process takes; above it new calls are refused as "
        "busy (503 + Retry-After, WebSocket close 4503, a spoken apology on the phone). "
        "0 = no limit. auto: sized to the machine, per core this process may use (shared "
        "among SERVER_WORKERS): 1 call with the embedded Whisper or Piper, 6 with cloud "
        "STT and TTS (convonet.lifecycle.capacity). Measure your own hardware with "
        "`convonet bench concurrency --search [--speech embedded]`: one core kept calls "
        "unslowed up to 6-25 cloud-speech calls on the machines measured.",
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
    gc_freeze_at_start: bool = Field(
        default=True,
        description="Once the server is ready, exempt its start-up heap (models, graphs, "
        "tool schemas) from the garbage collector's full passes, which otherwise stop "
        "every call on the process for ~0.25 s a few times a minute under load.",
    )

    lean_frame_push: bool = Field(
        default=False,
        description="Push frames between pipecat processors without building the TRACE "
        "log message when nobody logs at TRACE, and without calling push event handlers "
        "nobody registered (a backport of pipecat PR #5184; on pipecat 1.14.0 only). Off: "
        "with it on, a quiet single call's turn sometimes ended only at smart-turn's "
        "silence limit (4 of 8 benchmark runs, 0 of 10 off), for a reason not yet found.",
    )

    lean_agent_callbacks: bool = Field(
        default=True,
        description="Report the end of each agent graph node and model call to LangChain "
        "callbacks at once when every handler is a plain function run inline (LangGraph's "
        "message streamer), instead of in a shielded task of its own: three event-loop "
        "turns less per report, which a loaded server pays in milliseconds each. Applied "
        "only to langchain-core 1.8.3's reports (checked by a hash of their source).",
    )

    # --- reliability: drain and tool processes (issue 13) -----------------------------------
    drain_grace_secs: float = Field(
        default=120.0,
        ge=0.0,
        description="On SIGTERM, how long live calls may carry on before they hear a goodbye "
        "and end (new calls are refused at once). Match Kubernetes' "
        "terminationGracePeriodSeconds to this plus ~15 s.",
    )
