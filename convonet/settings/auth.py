"""Authentication settings: JWTs, PIN sign-in and its lockouts."""

from typing import Annotated

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import NoDecode


class AuthSettings(BaseModel):
    """Dashboard/REST tokens and the voice PIN rules."""

    # --- authentication -----------------------------------------------------------------
    # Never None after validation (_resolve_secrets fills it), hence the ignore.
    jwt_secret: SecretStr = Field(  # type: ignore[assignment]
        default=None,
        validate_default=False,  # filled by _resolve_secrets
        description="HS256 key for dashboard/REST JWTs (32+ characters). Required in "
        "production; elsewhere generated once into data_dir/secrets when unset.",
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
    auth_pin_only_budget: int = Field(
        default=30,
        ge=1,
        description="Failed PIN-only sign-ins (no email/phone) allowed across all addresses "
        "per window before PIN-only sign-in pauses; PINs under 6 digits count double.",
    )
    active_user_cache_secs: float = Field(
        default=5.0, ge=0, description="How long a user's active status is cached per process."
    )
