"""The transfer state machine: requested → initiated → ringing → connected | failed.

``connected`` and ``failed`` are final. Any step before ``connected`` may fail; ``ringing``
may be skipped (a PBX that answers at once). A final transfer can be followed by a new one.
"""

from convonet.errors import TransferError
from convonet.storage.redis.transfers import TransferRecord, TransferStatus, TransferStep

NEXT: dict[TransferStatus, frozenset[TransferStatus]] = {
    "requested": frozenset({"initiated", "failed"}),
    "initiated": frozenset({"ringing", "connected", "failed"}),
    "ringing": frozenset({"connected", "failed"}),
    "connected": frozenset(),
    "failed": frozenset(),
}
UNDER_WAY: frozenset[TransferStatus] = frozenset({"requested", "initiated", "ringing"})


def under_way(record: TransferRecord | None) -> bool:
    """Whether ``record`` is a transfer that has not finished yet."""
    return record is not None and record.status in UNDER_WAY


def new_transfer(
    session_id: str, *, department: str, extension: str, reason: str, user_id: str | None, at: str
) -> TransferRecord:
    """A freshly requested transfer."""
    return TransferRecord(
        session_id=session_id,
        status="requested",
        department=department,
        extension=extension,
        reason=reason,
        user_id=user_id,
        history=[TransferStep(status="requested", at=at)],
        updated_at=at,
    )


def advanced(
    record: TransferRecord | None,
    status: TransferStatus,
    *,
    at: str,
    failure: str | None = None,
    call_sid: str | None = None,
) -> TransferRecord:
    """``record`` moved to ``status``.

    Raises:
        TransferError: There is no transfer, or it cannot move to ``status`` from where it is.
    """
    if record is None:
        raise TransferError("no transfer is under way for this call")
    if status not in NEXT[record.status]:
        raise TransferError(f"a {record.status} transfer cannot become {status}")
    return record.model_copy(
        update={
            "status": status,
            "failure": failure if status == "failed" else record.failure,
            "call_sid": call_sid or record.call_sid,
            "history": [*record.history, TransferStep(status=status, at=at)],
            "updated_at": at,
        }
    )
