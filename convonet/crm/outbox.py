"""Writing, listing and retrying CRM outbox rows.

:func:`enqueue` adds a row to the caller's session, so it commits (or rolls back) with the
business change it describes: a patient registered while the CRM is down is still sent later,
and a change that failed is never sent. Records are addressed by our own keys
(``patient:{id}``); :func:`crm_id` turns a key into the CRM record's id, the same every time,
so a Meeting can name its Contact before either reached the CRM.
"""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.errors import CrmError, RecordNotFoundError
from convonet.storage.models import CrmOutbox, OutboxStatus, utcnow

# Fixed namespace of Convonet's CRM ids (uuid5 of the entity key).
NAMESPACE = uuid.UUID("4c7f3b0e-7d0b-5b8e-9a52-0c6f1d2a9e14")
MODULES = frozenset({"Contacts", "Meetings", "Cases", "Notes"})


def crm_id(entity_key: str) -> str:
    """The CRM record id of our record ``entity_key`` (a UUID, as SuiteCRM ids are)."""
    return str(uuid.uuid5(NAMESPACE, entity_key))


def enqueue(
    session: AsyncSession, module: str, entity_key: str, attributes: dict[str, Any]
) -> CrmOutbox:
    """Queue "record ``entity_key`` of ``module`` carries ``attributes``" in ``session``.

    ``None`` attributes are left out (they would blank the CRM's field).

    Raises:
        ValueError: ``module`` is not one the sync writes.
    """
    if module not in MODULES:
        raise ValueError(f"the CRM sync writes {sorted(MODULES)}, not {module!r}")
    row = CrmOutbox(
        entity=module,
        entity_key=entity_key,
        crm_id=crm_id(entity_key),
        payload={key: value for key, value in attributes.items() if value is not None},
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(row)
    return row


def row_json(row: CrmOutbox) -> dict[str, Any]:
    """An outbox row as the admin API shows it."""
    return {
        "id": row.id,
        "entity": row.entity,
        "entity_key": row.entity_key,
        "crm_id": row.crm_id,
        "payload": row.payload,
        "status": row.status.value,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at.isoformat(),
        "last_error": row.last_error,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many rows are in each status (every status named, 0 when none)."""
    rows = await session.execute(
        select(CrmOutbox.status, func.count(CrmOutbox.id)).group_by(CrmOutbox.status)
    )
    found = {status.value: int(count) for status, count in rows.all()}
    return {status.value: found.get(status.value, 0) for status in OutboxStatus}


async def list_rows(
    session: AsyncSession, status: OutboxStatus | None, limit: int
) -> list[CrmOutbox]:
    """The newest rows first, optionally of one status."""
    query = select(CrmOutbox).order_by(CrmOutbox.id.desc()).limit(limit)
    if status is not None:
        query = query.where(CrmOutbox.status == status)
    return list((await session.scalars(query)).all())


async def retry(session: AsyncSession, row_id: int) -> CrmOutbox:
    """Make a failed or waiting row due now (its attempts are kept).

    Raises:
        RecordNotFoundError: No row has that id.
        CrmError: The row was sent already.
    """
    row = await session.get(CrmOutbox, row_id)
    if row is None:
        raise RecordNotFoundError(f"no CRM outbox row {row_id}")
    if row.status is OutboxStatus.SENT:
        raise CrmError(f"CRM outbox row {row_id} was sent already")
    row.status, row.next_attempt_at = OutboxStatus.PENDING, utcnow()
    return row
