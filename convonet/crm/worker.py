"""The CRM outbox worker: sends due rows to SuiteCRM, retrying with exponential backoff.

One runs in each server process while CRM sync is configured (the lifespan starts it). Rows
go in ``id`` order and one record's rows one after another (a later change of a record waits
while an earlier one is retrying, so an old change never overwrites a newer one). Each row
is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer), so
replicas never send the same row at once; and since a record's CRM id is fixed, even a row
sent twice updates rather than duplicates.

Outcomes: accepted → ``sent``; refused for good (4xx) → ``failed`` with the reason, until an
admin retries it; CRM down, slow or refusing our token → stays ``pending``, next try after
``CRM_BACKOFF_SECS · 2^(attempts-1)`` (at most ``CRM_BACKOFF_MAX_SECS``), and the round ends
(no point sending the rest to a CRM that is down).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta

from loguru import logger
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from convonet.crm.client import SuiteCrmClient
from convonet.errors import CrmRejectedError, CrmUnavailableError
from convonet.settings import Settings
from convonet.storage.db import Database
from convonet.storage.models import CrmOutbox, OutboxStatus, utcnow

BATCH = 200


@dataclass
class Round:
    """What one pass over the due rows did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0


class OutboxWorker:
    """Drains the outbox into the CRM."""

    def __init__(self, db: Database, client: SuiteCrmClient, settings: Settings) -> None:
        """Create the worker on the app's database and a SuiteCRM client."""
        self._db = db
        self._client = client
        self._settings = settings

    def backoff(self, attempts: int) -> timedelta:
        """The wait before the next try after ``attempts`` failed ones."""
        first, most = self._settings.crm_backoff_secs, self._settings.crm_backoff_max_secs
        return timedelta(seconds=min(most, first * 2 ** max(0, attempts - 1)))

    async def drain_once(self) -> Round:
        """Try each due row once (in order, one record's rows in turn)."""
        done = Round()
        waiting: set[str] = set()  # records with an earlier row not sent yet
        async with self._db.session() as session:
            rows = await session.execute(
                select(CrmOutbox.id, CrmOutbox.entity_key, CrmOutbox.next_attempt_at)
                .where(CrmOutbox.status == OutboxStatus.PENDING)
                .order_by(CrmOutbox.id)
                .limit(BATCH)
            )
            pending = rows.all()
        now = utcnow()
        for row_id, key, due in pending:
            if key in waiting or due > now:
                waiting.add(key)
                continue
            outcome = await self._send(row_id)
            if outcome is OutboxStatus.SENT:
                done.sent += 1
            elif outcome is OutboxStatus.FAILED:
                done.failed += 1
            elif outcome is OutboxStatus.PENDING:
                done.retrying += 1
                break  # the CRM is unavailable: the rest waits for the next round
            else:
                waiting.add(key)  # another worker is sending it
        return done

    async def _send(self, row_id: int) -> OutboxStatus | None:
        """Send one row; its new status (``None``: another worker holds it)."""
        async with self._db.session() as session:
            row = await session.scalar(
                select(CrmOutbox)
                .where(CrmOutbox.id == row_id, CrmOutbox.status == OutboxStatus.PENDING)
                .with_for_update(skip_locked=True)
            )
            if row is None:
                return None
            row.attempts += 1
            try:
                await self._client.upsert(row.entity, row.crm_id, row.payload)
            except CrmRejectedError as error:
                row.status, row.last_error = OutboxStatus.FAILED, str(error)
                logger.warning(f"CRM refused outbox row {row.id} ({row.entity_key}): {error}")
            except CrmUnavailableError as error:
                row.next_attempt_at = utcnow() + self.backoff(row.attempts)
                row.last_error = str(error)
                logger.info(f"CRM unavailable for outbox row {row.id}, retrying later: {error}")
            else:
                row.status, row.sent_at, row.last_error = OutboxStatus.SENT, utcnow(), None
            return row.status

    async def run(self, stop: asyncio.Event) -> None:
        """Drain every ``CRM_POLL_SECS`` until ``stop`` is set; database trouble is logged."""
        while not stop.is_set():
            try:
                await self.drain_once()
            except SQLAlchemyError as error:
                logger.warning(f"CRM outbox not drained: {error}")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._settings.crm_poll_secs)


@asynccontextmanager
async def running_worker(settings: Settings, db: Database) -> AsyncIterator[OutboxWorker | None]:
    """Run the outbox worker in the background while CRM sync is configured (else ``None``)."""
    if not settings.crm_enabled:
        yield None
        return
    client = SuiteCrmClient(settings)
    worker = OutboxWorker(db, client, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="crm-outbox")
    logger.info(f"CRM sync on: sending the outbox to {settings.suitecrm_url}")
    try:
        yield worker
    finally:
        stop.set()
        # A send in flight is bounded by CRM_TIMEOUT_SECS; its row stays pending if cut.
        with suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, settings.crm_timeout_secs + 1)
        await client.aclose()
