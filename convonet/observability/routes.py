"""``GET /metrics``: this app's metrics in the Prometheus text exposition format."""

from fastapi import APIRouter, Response

from convonet.auth.metrics_token import MetricsAccess
from convonet.deps import RuntimeDep
from convonet.observability.metrics import CONTENT_TYPE

router = APIRouter(tags=["observability"])


@router.get("/metrics", include_in_schema=False, dependencies=[MetricsAccess])
async def metrics(runtime: RuntimeDep) -> Response:
    """This app's metrics in the Prometheus text exposition format."""
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)
