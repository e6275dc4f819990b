"""Agent settings: the LLM providers, their fallback chain and the agent's limits."""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import NoDecode

LlmName = Literal["offline", "claude", "openai", "gemini", "openai-compatible"]
DEFAULT_LLM_CHAIN: tuple[LlmName, ...] = ("claude", "openai", "gemini", "offline")


class AgentSettings(BaseModel):
    """Which LLMs answer, in which order, and how long a turn or tool may take."""

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

    # --- agent limits -------------------------------------------------------------------
    tool_timeout_secs: float = Field(default=8.0, gt=0, description="Upper bound on one tool call.")
    agent_turn_timeout_secs: float = Field(
        default=10.0, gt=0, description="Upper bound on one agent turn (all model and tool calls)."
    )
    tools_enabled: bool = Field(
        default=True, description="Start the MCP tool servers (off: general agent only)."
    )
    domain_paths: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Extra directories of domain packages (each subdirectory with a DOMAIN "
        "descriptor), beside convonet/domains. Comma-separated or a JSON list.",
    )
