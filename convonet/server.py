"""The FastAPI application factory and its lifespan."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from loguru import logger
from mcp.server.fastmcp import FastMCP
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from convonet import __version__
from convonet.agents import lean_callbacks
from convonet.api import agent as agent_api
from convonet.api import call_center as call_center_api
from convonet.api import call_center_views, landing
from convonet.auth import routes as auth_routes
from convonet.auth.session_access import end_text_access
from convonet.crm import api as crm_api
from convonet.crm.worker import running_worker
from convonet.domains.registry import optional_modules
from convonet.lifecycle import health
from convonet.lifecycle.startup_heap import freeze_startup_heap
from convonet.monitor import api as monitor_api
from convonet.observability import routes as observability_routes
from convonet.observability.sentry import init_sentry, shutdown_sentry
from convonet.processors import lean_push
from convonet.runtime import Runtime, open_runtime
from convonet.security.access_log import strip_queries_from_access_log
from convonet.security.body_guard import BodyGuardMiddleware
from convonet.security.errors import install_error_handlers
from convonet.security.headers import SecurityHeadersMiddleware
from convonet.settings import Settings
from convonet.storage.outage import install_outage_handlers
from convonet.tools.http import MOUNT_PATH as MCP_PATH
from convonet.tools.http import build_http_server
from convonet.transfer import callback as transfer_callback
from convonet.transports import (
    connect,
    twilio,
    twilio_bridge,
    twilio_pin,
    twilio_twiml,
    webrtc,
    websocket,
)

STATIC_DIR = Path(__file__).parent / "static"


async def _start(runtime: Runtime) -> None:
    """Load the models and tools, then take the start-up heap out of the GC's full passes."""
    await runtime.warm_up()
    if runtime.settings.gc_freeze_at_start:
        freeze_startup_heap()


def _lifespan(
    settings: Settings, mcp: FastMCP
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.twilio_signatures_required:
            logger.warning("TWILIO_AUTH_TOKEN is unset: Twilio signature validation is OFF")
        for name in settings.stored_secrets:
            # Said at every start, not only the first: the CLI may have generated it already.
            logger.warning(
                f"{name} is unset: using the one generated into {settings.data_dir}/secrets"
            )
        async with (
            open_runtime(settings) as runtime,
            mcp.session_manager.run(),
            running_worker(runtime.settings, runtime.db),
            runtime.call_center.running(),
        ):
            app.state.runtime = runtime
            runtime.live.on_end(end_text_access(runtime.store))
            # Models load in the background so /healthz answers at once; /readyz waits.
            loading = asyncio.create_task(_start(runtime))
            try:
                yield
            finally:
                loading.cancel()
                await runtime.live.cancel_all()
                await webrtc.close_all(app)
                if settings.sentry_dsn is not None:
                    shutdown_sentry()  # sends the calls' last transactions

    return lifespan


def _harden(app: FastAPI, settings: Settings) -> None:
    """Error handlers, body limits, security headers and trusted proxies (outermost last)."""
    install_error_handlers(app)
    # A Redis or database outage is a 503 with a reason; a phone caller hears an apology.
    install_outage_handlers(app, spoken={"/twilio/": twilio_twiml.outage_refusal})
    app.add_middleware(
        BodyGuardMiddleware,
        max_bytes=settings.max_request_body_bytes,
        max_json_depth=settings.max_json_depth,
    )
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    # Only listed proxies may say who the client is (X-Forwarded-For) and which scheme it used.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    strip_queries_from_access_log()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the Convonet web application.

    Args:
        settings: Settings to use; read from the environment when omitted.

    Returns:
        The FastAPI app. Nothing heavy happens until its lifespan starts.
    """
    settings = settings or Settings()
    init_sentry(settings)  # before the app exists, so its integrations wrap it
    if settings.lean_frame_push:
        lean_push.install()
    else:
        lean_push.uninstall()
    if settings.lean_agent_callbacks:
        lean_callbacks.install()
    else:
        lean_callbacks.uninstall()
    mcp = build_http_server(settings, lambda: app.state.runtime)
    app = FastAPI(
        title="Convonet",
        version=__version__,
        description="Real-time voice AI assistant platform",
        lifespan=_lifespan(settings, mcp),
    )
    routers = (
        landing.router,
        health.router,
        auth_routes.router,
        agent_api.router,
        call_center_api.router,
        call_center_views.router,
        monitor_api.router,
        connect.router,
        websocket.router,
        webrtc.router,
        twilio_pin.router,
        twilio.router,
        transfer_callback.router,
        twilio_bridge.router,
        observability_routes.router,
        crm_api.router,
    )
    for router in routers:
        app.include_router(router)
    for _domain, module in optional_modules("api"):
        app.include_router(module.router)
    _harden(app, settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(MCP_PATH, mcp.streamable_http_app(), name="mcp")

    @app.get("/voice_assistant", response_class=HTMLResponse, tags=["pages"])
    async def voice_assistant() -> FileResponse:
        """The browser caller page (voice PIN, then talk)."""
        return FileResponse(STATIC_DIR / "voice_assistant.html")

    return app
