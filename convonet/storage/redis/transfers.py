"""Call transfers in Redis: ``transfer:{session}``, a caller's hand-off to a human department.

The record's JSON shape is fixed by the transfer/call-center contract (the dashboard reads
it). Changes are atomic (``WATCH``/``MULTI``), so two server processes racing on one call
never both win; the rules of which change is allowed live in :mod:`convonet.transfer.state`.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationError
from redis.exceptions import WatchError

from convonet.errors import StorageError
from convonet.storage.redis.client import RedisFeature, millis
from convonet.storage.redis.keys import Keys

TRANSFER_TTL_SECS = 3600.0
UPDATE_ATTEMPTS = 20
TransferStatus = Literal["requested", "initiated", "ringing", "connected", "failed"]


def utc_now_iso(seconds: float) -> str:
    """Wall-clock ``seconds`` as an ISO-8601 UTC timestamp."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


class TransferStep(BaseModel):
    """One status change of a transfer, with its time (ISO-8601 UTC)."""

    status: TransferStatus
    at: str


class TransferRecord(BaseModel):
    """``transfer:{session}``: a caller's hand-off to a human department."""

    session_id: str
    status: TransferStatus
    department: str
    extension: str
    reason: str = ""
    call_sid: str | None = None
    failure: str | None = None
    user_id: str | None = None
    history: list[TransferStep] = Field(default_factory=list)
    updated_at: str = ""


TransferUpdate = Callable[[TransferRecord | None], TransferRecord | None]


class TransferStore(RedisFeature):
    """``transfer:{session_id}`` records."""

    def now_iso(self) -> str:
        """The store clock's time as ISO-8601 UTC."""
        return utc_now_iso(self._clock())

    async def get_transfer(self, session_id: str) -> TransferRecord | None:
        """The transfer state of ``session_id``, if it asked for one."""
        raw = await self.redis.get(Keys.transfer(session_id))
        return _parse(raw)

    async def save_transfer_context(
        self, extension: str, call_sid: str, payload: str, ttl_secs: float
    ) -> None:
        """Store ``callcenter:customer:{extension}:{call_sid}`` (JSON) for ``ttl_secs``."""
        key = Keys.callcenter_customer(extension, call_sid)
        await self.redis.set(key, payload, px=millis(ttl_secs))

    async def get_transfer_context(self, extension: str, call_sid: str) -> str | None:
        """``callcenter:customer:{extension}:{call_sid}`` (JSON), if it has not expired."""
        raw = await self.redis.get(Keys.callcenter_customer(extension, call_sid))
        return None if raw is None else str(raw)

    async def update_transfer(
        self, session_id: str, update: TransferUpdate, *, ttl_secs: float = TRANSFER_TTL_SECS
    ) -> tuple[TransferRecord | None, TransferRecord | None]:
        """Atomically replace ``transfer:{session_id}`` with ``update(current)``.

        Args:
            session_id: The call.
            update: Given the current record (or ``None``), returns the new record, or
                ``None`` to leave it unchanged. It may raise to refuse the change.
            ttl_secs: Lifetime of the written record.

        Returns:
            ``(before, after)``; ``after`` is ``None`` when nothing was written.

        Raises:
            StorageError: Other writers kept racing (no change after many attempts).
        """
        key = Keys.transfer(session_id)
        for _ in range(UPDATE_ATTEMPTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    before = _parse(await pipe.get(key))
                    after = update(before)
                    if after is None:
                        await pipe.unwatch()
                        return before, None
                    pipe.multi()
                    pipe.set(key, after.model_dump_json(), px=millis(ttl_secs))
                    await pipe.execute()
                    return before, after
                except WatchError:
                    continue
        raise StorageError(f"transfer:{session_id} kept changing; update abandoned")


def _parse(raw: str | bytes | None) -> TransferRecord | None:
    if raw is None:
        return None
    try:
        return TransferRecord.model_validate_json(raw)
    except ValidationError:
        return None
