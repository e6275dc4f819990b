"""Per-process capacity: above its session capacity a new call is refused as busy.

The capacity is ``MAX_SESSIONS_PER_PROCESS``, by default sized to the machine and the speech
providers (:mod:`convonet.lifecycle.capacity`).

A draining process (SIGTERM, :mod:`convonet.lifecycle.drain`) refuses every new call the
same way, with its own reason.

Overload degrades every call at once (late VAD, late audio), so a full process says "busy"
to the next caller instead, and a load balancer or the caller can try again elsewhere. A
place is held from sign-in (``/api/connect``, the phone PIN) until the media stream starts or
the sign-in's token expires, so a burst of sign-ins cannot overfill the process before the
streams arrive. A caller who signs in again takes the place of their own earlier sign-ins
whose streams never started, so a retry or a reload is not refused by its own leftover.

Each surface turns :class:`~convonet.errors.ServerBusyError` into its own refusal: HTTP 503
with ``Retry-After``, WebSocket close :data:`CLOSE_BUSY`, or a spoken apology and hang-up on
the phone.
"""

from fastapi import HTTPException, Response, status
from loguru import logger

from convonet.errors import ServerBusyError, ServerDrainingError
from convonet.lifecycle.capacity import session_capacity
from convonet.runtime import Runtime
from convonet.transports.twilio_twiml import goodbye, twiml

CLOSE_BUSY = 4503  # like HTTP 503: this process takes no more calls right now
BUSY_SPOKEN = (
    "Sorry, all our lines are busy right now. Please call again in a few minutes. Goodbye."
)
DRAINING_SPOKEN = "Sorry, this line is closing for maintenance. Please call again. Goodbye."


def _check(runtime: Runtime, excluding: str | None) -> None:
    if runtime.drain.draining:  # shutting down (SIGTERM): the same refusal, another reason
        raise ServerDrainingError(
            "server draining: this process is shutting down; try again",
            retry_after=runtime.settings.busy_retry_after_secs,
        )
    capacity = session_capacity(runtime.settings)
    if capacity and runtime.live.occupied(excluding) >= capacity:
        raise ServerBusyError(
            f"server busy: this process is at its capacity of {capacity} calls; try again",
            retry_after=runtime.settings.busy_retry_after_secs,
        )


def admit(runtime: Runtime, session_id: str, holder: str | None = None) -> None:
    """Take a new caller's session, holding its place until its stream starts.

    Args:
        runtime: The process.
        session_id: The new session.
        holder: Who signed in (a user id): their earlier sign-ins whose streams never
            started give up their places to this one.

    Raises:
        ServerBusyError: The process is full (``ServerDrainingError``: shutting down).
    """
    if holder is not None:
        runtime.live.release_held_by(holder)
    _check(runtime, excluding=session_id)
    runtime.live.reserve(session_id, runtime.settings.session_token_ttl_secs, holder)


def check_room(runtime: Runtime, session_id: str | None = None) -> None:
    """Check there is room for a stream starting now (its own held place counts as room).

    Raises:
        ServerBusyError: The process is full (``ServerDrainingError``: shutting down).
    """
    _check(runtime, excluding=session_id)


def busy_response(error: ServerBusyError) -> HTTPException:
    """HTTP 503 with ``Retry-After`` and the reason."""
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        str(error),
        headers={"Retry-After": str(error.retry_after)},
    )


def phone_busy_refusal(runtime: Runtime, session_id: str | None) -> Response | None:
    """TwiML that apologises and hangs up when this process is full, else ``None``.

    With a ``session_id`` its place is held until the media stream starts; without one only
    the room is checked (before asking for a PIN).
    """
    try:
        if session_id is None:
            check_room(runtime)
        else:
            admit(runtime, session_id)
    except ServerBusyError as error:
        logger.warning(f"twilio call refused: {error}")
        draining = isinstance(error, ServerDrainingError)
        return twiml(goodbye(DRAINING_SPOKEN if draining else BUSY_SPOKEN))
    return None
