"""``GET /metrics``: this app's metrics in the Prometheus text exposition format."""

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from convonet.api.deps import RuntimeDep
from convonet.auth.metrics_token import MetricsAccess
from convonet.observability.metrics import CONTENT_TYPE

router = APIRouter(tags=["observability"])


@router.get(
    "/metrics",
    dependencies=[MetricsAccess],
    response_class=PlainTextResponse,
    responses={401: {"description": "METRICS_TOKEN is set and the bearer token is not it"}},
)
async def metrics(runtime: RuntimeDep) -> Response:
    """This app's metrics in the Prometheus text exposition format."""
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)
