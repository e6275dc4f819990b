"""Spoken replies from the restaurant tools' results."""

from datetime import datetime
from typing import Any

from convonet.agents.offline.phrasing.base import Phraser, Result
from convonet.agents.offline.phrasing.speech import date_and_time, listing, spell, time_of_day


def _table(reservation: Any, now: datetime | None) -> str:
    if not isinstance(reservation, dict):
        return "your table"
    size = reservation.get("party_size")
    party = f"a table for {size}" if size else "your table"
    when = date_and_time(reservation.get("date"), reservation.get("time"), now, on=True)
    return f"{party} {when}".strip()


def _availability(result: Result, args: Result, now: datetime | None) -> str:
    when = date_and_time(args.get("date"), args.get("time"), now)
    if result.get("available"):
        on = date_and_time(args.get("date"), args.get("time"), now, on=True)
        return f"Good news: we have a table for {args.get('party_size')} {on}."
    options = [time_of_day(t) for t in result.get("alternatives") or []]
    if options:
        choices = listing(options, limit=4, word="or")
        return f"Sorry, {when} is full. I could do {choices} instead."
    return f"Sorry, there's no table for {args.get('party_size')} {when}."


def _reservation_code(reservation: Any) -> str:
    if isinstance(reservation, dict) and reservation.get("confirmation_code"):
        return f" Your confirmation code is {spell(reservation['confirmation_code'])}."
    return ""


def _reserved(result: Result, _args: Result, now: datetime | None) -> str:
    reservation = result.get("reservation") or {}
    name = f" under {reservation['name']}" if reservation.get("name") else ""
    said = f"You're all set: {_table(reservation, now)}{name}."
    return said + _reservation_code(reservation)


def _reservation(result: Result, _args: Result, now: datetime | None) -> str:
    reservation = result.get("reservation") or {}
    return f"Your reservation is {_table(reservation, now)}.{_reservation_code(reservation)}"


def _reservation_changed(result: Result, _args: Result, now: datetime | None) -> str:
    return f"Done. Your reservation is now {_table(result.get('reservation'), now)}."


def _cancelled(result: Result, _args: Result, now: datetime | None) -> str:
    return f"Your reservation for {_table(result.get('reservation'), now)} is cancelled."


PHRASERS: dict[str, Phraser] = {
    "check_availability": _availability,
    "create_reservation": _reserved,
    "get_reservation": _reservation,
    "update_reservation": _reservation_changed,
    "cancel_reservation": _cancelled,
}
