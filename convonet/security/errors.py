"""Error answers that never fail and never echo the request back.

* 422: FastAPI's validation errors without their ``input`` and ``ctx`` (which carry the
  caller's data, up to the whole body).
* HTTP errors: the ``detail`` as ASCII-escaped JSON, so even text that cannot be encoded
  (a lone surrogate) still makes a valid answer.
* Anything unexpected: a plain 500 with no details (the error is logged and sent to Sentry).
"""

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from loguru import logger
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

MAX_ERRORS = 20  # a body with thousands of bad fields gets the first ones


class SafeJSONResponse(JSONResponse):
    """A JSON answer that cannot fail to encode (non-ASCII is escaped)."""

    def render(self, content: Any) -> bytes:
        """Encode ``content`` as ASCII JSON; unencodable values become strings."""
        return json.dumps(content, ensure_ascii=True, default=str, separators=(",", ":")).encode()


def _without_inputs(errors: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "")),
            "type": error.get("type", ""),
        }
        for error in errors[:MAX_ERRORS]
    ]


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return SafeJSONResponse({"detail": _without_inputs(list(error.errors()))}, status_code=422)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code in (204, 304):
        return Response(status_code=error.status_code, headers=error.headers)
    return SafeJSONResponse(
        {"detail": error.detail}, status_code=error.status_code, headers=error.headers
    )


async def _unexpected_error(request: Request, error: Exception) -> Response:
    logger.opt(exception=error).error(f"unhandled error on {request.method} {request.url.path}")
    return SafeJSONResponse({"detail": "internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Make ``app`` answer validation, HTTP and unexpected errors safely."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
