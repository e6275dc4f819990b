"""Restaurant tools over MCP: table assignment, availability, codes, changes, isolation."""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from convonet.domains.restaurant.models import RestaurantTable
from convonet.domains.restaurant.seed import TABLES
from tests.fakes.mcp_harness import ToolCallError, ToolHarness, tool_harness

GROUPS = ["restaurant"]
NEW_YORK = ZoneInfo("America/New_York")
TOMORROW = (datetime.now(NEW_YORK) + timedelta(days=1)).date().isoformat()
CODE = re.compile(r"[A-HJKMNP-Z]{3}-[A-HJKMNP-Z2-9]{4}")


async def setup(tools: ToolHarness) -> tuple[str, str]:
    """The seed's dining room (2, 2, 4, 4, 6 and 8 seats) and two New York users."""
    async with tools.resources.db.session() as session:
        for label, seats, area in TABLES:
            session.add(RestaurantTable(label=label, seats=seats, area=area))
        session.add(RestaurantTable(label="Broken", seats=10, area="main", is_active=False))
    ann = await tools.user("ann@example.com", "Ann", timezone="America/New_York")
    bob = await tools.user("bob@example.com", "Bob", timezone="America/New_York")
    return ann, bob


async def book(tools: ToolHarness, user: str, party: int, at: str, **extra: Any) -> dict[str, Any]:
    args = {"date": TOMORROW, "time": at, "party_size": party, "name": "Ann Lee", **extra}
    return dict((await tools.call("create_reservation", args, user=user))["reservation"])


