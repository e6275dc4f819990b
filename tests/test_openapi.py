"""``/docs`` covers every HTTP route: each one is in the OpenAPI schema or excluded for a reason.

The app's routes are walked (through included routers) the way FastAPI serves them; a new
route that is neither documented nor listed below with its reason fails this test.
"""

from pathlib import Path

from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from starlette.routing import Mount, WebSocketRoute

from convonet.server import create_app
from tests.conftest import test_settings as settings_for

# Routes deliberately left out of the schema, with the reason.
EXCLUDED = {
    "/openapi.json": "the OpenAPI schema itself",
    "/docs": "the Swagger UI that shows the schema",
    "/docs/oauth2-redirect": "Swagger UI's OAuth2 helper page",
    "/redoc": "the ReDoc view of the same schema",
}
# Mounted sub-applications: not FastAPI routes, documented elsewhere.
MOUNTS = {
    "/static": "the pages' files (CSS, bundled JS, HTML)",
    "/mcp": "the MCP streamable-HTTP endpoint (protocol in docs/tools.md)",
}


def test_every_http_route_is_documented_or_excluded_for_a_reason(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path))
    paths = app.openapi()["paths"]
    missing: list[str] = []
    mounts: set[str] = set()
    sockets = 0
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            mounts.add(route.path)
            continue
        if isinstance(route, APIWebSocketRoute | WebSocketRoute):
            sockets += 1  # OpenAPI does not describe WebSockets (see README)
            continue
        path = context.path
        if path in EXCLUDED:
            continue
        documented = paths.get(path, {})
        for method in sorted((context.methods or set()) - {"HEAD"}):
            if method.lower() not in documented:
                missing.append(f"{method} {path}")
    assert missing == [], f"routes missing from /docs (document them or add a reason): {missing}"
    assert mounts == set(MOUNTS), mounts
    assert sockets >= 2  # /ws and /twilio/ws were walked, not lost
    for path in (
        "/",
        "/reserve-online",
        "/api/reservations/{reservation_id}",
        "/webhooks/hanok_table/reservation",
        "/call-control/reservation/status",
    ):
        assert path in paths, path


def test_the_webhook_documents_its_body_and_signature(tmp_path: Path) -> None:
    schema = create_app(settings_for(tmp_path)).openapi()
    hook = schema["paths"]["/webhooks/hanok_table/reservation"]["post"]
    body = hook["requestBody"]["content"]["application/json"]["schema"]
    assert "reservation.cancelled" in body["properties"]["event"]["enum"]
    assert {"401", "409", "503"} <= set(hook["responses"])
    assert "X-Hanok-Signature" in hook["responses"]["401"]["description"]
