"""A small SuiteCRM 8 client: OAuth2 client credentials and the JSON:API v8 module endpoints.

There is no maintained SuiteCRM SDK on PyPI, so this speaks the documented API with httpx:

* ``POST {url}/Api/access_token`` (form: ``grant_type=client_credentials``, ``client_id``,
  ``client_secret``) → ``{"token_type": "Bearer", "expires_in": ..., "access_token": ...}``;
* ``POST {url}/Api/V8/module`` with ``{"data": {"type": module, "id": id, "attributes": {...}}}``
  creates a record with the id we chose (SuiteCRM answers 400 "... is already exist" when
  that id exists);
* ``PATCH {url}/Api/V8/module`` with the same document updates it.

Errors come back as ``{"errors": {"status", "title", "detail"}}`` (the OAuth2 server's as
``{"error", "error_description", "message"}``). They are sorted for the outbox: a 401 on the
API gets one fresh token and one more try; 401 at the token endpoint, 408, 429, 5xx,
timeouts and connection failures are :class:`CrmUnavailableError` (retry later); any other
4xx is :class:`CrmRejectedError` (the change itself is wrong: retrying cannot help).
"""

from typing import Any, Literal

import httpx

from convonet.errors import CrmRejectedError, CrmUnavailableError
from convonet.settings import Settings

JSON_API = "application/vnd.api+json"
RETRYABLE = frozenset({401, 408, 425, 429})
MAX_REASON = 500
Method = Literal["POST", "PATCH"]


def reason(response: httpx.Response) -> str:
    """A short readable reason from a SuiteCRM error answer."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:200]}"
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors:
        errors = errors[0]
    if isinstance(errors, dict):
        text = errors.get("detail") or errors.get("title") or ""
    elif isinstance(body, dict):
        text = body.get("error_description") or body.get("message") or body.get("error") or ""
    else:
        text = ""
    return f"{response.status_code}: {text or response.reason_phrase}"[:MAX_REASON]


class SuiteCrmClient:
    """Creates and updates SuiteCRM records; keeps one access token until it is refused."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        """Create the client from the ``SUITECRM_*`` settings (sync must be configured).

        Raises:
            ValueError: CRM sync is not configured.
        """
        if not settings.crm_enabled:
            raise ValueError(
                "SUITECRM_URL, SUITECRM_CLIENT_ID and SUITECRM_CLIENT_SECRET are unset"
            )
        assert settings.suitecrm_url and settings.suitecrm_client_secret  # crm_enabled
        self._base = settings.suitecrm_url.rstrip("/")
        self._client_id = settings.suitecrm_client_id or ""
        self._secret = settings.suitecrm_client_secret.get_secret_value()
        self._http = http or httpx.AsyncClient(timeout=settings.crm_timeout_secs)
        self._token: str | None = None

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def _fetch_token(self) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret,
        }
        response = await self._send("POST", "/Api/access_token", data=form)
        if response.status_code != 200:
            # Wrong credentials are an operator's fix, not the change's fault: keep retrying.
            raise CrmUnavailableError(f"token refused: {reason(response)}")
        try:
            token = response.json()["access_token"]
        except (ValueError, KeyError, TypeError):
            raise CrmUnavailableError("the token answer has no access_token") from None
        self._token = str(token)
        return self._token

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, self._base + path, **kwargs)
        except httpx.TimeoutException as error:
            raise CrmUnavailableError(f"timed out: {type(error).__name__}") from error
        except httpx.TransportError as error:
            raise CrmUnavailableError(f"unreachable: {type(error).__name__}: {error}") from error

    async def _module(self, method: Method, document: dict[str, Any]) -> httpx.Response:
        """Send a module request, with one fresh token if the current one is refused."""
        for fresh in (False, True):
            token = self._token if self._token and not fresh else await self._fetch_token()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": JSON_API}
            response = await self._send(method, "/Api/V8/module", json=document, headers=headers)
            if response.status_code != 401:
                return response
            self._token = None
        return response

    async def upsert(self, module: str, record_id: str, attributes: dict[str, Any]) -> str:
        """Make record ``record_id`` of ``module`` carry ``attributes`` (create or update).

        Returns:
            ``"created"`` or ``"updated"``.

        Raises:
            CrmRejectedError: The CRM refused the record (4xx other than 401/408/429).
            CrmUnavailableError: Down, slow, throttling or refusing our credentials.
        """
        document = {"data": {"type": module, "id": record_id, "attributes": attributes}}
        created = await self._module("POST", document)
        if created.is_success:
            return "created"
        # A retried create whose first answer was lost: the record is there, update it.
        if created.status_code == 400 and "already exist" in created.text:
            self._check(await self._module("PATCH", document))
            return "updated"
        self._check(created)
        return "created"  # not reached: _check raised

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.is_success:
            return
        if response.status_code in RETRYABLE or response.status_code >= 500:
            raise CrmUnavailableError(reason(response))
        raise CrmRejectedError(reason(response))