async def test_smallest_free_table_and_alternatives(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann, _bob = await setup(tools)
        check = {"date": TOMORROW, "time": "19:00", "party_size": 2}
        free = await tools.call("check_availability", check, user=ann)
        assert free["available"] is True and free["table"]["seats"] == 2

        pairs = [await book(tools, ann, 2, "19:00") for _ in range(3)]
        assert [p["table"] for p in pairs] == ["T1", "T2", "T3"]  # then the smallest 4-top
        assert all(CODE.fullmatch(p["confirmation_code"]) for p in pairs)
        assert len({p["confirmation_code"] for p in pairs}) == 3
        first = pairs[0]
        assert (first["date"], first["time"], first["status"]) == (TOMORROW, "19:00", "confirmed")
        assert first["start"].startswith(f"{TOMORROW}T19:00:00-0")  # New York time
        assert (await book(tools, ann, 3, "19:15"))["table"] == "T4"
        assert (await book(tools, ann, 7, "19:00"))["table"] == "T6"

        # The only 8-top is taken 19:00-20:30: free again from 20:30, and up to 17:30.
        full = await tools.call(
            "check_availability", check | {"party_size": 7, "time": "19:30"}, user=ann
        )
        assert full["available"] is False
        assert full["alternatives"] == ["17:30", "20:30", "21:00"]
        with pytest.raises(ToolCallError, match=r"no table for 7 .*nearby: 17:30, 20:30, 21:00"):
            await book(tools, ann, 7, "19:30")
        assert (await book(tools, ann, 7, "20:30"))["table"] == "T6"

        huge = await tools.call("check_availability", check | {"party_size": 12}, user=ann)
        assert huge["available"] is False and huge["alternatives"] == []
        assert "largest table seats 8" in huge["reason"]
        late = await tools.call("check_availability", check | {"time": "23:30"}, user=ann)
        assert late["available"] is False and "between 11:30 and 22:00" in late["reason"]
        assert late["alternatives"] == ["21:00", "21:30", "22:00"]


async def test_get_update_and_cancel(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann, _bob = await setup(tools)
        late = await book(tools, ann, 4, "20:00")
        early = await book(tools, ann, 2, "18:00", special_requests="window seat")
        assert (await tools.call("get_reservation", user=ann))["reservation"]["id"] == early["id"]
        spoken = early["confirmation_code"].replace("-", " ").lower()
        by_code = await tools.call("get_reservation", {"confirmation_code": spoken}, user=ann)
        assert by_code["reservation"]["special_requests"] == "window seat"
        by_id = await tools.call("get_reservation", {"reservation_id": late["id"]}, user=ann)
        assert by_id["reservation"]["party_size"] == 4

        blocker = await book(tools, ann, 8, "21:00")
        moved = await tools.call(
            "update_reservation",
            {"confirmation_code": early["confirmation_code"], "time": "18:30", "party_size": 6},
            user=ann,
        )
        assert (moved["reservation"]["time"], moved["reservation"]["table"]) == ("18:30", "T5")
        with pytest.raises(ToolCallError, match="no table for 8"):
            await tools.call(
                "update_reservation", {"reservation_id": late["id"], "party_size": 8}, user=ann
            )
        # Moving a reservation within its own sitting does not collide with itself.
        nudged = await tools.call(
            "update_reservation",
            {"reservation_id": blocker["id"], "time": "21:15", "special_requests": "cake"},
            user=ann,
        )
        assert nudged["reservation"]["table"] == "T6"
        assert nudged["reservation"]["special_requests"] == "cake"

        cancelled = await tools.call(
            "cancel_reservation", {"confirmation_code": blocker["confirmation_code"]}, user=ann
        )
        assert cancelled["reservation"]["status"] == "cancelled"
        assert (await book(tools, ann, 8, "21:00"))["table"] == "T6"  # the table is free again
        for name, args in [
            ("cancel_reservation", {"reservation_id": blocker["id"]}),
            ("update_reservation", {"reservation_id": blocker["id"], "party_size": 2}),
        ]:
            with pytest.raises(ToolCallError, match="cancelled and can't be changed"):
                await tools.call(name, args, user=ann)
        with pytest.raises(ToolCallError, match="say what to change"):
            await tools.call("update_reservation", {"reservation_id": late["id"]}, user=ann)


async def test_users_never_see_or_change_each_others_reservations(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann, bob = await setup(tools)
        mine = await book(tools, ann, 2, "19:00")
        with pytest.raises(ToolCallError, match="no upcoming reservation"):
            await tools.call("get_reservation", user=bob)
        with pytest.raises(ToolCallError, match="no upcoming reservation"):
            await tools.call("cancel_reservation", user=bob)
        code, rid = mine["confirmation_code"], mine["id"]
        for name, args in [
            ("get_reservation", {"confirmation_code": code}),
            ("update_reservation", {"confirmation_code": code, "party_size": 4}),
            ("cancel_reservation", {"confirmation_code": code}),
        ]:
            with pytest.raises(ToolCallError, match="no reservation with code"):
                await tools.call(name, args, user=bob)
        for name, args in [
            ("get_reservation", {"reservation_id": rid}),
            ("update_reservation", {"reservation_id": rid, "time": "20:00"}),
            ("cancel_reservation", {"reservation_id": rid}),
        ]:
            with pytest.raises(ToolCallError, match="no reservation with id"):
                await tools.call(name, args, user=bob)
        still = (await tools.call("get_reservation", user=ann))["reservation"]
        assert (still["status"], still["time"], still["party_size"]) == ("confirmed", "19:00", 2)


async def test_bad_arguments_and_sql_ish_text(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann, _bob = await setup(tools)
        yesterday = (datetime.now(NEW_YORK) - timedelta(days=1)).date().isoformat()
        next_year = (datetime.now(NEW_YORK) + timedelta(days=365)).date().isoformat()
        base = {"date": TOMORROW, "time": "19:00", "party_size": 2, "name": "Ann"}
        for args, message in [
            ({"party_size": 0}, "party size must be between 1 and 20"),
            ({"party_size": 21}, "parties of up to 20"),
            ({"date": yesterday}, "already passed"),
            ({"date": next_year}, "up to 180 days ahead"),
            ({"time": "23:30"}, "between 11:30 and 22:00"),
            ({"date": "tomorrow"}, "not a date"),
            ({"time": "7pm"}, "not a time"),
            ({"name": "   "}, "give the name"),
            ({"name": ""}, "name"),
            ({"party_size": "two"}, "party_size"),
        ]:
            with pytest.raises(ToolCallError, match=message):
                await tools.call("create_reservation", base | args, user=ann)

        name = "Robert'); DROP TABLE reservations; --"
        requests = 'no nuts"; DELETE FROM restaurant_tables; --'
        made = await book(tools, ann, 2, "19:00", name=name, special_requests=requests)
        got = (await tools.call("get_reservation", {"reservation_id": made["id"]}, user=ann))[
            "reservation"
        ]
        assert (got["name"], got["special_requests"]) == (name, requests)
        with pytest.raises(ToolCallError, match="no reservation with code"):
            await tools.call("get_reservation", {"confirmation_code": "' OR 1=1 --"}, user=ann)
