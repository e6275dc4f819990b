"""Sentry: SDK start-up, sampling and scrubbing (the turn listeners are in ``sentry_turns``).

Nothing happens unless ``SENTRY_DSN`` is set: :func:`init_sentry` (called by ``create_app``)
starts the SDK with the FastAPI/Starlette and Loguru integrations, so unhandled request
errors and ``logger.exception``/``logger.error`` records become Sentry events.

Calls and text turns are reported by the listeners of
:mod:`convonet.observability.sentry_turns`.

Privacy: user context is the user id only; no names, PINs, transcripts or agent text are
sent; request bodies and query strings are never attached. Health checks and ``/metrics``
scrapes are never traced.
"""

from collections.abc import Callable
from typing import Any

import sentry_sdk
from loguru import logger
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.loguru import LoguruIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration

from convonet import __version__
from convonet.settings import Settings

UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def init_sentry(settings: Settings) -> bool:
    """Start the Sentry SDK if ``SENTRY_DSN`` is set.

    Args:
        settings: The app's settings.

    Returns:
        Whether Sentry was started.
    """
    if settings.sentry_dsn is None:
        return False
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.sentry_environment or settings.environment,
        release=f"convonet@{__version__}",
        traces_sampler=_sampler(settings.sentry_traces_sample_rate),
        send_default_pii=False,
        max_request_body_size="never",
        trace_propagation_targets=[],  # no tracing headers to LLM or speech providers
        auto_enabling_integrations=False,
        integrations=[StarletteIntegration(), FastApiIntegration(), LoguruIntegration()],
        before_send=_scrub,
        before_send_transaction=_scrub,
    )
    logger.info("Sentry reporting is on")
    return True


def _sampler(rate: float) -> Callable[[dict[str, Any]], float]:
    """Sample calls and requests at ``rate``; never health checks and metric scrapes."""

    def sample(context: dict[str, Any]) -> float:
        path = (context.get("asgi_scope") or {}).get("path")
        if path in UNTRACED_PATHS:
            return 0.0
        parent = context.get("parent_sampled")
        return rate if parent is None else float(parent)

    return sample


def shutdown_sentry(timeout_secs: float = 2.0) -> None:
    """Send what is queued and stop the SDK (app shutdown)."""
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=timeout_secs)


def sentry_active(settings: Settings) -> bool:
    """Whether this app reports to Sentry (its DSN is set and the SDK is running)."""
    return settings.sentry_dsn is not None and sentry_sdk.get_client().is_active()


def _scrub(event: Any, _hint: Any) -> Any:
    """Drop query strings (single-use tokens), cookies and bodies from request data."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("query_string", "cookies", "data"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    return event
