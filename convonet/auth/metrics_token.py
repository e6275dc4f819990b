"""``/metrics`` access: open unless ``METRICS_TOKEN`` is set, then a bearer token is needed."""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from convonet.api.deps import SettingsDep

_bearer = HTTPBearer(auto_error=False)


async def require_metrics_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Admit scrapers presenting ``METRICS_TOKEN`` (everyone when it is unset).

    Raises:
        HTTPException: 401 without the right token.
    """
    if settings.metrics_token is None:
        return
    expected = settings.metrics_token.get_secret_value().encode()
    given = credentials.credentials.encode() if credentials is not None else b""
    if not hmac.compare_digest(given, expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "metrics need the METRICS_TOKEN bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


MetricsAccess = Depends(require_metrics_token)
