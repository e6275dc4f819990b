"""Spoken replies from the shared tools' results: transfer, the date and time, ending the call."""

from datetime import datetime

from convonet.agents.offline.phrasing.base import Phraser, Result
from convonet.agents.offline.phrasing.speech import listing


def _transfer(result: Result, args: Result, _now: datetime | None) -> str:
    department = result.get("department") or args.get("department") or "support"
    return f"Sure, I'm transferring you to {department} now. Please hold."


def _departments(result: Result, _args: Result, _now: datetime | None) -> str:
    departments = [d for d in result.get("departments") or [] if d.get("name")]
    names = [str(d["name"]) for d in departments]
    if not names:
        return "There are no departments available right now."
    line = f"You can talk to {listing(names, limit=8)}."
    if any(d.get("agents_ready") is not None for d in departments):
        free = [str(d["name"]) for d in departments if (d.get("agents_ready") or 0) > 0]
        line += (
            f" Someone in {listing(free, limit=8, word='or')} is free right now."
            if free
            else " Everyone is busy at the moment, so you may wait a little."
        )
    return f"{line} Which would you like?"


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
