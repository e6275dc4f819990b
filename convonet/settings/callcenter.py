"""Call-center settings: agents' wrap-up and the SIP server their softphones register to."""

from pydantic import BaseModel, Field


class CallCenterSettings(BaseModel):
    """The call-center dashboard's timers and SIP endpoints."""

    # --- call-center dashboard (issue 10) ----------------------------------------------
    call_center_wrap_up_secs: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long an agent stays in wrap-up after a call before the server makes "
        "them ready again.",
    )
    sip_domain: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="SIP domain the agents' softphones register to (the development "
        "Kamailio on loopback, or the FusionPBX domain).",
    )
    sip_ws_port: int = Field(
        default=5066, ge=1, le=65535, description="SIP over plain WebSocket port (ws://)."
    )
    sip_port: int = Field(
        default=5060, ge=1, le=65535, description="UDP/TCP SIP port of `convonet sip-server`."
    )
    sip_wss_port: int = Field(
        default=7443, ge=1, le=65535, description="SIP over secure WebSocket port (wss://)."
    )
    sip_ws_secure: bool | None = Field(
        default=None,
        description="Softphones use wss:// (true) or ws:// (false); unset = wss:// in "
        "production only.",
    )
