"""What the CRM learns of transfers: each one becomes a Case, its call a Note on that Case.

Queued in the same transaction as the ``calls`` row (:mod:`convonet.transfer.records`): the
request opens the Case and writes the Note (who called, the summary, the transcript); the
outcome updates the Case's status.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from convonet.crm.outbox import crm_id, enqueue
from convonet.storage.models import Call
from convonet.storage.models.calls import TransferOutcome
from convonet.storage.redis import TransferRecord

MAX_NOTE = 20_000
# SuiteCRM case state and status per transfer outcome.
CASE_STATUS: dict[TransferOutcome, tuple[str, str]] = {
    TransferOutcome.REQUESTED: ("Open", "Open_New"),
    TransferOutcome.CONNECTED: ("Closed", "Closed_Closed"),
    TransferOutcome.NO_ANSWER: ("Open", "Open_Pending Input"),
    TransferOutcome.FAILED: ("Open", "Open_Pending Input"),
    TransferOutcome.CANCELLED: ("Closed", "Closed_Rejected"),
}


def case_key(session_id: str) -> str:
    """The outbox key of a transfer's Case."""
    return f"transfer:{session_id}"


def _case_status(outcome: TransferOutcome) -> dict[str, Any]:
    state, status = CASE_STATUS[outcome]
    return {"state": state, "status": status}


def sync_request(session: AsyncSession, call: Call, record: TransferRecord) -> None:
    """Queue the transfer's Case and the call's Note (its summary and transcript)."""
    who = call.caller_number or call.user_id or "an anonymous caller"
    about = f"Caller: {who}\nReason: {record.reason or 'not given'}\n\n{call.summary or ''}"
    case = {
        "name": f"Transfer to {record.department} ({call.channel})"[:255],
        "type": "User",
        "priority": "P2",
        "description": about.strip(),
        **_case_status(TransferOutcome.REQUESTED),
    }
    enqueue(session, "Cases", case_key(call.session_id), case)
    lines = [f"[{line['at']}] {line['role']}: {line['text']}" for line in call.transcript]
    note = {
        "name": f"Call {call.session_id} transcript"[:255],
        "description": ("\n".join(lines) or "(nothing was said)")[:MAX_NOTE],
        "parent_type": "Cases",
        "parent_id": crm_id(case_key(call.session_id)),
    }
    enqueue(session, "Notes", f"call:{call.session_id}", note)


def sync_outcome(session: AsyncSession, call: Call, outcome: TransferOutcome) -> None:
    """Queue the Case's new status."""
    enqueue(session, "Cases", case_key(call.session_id), _case_status(outcome))
