"""Liveness and readiness probes."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from convonet.api.deps import RuntimeDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive and serving HTTP."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready for calls yet, or draining"}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready for calls: models loaded, tool servers started, and not draining (SIGTERM)."""
    tools = runtime.tools
    body = {
        "ready": runtime.ready,
        "models": {name: round(secs, 3) for name, secs in runtime.models.load_seconds.items()},
        "tools": (
            "disabled"
            if tools is None
            else "failed"
            if tools.failed
            else "ready"
            if tools.ready.is_set()
            else "starting"
        ),
        "live_sessions": len(runtime.live),
        "draining": runtime.drain.draining,
    }
    return JSONResponse(body, status_code=200 if runtime.ready else 503)
