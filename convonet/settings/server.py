"""Server, HTTP hardening and session settings."""

from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import NoDecode


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("convonet", appauthor=False))


class ServerSettings(BaseModel):
    """Where the server listens, what it trusts, and how long sessions live."""

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

    # --- HTTP hardening -----------------------------------------------------------------
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxies (IPs/CIDRs, or *) whose X-Forwarded-For/-Proto are trusted; "
        "none when empty. Comma list or JSON.",
    )
    forwarded_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts an X-Forwarded-Host may name for ws_url and TwiML URLs; the header "
        "is ignored when empty. Comma list or JSON.",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra browser origins (https://app.example.com) allowed to open /ws "
        "besides the server's own. Comma list or JSON.",
    )
    max_request_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Larger HTTP request bodies get 413."
    )
    max_json_depth: int = Field(
        default=32, ge=4, le=200, description="Deeper nesting in a JSON body gets 422."
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="When set, GET /metrics needs Authorization: Bearer <it>."
    )

    # --- sessions -----------------------------------------------------------------------
    default_bot: str = "assistant"
    default_llm: str | None = Field(
        default=None, description="LLM used when a session names none; offline when unset."
    )
    max_ws_message_bytes: int = Field(default=256 * 1024, ge=1024)
    ws_compression: bool = Field(
        default=False,
        description="Accept permessage-deflate on the server's websockets (browsers offer "
        "it). Off: call audio barely compresses and deflating it costs the server CPU.",
    )
    greeting_grace_secs: float = Field(
        default=0.6,
        ge=0.0,
        le=1.5,
        description="How long /ws waits for RTVI client-ready before greeting anyway.",
    )
    session_idle_timeout_secs: float = 300.0
    session_token_ttl_secs: int = 60
