"""``/api/reservations``: public booking with limits, JWT access, 409 with the nearest slot."""

import asyncio
from typing import Any

import pytest

from tests.domains.restaurant.conftest import ReservationsApi, next_weekday

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one app per backend for the module
TUESDAY = next_weekday(1).isoformat()
WEDNESDAY = next_weekday(2).isoformat()
SUNDAY = next_weekday(6).isoformat()  # closed in the fixture's hours
GUEST = {"name": "Min-jun Park", "phone": "+1 212 555 0101"}


def booking(party: int, at: str, **extra: Any) -> dict[str, Any]:
    return {"date": TUESDAY, "time": at, "party_size": party, **GUEST, **extra}


async def test_public_booking_availability_conflict_and_rate_limit(
    reservations_api: ReservationsApi,
) -> None:
    http = reservations_api.http
    day = await http.get(
        "/api/reservations/availability", params={"date": TUESDAY, "party_size": 8}
    )
    assert day.status_code == 200, day.text
    slots = day.json()["slots"]
    assert (slots[0], slots[-1], len(slots)) == ("11:30", "22:00", 22)
    assert day.json()["timezone"] == "America/New_York"

    made = await http.post("/api/reservations", json=booking(8, "19:00"))
    assert made.status_code == 201, made.text
    first = made.json()
    assert (first["table"], first["status"], first["time"]) == ("T6", "confirmed", "19:00")

    # The only 8-top is held 19:00-20:30: 409 names the nearest free start and others nearby.
    clash = await http.post("/api/reservations", json=booking(8, "19:30"))
    assert clash.status_code == 409, clash.text
    detail = clash.json()["detail"]
    assert detail["nearest_free_slot"].startswith(f"{TUESDAY}T20:30:00-0")
    assert detail["alternatives"] == ["17:30", "20:30", "21:00"]
    assert "no table for 8" in detail["reason"]
    at = await http.get(
        "/api/reservations/availability",
        params={"date": TUESDAY, "time": "19:30", "party_size": 8},
    )
    assert at.json()["available"] is False
    assert at.json()["nearest_free_slot"] == detail["nearest_free_slot"]
    after = await http.get(
        "/api/reservations/availability", params={"date": TUESDAY, "party_size": 8}
    )
    assert "19:00" not in after.json()["slots"] and "20:30" in after.json()["slots"]

    nophone = await http.post("/api/reservations", json=booking(2, "12:00", phone=""))
    assert nophone.status_code == 422 and "phone" in nophone.json()["detail"]
    assert (await http.post("/api/reservations", json=booking(2, "12:00"))).status_code == 201
    # Four anonymous attempts per window from one address (the fixture's limit): then 429.
    limited = await http.post("/api/reservations", json=booking(2, "12:30"))
    assert limited.status_code == 429, limited.text
    assert int(limited.headers["retry-after"]) > 0
    # A signed-in user is not limited and needs no phone.
    mine = await http.post(
        "/api/reservations",
        json=booking(2, "12:30", phone=""),
        headers=reservations_api.auth("ann"),
    )
    assert mine.status_code == 201, mine.text


