"""The CRM outbox in the admin API: what waits, what was sent, what the CRM refused and why.

* ``GET /api/admin/crm/outbox``: counts per status and the newest rows (filter by status);
* ``POST /api/admin/crm/outbox/{id}/retry``: make a failed (or backing-off) row due now.
"""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from convonet.api.deps import RuntimeDep
from convonet.auth.deps import AdminUser
from convonet.crm import outbox
from convonet.errors import CrmError, RecordNotFoundError
from convonet.storage.models import OutboxStatus

router = APIRouter(prefix="/api/admin/crm", tags=["admin: CRM sync"])
AUTH_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing, bad or expired token"},
    403: {"description": "Not an admin"},
}
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class OutboxRow(BaseModel):
    """One change for the CRM."""

    id: int
    entity: str = Field(description="SuiteCRM module: Contacts, Meetings, Cases or Notes")
    entity_key: str = Field(description="Our record behind it, e.g. patient:{id}")
    crm_id: str = Field(description="The SuiteCRM record id (fixed per entity_key)")
    payload: dict[str, Any]
    status: OutboxStatus
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    sent_at: str | None


class OutboxPage(BaseModel):
    """The outbox: whether sync is on, counts per status, the newest rows."""

    enabled: bool = Field(description="SUITECRM_URL and client credentials are set")
    counts: dict[str, int]
    items: list[OutboxRow]


@router.get("/outbox", responses=AUTH_ERRORS)
async def list_outbox(
    runtime: RuntimeDep,
    _admin: AdminUser,
    status_: Annotated[OutboxStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> OutboxPage:
    """Counts per status and the newest outbox rows (``status`` narrows the rows)."""
    async with runtime.db.session() as session:
        counts = await outbox.counts(session)
        rows = [outbox.row_json(row) for row in await outbox.list_rows(session, status_, limit)]
    return OutboxPage.model_validate(
        {"enabled": runtime.settings.crm_enabled, "counts": counts, "items": rows}
    )


@router.post(
    "/outbox/{row_id}/retry",
    responses={
        **AUTH_ERRORS,
        404: {"description": "No such row"},
        409: {"description": "The row was sent already"},
    },
)
async def retry_outbox_row(row_id: RowId, runtime: RuntimeDep, _admin: AdminUser) -> OutboxRow:
    """Make a failed or waiting row due now; the worker sends it on its next round."""
    try:
        async with runtime.db.session() as session:
            row = await outbox.retry(session, row_id)
            answer = OutboxRow.model_validate(outbox.row_json(row))
    except RecordNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except CrmError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return answer
