"""Signed requests from the booking or telephony platform: HMAC-SHA256, timestamp, replay cache.

The platform shares ``HANOK_WEBHOOK_SECRET`` with us and sends two headers:

* ``X-Hanok-Timestamp``: the Unix time (seconds) it signed at;
* ``X-Hanok-Signature``: ``sha256=`` + hex HMAC-SHA256 (key: the secret) of
  ``{timestamp}.{body}``, where ``body`` is the raw request body (for a ``GET``, the raw
  query string, so the parameters are signed too).

Refusals: no secret configured 503; a header missing, a malformed timestamp or a wrong
signature 401; a timestamp more than ``HANOK_WEBHOOK_TOLERANCE_SECS`` from our clock 401
(stale); a signature already seen within that window 409 (replayed: each signature is
remembered in Redis, ``claim:hanok:{signature}``, for twice the window).
"""

import hashlib
import hmac
import re
import time
from typing import Any

from fastapi import HTTPException, Request, status

from convonet.runtime import Runtime

TIMESTAMP_HEADER = "X-Hanok-Timestamp"
SIGNATURE_HEADER = "X-Hanok-Signature"
CLAIM_KIND = "hanok"
_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")
SIGNED_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "Unsigned, wrongly signed or stale (X-Hanok-Timestamp, X-Hanok-Signature)"
    },
    409: {"description": "Replayed: this signature was already used"},
    503: {"description": "HANOK_WEBHOOK_SECRET is not configured"},
}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Hanok-Signature`` value of ``body`` signed at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def _refuse(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason)


async def verify_signed(runtime: Runtime, request: Request) -> bytes:
    """Check the request's signature, freshness and first use; return what was signed.

    Raises:
        HTTPException: 503, 401 or 409 as the module docstring says.
    """
    settings = runtime.settings
    if settings.hanok_webhook_secret is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "signed requests are off: set HANOK_WEBHOOK_SECRET"
        )
    stamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    given = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not stamp or not given:
        raise _refuse(f"unsigned: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    if not stamp.isdigit() or len(stamp) > 12:
        raise _refuse(f"{TIMESTAMP_HEADER} must be Unix seconds")
    match = _SIGNATURE.fullmatch(given)
    signed = await request.body() if request.method != "GET" else request.scope["query_string"]
    expected = sign(settings.hanok_webhook_secret.get_secret_value(), stamp, signed)
    if match is None or not hmac.compare_digest(expected, given):
        raise _refuse("bad signature")
    window = settings.hanok_webhook_tolerance_secs
    if abs(time.time() - int(stamp)) > window:
        raise _refuse(f"stale: the timestamp is more than {window} s from our clock")
    if not await runtime.store.claim_once(CLAIM_KIND, match.group(1), 2 * window):
        raise HTTPException(status.HTTP_409_CONFLICT, "replayed: this signature was already used")
    return bytes(signed)