async def test_signed_in_access_changes_and_cancellation(reservations_api: ReservationsApi) -> None:
    http, auth = reservations_api.http, reservations_api.auth
    day = {"date_from": WEDNESDAY, "date_to": WEDNESDAY}  # this test's bookings only
    assert (await http.get("/api/reservations")).status_code == 401
    forged = {"Authorization": "Bearer not-a-token"}
    assert (
        await http.post(
            "/api/reservations", json=booking(2, "18:00", date=WEDNESDAY), headers=forged
        )
    ).status_code == 401

    ann = (
        await http.post(
            "/api/reservations", json=booking(4, "18:00", date=WEDNESDAY), headers=auth("ann")
        )
    ).json()
    bob = (
        await http.post(
            "/api/reservations", json=booking(2, "18:00", date=WEDNESDAY), headers=auth("bob")
        )
    ).json()
    own = (await http.get("/api/reservations", params=day, headers=auth("ann"))).json()
    assert [r["id"] for r in own["items"]] == [ann["id"]] and own["total"] == 1
    everyone = (await http.get("/api/reservations", params=day, headers=auth("staff"))).json()
    assert {r["id"] for r in everyone["items"]} == {ann["id"], bob["id"]}
    assert (
        await http.get(f"/api/reservations/{bob['id']}", headers=auth("ann"))
    ).status_code == 404
    found = await http.get(
        "/api/reservations", params={"q": ann["confirmation_code"]}, headers=auth("staff")
    )
    assert [r["id"] for r in found.json()["items"]] == [ann["id"]]

    path = f"/api/reservations/{ann['id']}"
    moved = await http.patch(path, json={"time": "18:30", "party_size": 6}, headers=auth("ann"))
    assert moved.status_code == 200, moved.text
    assert (moved.json()["time"], moved.json()["table"]) == ("18:30", "T5")
    assert (await http.patch(path, json={"table": "T6"}, headers=auth("ann"))).status_code == 403
    assert (await http.patch(path, json={}, headers=auth("ann"))).status_code == 422
    # Staff move bob's party onto T5, which ann's party holds then: a double booking.
    taken = await http.patch(
        f"/api/reservations/{bob['id']}",
        json={"table": "T5", "time": "18:30"},
        headers=auth("staff"),
    )
    assert taken.status_code == 409, taken.text
    assert "table T5 is taken" in taken.json()["detail"]["reason"]
    assert taken.json()["detail"]["nearest_free_slot"].startswith(f"{WEDNESDAY}T")

    cancelled = await http.delete(path, headers=auth("ann"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await http.delete(path, headers=auth("ann"))
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    listed = await http.get(
        "/api/reservations", params={"status": "cancelled", **day}, headers=auth("staff")
    )
    assert [r["id"] for r in listed.json()["items"]] == [ann["id"]]


async def test_bad_input_gets_a_reason(reservations_api: ReservationsApi) -> None:
    http, staff = reservations_api.http, reservations_api.auth("staff")
    for params, status, says in [
        ({"date": SUNDAY, "time": "19:00", "party_size": 2}, 200, "closed on Sundays"),
        ({"date": TUESDAY, "time": "23:30", "party_size": 2}, 200, "between 11:30 and 22:00"),
        ({"date": TUESDAY, "time": "19:00", "party_size": 21}, 422, "parties of up to 20"),
        ({"date": TUESDAY, "party_size": 0}, 422, "party_size"),
        ({"date": "next tuesday", "party_size": 2}, 422, "date"),
        ({"date": "2020-01-07", "time": "19:00", "party_size": 2}, 200, "already passed"),
    ]:
        answer = await http.get("/api/reservations/availability", params=params)
        assert answer.status_code == status, (params, answer.text)
        assert says in answer.text, (params, answer.text)
    sunday = await http.get(
        "/api/reservations/availability", params={"date": SUNDAY, "party_size": 2}
    )
    assert sunday.json()["slots"] == []

    for body, says in [
        (booking(2, "23:30"), "between 11:30 and 22:00"),
        (booking(2, "19:00", date=SUNDAY), "closed on Sundays"),
        (booking(2, "19:00", tables="T1"), "extra"),
        (booking(2, "19:00", name="  "), "name"),
        (booking(2, "19:00", table="T99"), "no table 'T99'"),
        (booking(4, "19:00", table="T1"), "table T1 seats 2"),
    ]:
        answer = await http.post("/api/reservations", json=body, headers=staff)
        assert answer.status_code == 422, (body, answer.text)
        assert says in answer.text, (body, answer.text)

    for path, params in [
        ("/api/reservations/not-an-id", {}),
        ("/api/reservations", {"status": "eaten"}),
        ("/api/reservations", {"date_from": TUESDAY, "date_to": "2020-01-01"}),
        ("/api/reservations", {"limit": 0}),
    ]:
        answer = await http.get(path, params=params, headers=staff)
        assert answer.status_code == 422, (path, params, answer.text)
    missing = await http.get(f"/api/reservations/{'0' * 32}", headers=staff)
    assert missing.status_code == 404 and "no reservation" in missing.json()["detail"]


async def test_concurrent_bookings_of_the_last_table_never_double_book(
    reservations_api: ReservationsApi,
) -> None:
    http, staff = reservations_api.http, reservations_api.auth("staff")
    friday = next_weekday(4).isoformat()
    race = [
        http.post("/api/reservations", json=booking(8, "20:00", date=friday), headers=staff)
        for _ in range(4)
    ]
    answers = await asyncio.gather(*race)
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
