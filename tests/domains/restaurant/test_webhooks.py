"""Signed platform entries: ``/webhooks/hanok_table/reservation`` and the call-control status.

Signatures are made the way a platform makes them (HMAC-SHA256 of ``{timestamp}.{body}``);
replays are refused from the Redis signature cache, on the embedded and the real Redis.
"""

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from convonet.domains.restaurant.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.domains.restaurant.conftest import WEBHOOK_SECRET, ReservationsApi, next_weekday

pytestmark = pytest.mark.asyncio(loop_scope="module")  # one app per backend for the module
HOOK = "/webhooks/hanok_table/reservation"
STATUS = "/call-control/reservation/status"
ASK = "/webhooks/hanok_table/availability"
JSON = {"content-type": "application/json"}
THURSDAY = next_weekday(3).isoformat()


def signed(body: bytes, *, at: float | None = None, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body)}


async def post_event(http: httpx.AsyncClient, event: dict[str, Any]) -> httpx.Response:
    body = json.dumps(event).encode()
    headers = {"content-type": "application/json", **signed(body)}
    return await http.post(HOOK, content=body, headers=headers)


async def test_signing_timestamps_and_replays(reservations_api: ReservationsApi) -> None:
    http = reservations_api.http
    event = {
        "event": "reservation.created",
        "date": THURSDAY,
        "time": "19:00",
        "party_size": 2,
        "name": "Platform Guest",
        "phone": "+1 646 555 0199",
    }
    body = json.dumps(event).encode()
    json_type = {"content-type": "application/json"}
    now = time.time()
    for headers, says in [
        ({}, "unsigned"),
        ({TIMESTAMP_HEADER: str(int(now))}, "unsigned"),
        (signed(body, secret="not-the-secret"), "bad signature"),
        (
            {**signed(body, at=now), TIMESTAMP_HEADER: str(int(now) + 1)},
            "bad signature",
        ),  # re-dated
        ({TIMESTAMP_HEADER: "yesterday", SIGNATURE_HEADER: "sha256=00"}, "Unix seconds"),
        (signed(body, at=now - 320), "stale"),
        (signed(body, at=now + 320), "stale"),
    ]:
        answer = await http.post(HOOK, content=body, headers={**json_type, **headers})
        assert answer.status_code == 401, (headers, answer.text)
        assert says in answer.json()["detail"]
    # A body changed after signing is refused; invalid JSON from an unsigned sender is 401.
    good = signed(body)
    tampered = body.replace(b'"party_size": 2', b'"party_size": 8')
    assert (
        await http.post(HOOK, content=tampered, headers={**json_type, **good})
    ).status_code == 401
    assert (await http.post(HOOK, content=b"{not json", headers=json_type)).status_code == 401

    first = await http.post(HOOK, content=body, headers={**json_type, **good})
    assert first.status_code == 200, first.text
    made = first.json()["reservation"]
    assert (made["name"], made["table"], first.json()["event"]) == (
        "Platform Guest",
        "T1",
        "reservation.created",
    )
    replay = await http.post(HOOK, content=body, headers={**json_type, **good})
    assert replay.status_code == 409 and "replayed" in replay.json()["detail"]


