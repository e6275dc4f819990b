"""Telephony settings: Twilio and the transfer to a person."""

from pydantic import BaseModel, Field, SecretStr


class TelephonySettings(BaseModel):
    """Phone calls through Twilio and transfers to the PBX."""

    # --- telephony ----------------------------------------------------------------------
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None

    # --- transfer to a person (issue 9) -------------------------------------------------
    transfer_context_ttl_secs: float = Field(
        default=3600.0,
        gt=0,
        description="How long the caller's context for the agent "
        "(callcenter:customer:{extension}:{call_sid}) is kept in Redis.",
    )
    fusionpbx_sip_domain: str | None = Field(
        default=None,
        description="SIP domain of the PBX the agents' extensions live on (phone transfers "
        "dial sip:{extension}@{domain}); unset = phone transfers are refused.",
    )
    transfer_timeout_secs: int = Field(
        default=30, ge=5, le=600, description="How long an agent's extension rings."
    )
    twilio_api_base_url: str = Field(
        default="https://api.twilio.com",
        description="Twilio REST API base URL; every Twilio REST request the server makes "
        "(transfers, pipecat's hang-up) goes here (tests point it at a local fake).",
    )
    twilio_caller_id: str | None = Field(
        default=None, description="Caller id (E.164) for calls the server places."
    )

    @property
    def twilio_signatures_required(self) -> bool:
        """Whether Twilio webhooks and stream upgrades must carry a valid signature."""
        return self.twilio_auth_token is not None
