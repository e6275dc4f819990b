"""Replies from the results of the transfer, mortgage, healthcare and restaurant tools."""

from datetime import datetime
from typing import Any

from convonet.agents.offline.phrasing.productivity import Phraser, Result
from convonet.agents.offline.phrasing.speech import (
    birthday,
    date_and_time,
    listing,
    moment,
    money,
    percent,
    plural,
    spell,
    time_of_day,
)


def _transfer(result: Result, args: Result, _now: datetime | None) -> str:
    department = result.get("department") or args.get("department") or "support"
    return f"Sure, I'm transferring you to {department} now. Please hold."


def _departments(result: Result, _args: Result, _now: datetime | None) -> str:
    names = [str(d.get("name")) for d in result.get("departments") or [] if d.get("name")]
    if not names:
        return "There are no departments available right now."
    return f"You can talk to {listing(names, limit=8)}. Which would you like?"


def _application(result: Result, _args: Result, _now: datetime | None) -> str:
    app = result.get("application") or {}
    number = f" number {app['id']}" if app.get("id") is not None else ""
    loan = f" for a {money(app['loan_amount'])} loan" if app.get("loan_amount") else ""
    return f"I've started your mortgage application{number}{loan}."


def _application_status(result: Result, _args: Result, _now: datetime | None) -> str:
    app = result.get("application") or {}
    documents = result.get("documents") or []
    status = str(app.get("status") or "in progress").replace("_", " ")
    number = f" {app['id']}" if app.get("id") is not None else ""
    said = f"Your application{number} is {status}."
    if documents:
        received = sum(1 for d in documents if d.get("received"))
        said += f" {received} of {plural(len(documents), 'document')} received."
    return said


def _application_updated(result: Result, _args: Result, _now: datetime | None) -> str:
    app = result.get("application") or {}
    number = f" {app['id']}" if app.get("id") is not None else ""
    return f"I've updated your application{number}."


def _payment(result: Result, args: Result, _now: datetime | None) -> str:
    rate = result.get("annual_rate", args.get("annual_rate", 6.5))
    years = result.get("term_years", args.get("term_years", 30))
    principal = result.get("principal", args.get("loan_amount"))
    return (
        f"Your estimated monthly payment is {money(result.get('monthly_payment'))} "
        f"for a {money(principal)} loan at {percent(rate)} over {years} years."
    )


def _affordability(result: Result, _args: Result, _now: datetime | None) -> str:
    said = f"You could afford a home of up to about {money(result.get('max_home_price'))}"
    if result.get("max_loan") is not None:
        said += f", with a loan of up to {money(result['max_loan'])}"
    if result.get("max_monthly_payment") is not None:
        said += f" and a monthly payment of about {money(result['max_monthly_payment'])}"
    return said + "."


def _documents(result: Result, _args: Result, _now: datetime | None) -> str:
    documents = result.get("documents") or []
    needed = [str(d.get("name")) for d in documents if not d.get("received")]
    if not documents:
        return "I don't have a document list for that."
    if not needed:
        return "We have every document we need."
    return f"You'll need {listing(needed, limit=8)}."


def _patient_name(patient: Any) -> str:
    if not isinstance(patient, dict):
        return "the patient"
    return " ".join(str(patient[k]) for k in ("first_name", "last_name") if patient.get(k))


def _registered(result: Result, _args: Result, _now: datetime | None) -> str:
    patient = result.get("patient") or {}
    number = f" The patient number is {patient['id']}." if patient.get("id") is not None else ""
    return f"{_patient_name(patient)} is registered.{number}"


def _patient(result: Result, _args: Result, _now: datetime | None) -> str:
    patient = result.get("patient") or {}
    born = f", born {birthday(patient['date_of_birth'])}" if patient.get("date_of_birth") else ""
    return f"I found {_patient_name(patient)}{born}."


def _intake(result: Result, args: Result, _now: datetime | None) -> str:
    intake = result.get("intake") or {}
    complaint = intake.get("chief_complaint") or args.get("chief_complaint")
    pain = intake.get("pain_level", args.get("pain_level"))
    level = f", with pain at {pain} out of 10" if pain is not None else ""
    return f"Thank you. I've noted: {complaint}{level}. A clinician will review it."


def _appointment_said(appointment: Any, now: datetime | None) -> str:
    if not isinstance(appointment, dict):
        return ""
    who = f" with {appointment['provider']}" if appointment.get("provider") else ""
    return f"{moment(appointment.get('start'), now, on=True)}{who}"


def _booked(result: Result, _args: Result, now: datetime | None) -> str:
    appointment = result.get("appointment") or {}
    reason = f" Reason: {appointment['reason']}." if appointment.get("reason") else ""
    return f"You're booked {_appointment_said(appointment, now)}.{reason}"


def _appointments(result: Result, args: Result, now: datetime | None) -> str:
    items = result.get("appointments") or []
    count = int(result.get("count", len(items)))
    kind = "upcoming " if args.get("upcoming_only", True) else ""
    if count == 0:
        return f"You have no {kind}appointments."
    if count == 1:
        return f"Your appointment is {_appointment_said(items[0], now)}."
    said = [_appointment_said(a, now) for a in items]
    return f"You have {plural(count, kind + 'appointment')}: {listing(said)}."


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
    "transfer_to_agent": _transfer,
    "get_available_departments": _departments,
    "start_mortgage_application": _application,
    "get_mortgage_application": _application_status,
    "update_mortgage_application": _application_updated,
    "calculate_mortgage_payment": _payment,
    "estimate_affordability": _affordability,
    "list_required_documents": _documents,
    "register_patient": _registered,
    "get_patient": _patient,
    "record_intake": _intake,
    "book_appointment": _booked,
    "get_appointments": _appointments,
    "check_availability": _availability,
    "create_reservation": _reserved,
    "get_reservation": _reservation,
    "update_reservation": _reservation_changed,
    "cancel_reservation": _cancelled,
}