async def test_events_go_through_the_one_service(reservations_api: ReservationsApi) -> None:
    http, staff = reservations_api.http, reservations_api.auth("staff")
    made = await post_event(
        http,
        {
            "event": "reservation.created",
            "date": THURSDAY,
            "time": "20:00",
            "party_size": 8,
            "name": "Big Table",
        },
    )
    code = made.json()["reservation"]["confirmation_code"]
    clash = await post_event(
        http,
        {
            "event": "reservation.created",
            "date": THURSDAY,
            "time": "20:30",
            "party_size": 7,
            "name": "Other",
        },
    )
    assert clash.status_code == 409 and clash.json()["detail"]["nearest_free_slot"]
    ask = json.dumps({"date": THURSDAY, "time": "20:30", "party_size": 7}).encode()
    free = await http.post(ASK, content=ask, headers={**JSON, **signed(ask)})
    assert free.status_code == 200, free.text
    assert free.json()["available"] is False
    assert free.json()["nearest_free_slot"] == clash.json()["detail"]["nearest_free_slot"]
    assert (await http.post(ASK, content=ask, headers=JSON)).status_code == 401

    moved = await post_event(
        http, {"event": "reservation.updated", "confirmation_code": code.lower(), "time": "18:00"}
    )
    assert moved.status_code == 200 and moved.json()["reservation"]["time"] == "18:00"
    rid = moved.json()["reservation"]["id"]
    seen = await http.get(f"/api/reservations/{rid}", headers=staff)
    assert seen.json()["time"] == "18:00"  # the REST API reads what the webhook wrote

    for event, status, says in [
        ({"event": "reservation.cancelled"}, 422, "id or confirmation_code"),
        (
            {"event": "reservation.cancelled", "confirmation_code": "ZZZ-9999"},
            404,
            "no reservation",
        ),
        ({"event": "reservation.created", "date": THURSDAY}, 422, "needs date, time"),
        ({"event": "reservation.eaten", "id": rid}, 422, "event"),
        ({"event": "reservation.updated", "id": "../../etc"}, 422, "id"),
    ]:
        answer = await post_event(http, event)
        assert answer.status_code == status, (event, answer.text)
        assert says in answer.text, (event, answer.text)
    gone = await post_event(http, {"event": "reservation.cancelled", "id": rid})
    assert gone.json()["reservation"]["status"] == "cancelled"
    listed = await http.get("/api/reservations", params={"status": "cancelled"}, headers=staff)
    assert [r["id"] for r in listed.json()["items"]] == [rid]


async def test_call_control_status(reservations_api: ReservationsApi) -> None:
    http, auth = reservations_api.http, reservations_api.auth
    made = await post_event(
        http,
        {
            "event": "reservation.created",
            "date": THURSDAY,
            "time": "12:00",
            "party_size": 3,
            "name": "Caller",
            "phone": "(212) 555-0142",
        },
    )
    code = made.json()["reservation"]["confirmation_code"]

    query = urlencode({"code": code})
    by_code = await http.get(f"{STATUS}?{query}", headers=signed(query.encode()))
    assert by_code.status_code == 200, by_code.text
    found = by_code.json()
    assert [r["confirmation_code"] for r in found["reservations"]] == [code]
    assert found["rules"]["timezone"] == "America/New_York" and "open_now" in found
    query = urlencode({"phone": "+12125550142"})
    by_phone = await http.get(f"{STATUS}?{query}", headers=signed(query.encode()))
    assert [r["confirmation_code"] for r in by_phone.json()["reservations"]] == [code]
    # The query is signed: the same signature with another query is refused.
    other = await http.get(f"{STATUS}?code=ABC-2345", headers=signed(query.encode()))
    assert other.status_code == 401

    assert (await http.get(STATUS)).status_code == 401
    assert (await http.get(STATUS, headers=auth("ann"))).status_code == 403
    staff = await http.get(STATUS, params={"code": "NOP-2345"}, headers=auth("staff"))
    assert staff.status_code == 404 and "no reservation" in staff.json()["detail"]
    plain = await http.get(STATUS, headers=auth("staff"))
    assert plain.status_code == 200 and plain.json()["reservations"] is None

    runtime, configured = reservations_api.runtime, reservations_api.runtime.settings
    runtime.settings = configured.model_copy(update={"hanok_webhook_secret": None})
    try:
        off = await post_event(http, {"event": "reservation.cancelled", "confirmation_code": code})
    finally:
        runtime.settings = configured
    assert off.status_code == 503 and "HANOK_WEBHOOK_SECRET" in off.json()["detail"]
