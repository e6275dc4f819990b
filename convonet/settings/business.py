"""Business-surface settings: the mortgage dashboard and CRM sync."""

from pydantic import BaseModel, Field, SecretStr


class BusinessSettings(BaseModel):
    """Figures the business dashboards assume, and the CRM the business records sync to."""

    # --- business surfaces: mortgage dashboard and CRM sync (issue 14) --------------------
    mortgage_default_rate: float = Field(
        default=6.5,
        ge=0.0,
        le=25.0,
        description="Annual rate (percent) the mortgage dashboard's payment and affordability "
        "estimates assume.",
    )
    suitecrm_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="SuiteCRM 8 base URL (the one serving /Api/access_token and /Api/V8); "
        "CRM sync is off when unset.",
    )
    suitecrm_client_id: str | None = Field(
        default=None, description="OAuth2 client id of a SuiteCRM client-credentials client."
    )
    suitecrm_client_secret: SecretStr | None = Field(
        default=None, description="That client's secret."
    )
    crm_timeout_secs: float = Field(
        default=10.0, gt=0, description="Upper bound on one SuiteCRM HTTP request."
    )
    crm_poll_secs: float = Field(
        default=2.0, gt=0, description="How often the CRM outbox worker looks for due rows."
    )
    crm_backoff_secs: float = Field(
        default=5.0,
        gt=0,
        description="First retry delay of a CRM outbox row; doubles per attempt.",
    )
    crm_backoff_max_secs: float = Field(
        default=3600.0, gt=0, description="Longest delay between two attempts of one row."
    )

    @property
    def crm_enabled(self) -> bool:
        """Whether CRM sync is configured (URL, client id and secret)."""
        return bool(self.suitecrm_url and self.suitecrm_client_id and self.suitecrm_client_secret)
