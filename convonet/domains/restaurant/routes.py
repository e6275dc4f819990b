"""The restaurant's HTTP surface: the reservation API, the platforms' entries, the booking page."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from convonet.domains.restaurant import api, webhooks

PAGE = Path(__file__).resolve().parents[2] / "static" / "reserve_online.html"

router = APIRouter()
router.include_router(api.router)
router.include_router(webhooks.router)


@router.get("/reserve-online", response_class=HTMLResponse, tags=["pages"])
async def reserve_online() -> FileResponse:
    """The public booking page (availability and booking, no sign-in)."""
    return FileResponse(PAGE, media_type="text/html")
