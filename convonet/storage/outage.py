"""Outages of Redis or the database: recognised, and answered with a reason instead of a 500.

When Redis or PostgreSQL stops answering, the errors that reach a request are connection
errors of three libraries: redis-py (``ConnectionError``, ``TimeoutError``), SQLAlchemy
(``OperationalError``, ``InterfaceError``, the pool's ``TimeoutError``) and the sockets under
asyncpg (``OSError``: refused, reset, timed out). :func:`outage_of` tells which store an error
means is down; :func:`install_outage_handlers` turns each into HTTP 503 with ``Retry-After``
and a reason (never a 500 with a stack trace), and the tool framework turns a database
outage into :data:`DATA_UNAVAILABLE`, which the caller hears.
"""

from collections.abc import Callable
from typing import Literal

from fastapi import FastAPI, Request
from loguru import logger
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.responses import Response

from convonet.security.errors import SafeJSONResponse

Store = Literal["redis", "database"]

# Spoken (and returned by a tool) when a tool cannot reach the database.
DATA_UNAVAILABLE = (
    "I can't reach your records right now, so nothing was read or changed. "
    "Please try again in a minute."
)
RETRY_AFTER_SECS = 5
REASONS: dict[Store, str] = {
    "redis": "the session store (Redis) is unavailable right now; try again in a few seconds",
    "database": "the database is unavailable right now; try again in a few seconds",
}
REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError)
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError, OSError)


def outage_of(error: BaseException) -> Store | None:
    """Which store ``error`` (or an error it was raised from) says is unreachable, if any.

    Args:
        error: Any exception.

    Returns:
        ``"redis"``, ``"database"``, or None when the error is not an outage.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, REDIS_ERRORS):
            return "redis"
        if isinstance(current, DATABASE_ERRORS):
            return "database"
        current = current.__cause__ or current.__context__
    return None


def unavailable_response(store: Store) -> Response:
    """HTTP 503 with ``Retry-After`` and the reason."""
    return SafeJSONResponse(
        {"detail": REASONS[store]},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECS)},
    )


Refusal = Callable[[Store], Response]


def install_outage_handlers(app: FastAPI, spoken: dict[str, Refusal] | None = None) -> None:
    """Answer a request that met a Redis or database outage with 503 and the reason.

    Args:
        app: The application.
        spoken: Other answers by path prefix: a phone webhook (``/twilio/``) must answer
            TwiML that tells the caller, not an HTTP error Twilio would voice as "an
            application error has occurred".
    """
    by_prefix = dict(spoken or {})

    async def outage(request: Request, error: Exception) -> Response:
        store = outage_of(error) or "database"  # registered for outage errors only
        logger.warning(f"{request.method} {request.url.path}: {store} unavailable: {error!r}")
        for prefix, refusal in by_prefix.items():
            if request.url.path.startswith(prefix):
                return refusal(store)
        return unavailable_response(store)

    for error_type in (*REDIS_ERRORS, *DATABASE_ERRORS):
        app.add_exception_handler(error_type, outage)
