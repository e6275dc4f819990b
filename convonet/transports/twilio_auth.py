"""Twilio request authentication: the ``X-Twilio-Signature`` check as a FastAPI dependency.

Twilio signs every webhook and every media-stream upgrade with the account's auth token over
the URL it requested (plus the POST form fields). We check it with the SDK's
:class:`~twilio.request_validator.RequestValidator` against the *public* URL (``PUBLIC_URL``
+ path + query), because behind a proxy or tunnel the URL this process sees differs from the
one Twilio signed. Add ``TwilioSignature`` to the ``dependencies`` of any Twilio route::

    @router.post("/twilio/pin", dependencies=[TwilioSignature])

Validation is on whenever ``TWILIO_AUTH_TOKEN`` is set. HTTP requests failing it get 403; a
websocket upgrade is refused before it is accepted (close code 4403, which uvicorn answers
as an HTTP 403 to the handshake).
"""

from urllib.parse import parse_qsl

from fastapi import Depends, HTTPException, WebSocketException
from loguru import logger
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import HTTPConnection, Request
from twilio.request_validator import RequestValidator

from convonet.api.deps import SettingsDep
from convonet.settings import Settings
from convonet.transports.urls import public_base, websocket_url

SIGNATURE_HEADER = "X-Twilio-Signature"
CLOSE_FORBIDDEN = 4403  # websocket close code for a missing or invalid signature


async def twilio_form(request: Request) -> ImmutableMultiDict[str, str]:
    """The form fields of a Twilio webhook (``application/x-www-form-urlencoded``).

    Twilio only ever posts URL-encoded forms, so the body is parsed here directly instead of
    through Starlette's multipart-capable parser (which needs ``python-multipart``). The body
    is cached by Starlette, so handlers may call this again after the signature check.

    Args:
        request: The webhook request.

    Returns:
        The fields, in order, with repeated names kept.
    """
    body = await request.body()
    return ImmutableMultiDict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def signed_urls(connection: HTTPConnection, settings: Settings) -> list[str]:
    """The URLs Twilio may have signed for this request, most likely first.

    Args:
        connection: The incoming request or websocket upgrade.
        settings: For ``public_url``.

    Returns:
        For HTTP, the public ``https://`` URL; for a websocket, the public ``wss://`` URL
        and (leniently) its ``https://`` twin. Both carry the path and query string.
    """
    path = connection.url.path
    if connection.url.query:
        path = f"{path}?{connection.url.query}"
    http_url = f"{public_base(connection, settings)}{path}"
    if connection.scope["type"] == "websocket":
        return [websocket_url(connection, settings, path), http_url]
    return [http_url]


async def signature_problem(connection: HTTPConnection, settings: Settings) -> str | None:
    """Why a request's Twilio signature is not acceptable, or ``None`` when it is.

    Args:
        connection: The incoming request or websocket upgrade.
        settings: Auth token and public URL.

    Returns:
        A short reason (safe to send back), or ``None`` if the signature is valid or
        validation is switched off.
    """
    if settings.twilio_auth_token is None:
        return None
    signature = connection.headers.get(SIGNATURE_HEADER)
    if not signature:
        return f"missing {SIGNATURE_HEADER}"
    params: ImmutableMultiDict[str, str] = ImmutableMultiDict()
    if isinstance(connection, Request) and connection.method == "POST":
        params = await twilio_form(connection)
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    urls = signed_urls(connection, settings)
    if any(validator.validate(url, params, signature) for url in urls):
        return None
    logger.warning(f"rejected Twilio request to {connection.url.path}: signature != {urls[0]}")
    return f"invalid {SIGNATURE_HEADER}"


async def verify_twilio_signature(connection: HTTPConnection, settings: SettingsDep) -> None:
    """FastAPI dependency: refuse Twilio requests that are not validly signed.

    Raises:
        HTTPException: 403 for an HTTP webhook.
        WebSocketException: Code 4403 for a websocket upgrade (refused before accepting).
    """
    problem = await signature_problem(connection, settings)
    if problem is None:
        return
    if connection.scope["type"] == "websocket":
        raise WebSocketException(code=CLOSE_FORBIDDEN, reason=problem)
    raise HTTPException(status_code=403, detail=problem)


TwilioSignature = Depends(verify_twilio_signature)
