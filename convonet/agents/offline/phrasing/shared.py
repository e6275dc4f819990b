"""Spoken replies from the shared tools' results: transfer, the date and time, ending the call."""

from datetime import datetime

from convonet.agents.offline.phrasing.base import Phraser, Result
from convonet.agents.offline.phrasing.speech import listing


def _transfer(result: Result, args: Result, _now: datetime | None) -> str:
    department = result.get("department") or args.get("department") or "support"
    return f"Sure, I'm transferring you to {department} now. Please hold."


def _departments(result: Result, _args: Result, _now: datetime | None) -> str:
    names = [str(d.get("name")) for d in result.get("departments") or [] if d.get("name")]
    if not names:
        return "There are no departments available right now."
    return f"You can talk to {listing(names, limit=8)}. Which would you like?"


def _datetime(result: Result, _args: Result, _now: datetime | None) -> str:
    what = result.get("what", "both")
    if what == "time":
        return f"It's {result['time_spoken']}."
    if what == "date":
        return f"Today is {result['date_spoken']}."
    return f"It's {result['time_spoken']} on {result['date_spoken']}."


def _goodbye(_result: Result, _args: Result, _now: datetime | None) -> str:
    return "Goodbye, and thanks for calling. Have a great day!"


PHRASERS: dict[str, Phraser] = {
    "transfer_to_agent": _transfer,
    "get_available_departments": _departments,
    "get_current_datetime": _datetime,
    "end_call": _goodbye,
}
