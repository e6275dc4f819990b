"""What kind of failure a provider call raised: the fallback chain's decision table.

Transient failures (timeouts, dropped connections, HTTP 5xx, HTTP 429) move a request down the
chain; client failures (a rejected key, a bad request) are configuration bugs that fallback
would hide (see :mod:`convonet.agents.fallback`).
"""

from typing import Literal

import aiohttp
import httpx
from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

FailureKind = Literal["timeout", "connection", "rate_limit", "server", "auth", "client", "other"]
TRANSIENT_FAILURES: frozenset[FailureKind] = frozenset(
    {"timeout", "connection", "rate_limit", "server"}
)
CLIENT_FAILURES: frozenset[FailureKind] = frozenset({"auth", "client"})


def classify_failure(error: BaseException) -> FailureKind:
    """Say what kind of failure a provider call raised.

    The error and its explicit causes (``raise ... from``) are examined outermost first;
    LangChain's standard ``ModelError`` types, HTTP status codes carried by SDK errors and
    transport errors (httpx, aiohttp, sockets) are recognised.

    Args:
        error: What the provider's chat model raised.

    Returns:
        The failure kind; ``"other"`` when nothing is recognised.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = _classify_one(current)
        if kind is not None:
            return kind
        current = current.__cause__
    return "other"


def _classify_one(error: BaseException) -> FailureKind | None:
    if isinstance(error, TimeoutError | ModelTimeoutError | httpx.TimeoutException) or type(
        error
    ).__name__.endswith("TimeoutError"):
        return "timeout"
    status = _http_status(error)
    if status is not None:
        if status == 429:
            return "rate_limit"
        if status >= 500:
            return "server"
        if status in (401, 403):
            return "auth"
        return "timeout" if status == 408 else "client"
    if isinstance(error, ModelRateLimitError):
        return "rate_limit"
    if isinstance(error, ModelAPIError):
        return "server"
    if isinstance(error, ModelAuthenticationError | ModelPermissionDeniedError):
        return "auth"
    if isinstance(error, ModelConnectionError | httpx.TransportError | aiohttp.ClientError):
        return "connection"
    if isinstance(error, ConnectionError) or type(error).__name__.endswith("ConnectionError"):
        return "connection"  # also the SDKs' own APIConnectionError, when not wrapped
    return "client" if isinstance(error, ModelError) else None


def _http_status(error: BaseException) -> int | None:
    """The HTTP status an SDK error carries (``status_code``, or google-genai's ``code``)."""
    response = getattr(error, "response", None)
    candidates = (
        getattr(error, "status_code", None),
        getattr(error, "code", None),
        getattr(error, "status", None),
        getattr(response, "status_code", None) if isinstance(error, httpx.HTTPError) else None,
    )
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and 400 <= value <= 599:
            return value
    return None
