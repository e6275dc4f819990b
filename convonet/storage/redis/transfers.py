"""Call transfers in Redis: a caller's hand-off to a human department."""

from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from convonet.storage.redis.client import RedisFeature, millis
from convonet.storage.redis.keys import Keys

TRANSFER_TTL_SECS = 3600.0
TransferStatus = Literal["requested", "initiated", "ringing", "connected", "failed"]


class TransferStep(BaseModel):
    """One status change of a transfer, with its wall-clock time."""

    status: TransferStatus
    at: float


class TransferRecord(BaseModel):
    """``transfer:{session}``: a caller's hand-off to a human department."""

    session_id: str
    department: str
    extension: str
    reason: str = ""
    user_id: str | None = None
    status: TransferStatus
    history: list[TransferStep] = Field(default_factory=list)


class TransferStore(RedisFeature):
    """``transfer:{session_id}`` records."""

    async def request_transfer(
        self,
        session_id: str,
        *,
        department: str,
        extension: str,
        reason: str = "",
        user_id: str | None = None,
        ttl_secs: float = TRANSFER_TTL_SECS,
    ) -> TransferRecord:
        """Record that ``session_id`` asked for a human (status ``requested``)."""
        record = TransferRecord(
            session_id=session_id,
            department=department,
            extension=extension,
            reason=reason,
            user_id=user_id,
            status="requested",
            history=[TransferStep(status="requested", at=self._clock())],
        )
        await self.redis.set(
            Keys.transfer(session_id), record.model_dump_json(), px=millis(ttl_secs)
        )
        return record

    async def get_transfer(self, session_id: str) -> TransferRecord | None:
        """The transfer state of ``session_id``, if it asked for one."""
        raw = await self.redis.get(Keys.transfer(session_id))
        if raw is None:
            return None
        try:
            return TransferRecord.model_validate_json(raw)
        except ValidationError:
            return None
