"""Calendar tools over MCP, on SQLite and PostgreSQL: ranges, durations, teams, isolation."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from convonet.domains.productivity.models import CalendarEvent
from tests.fakes.mcp_harness import ToolCallError, tool_harness

ZONE = "Europe/Paris"


def _day(offset: int) -> date:
    return datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=offset)


async def test_create_list_update_delete(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["calendar"]) as tools:
        ann = await tools.user("ann@example.com", "Ann", timezone=ZONE)
        soon, later = _day(1), _day(10)
        made = await tools.call(
            "create_calendar_event",
            {"title": "standup", "start": f"{soon}T09:00", "location": "room B"},
            user=ann,
        )
        event = made["event"]
        offset = datetime(soon.year, soon.month, soon.day, 9, tzinfo=ZoneInfo(ZONE)).strftime("%z")
        assert event["start"] == f"{soon}T09:00:00{offset[:3]}:{offset[3:]}"
        assert event["end"].startswith(f"{soon}T10:00:00")
        assert event["location"] == "room B" and event["all_day"] is False
        await tools.call(
            "create_calendar_event",
            {"title": "offsite", "start": f"{later}T13:00", "end": f"{later}T17:30"},
            user=ann,
        )
        default = await tools.call("get_calendar_events", user=ann)
        assert [e["title"] for e in default["events"]] == ["standup"] and default["count"] == 1
        wide = await tools.call(
            "get_calendar_events", {"start_date": str(soon), "end_date": str(later)}, user=ann
        )
        assert [e["title"] for e in wide["events"]] == ["standup", "offsite"]
        only_later = await tools.call(
            "get_calendar_events", {"start_date": str(later), "end_date": str(later)}, user=ann
        )
        assert [e["title"] for e in only_later["events"]] == ["offsite"]

        # A new start without an end keeps the length; an explicit end replaces it.
        moved = await tools.call(
            "update_calendar_event", {"title": "OFFSITE", "start": f"{later}T14:00"}, user=ann
        )
        assert moved["event"]["start"].startswith(f"{later}T14:00")
        assert moved["event"]["end"].startswith(f"{later}T18:30")
        renamed = await tools.call(
            "update_calendar_event",
            {"event_id": event["id"], "new_title": "daily standup", "end": f"{soon}T09:15"},
            user=ann,
        )
        assert renamed["event"]["title"] == "daily standup"
        assert renamed["event"]["end"].startswith(f"{soon}T09:15")
        gone = await tools.call("delete_calendar_event", {"title": "daily standup"}, user=ann)
        assert gone["deleted"]["id"] == event["id"]
        assert (await tools.call("get_calendar_events", user=ann))["count"] == 0


async def test_all_day_events_and_stored_utc(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["calendar"]) as tools:
        ann = await tools.user("ann@example.com", "Ann", timezone="America/New_York")
        made = await tools.call(
            "create_calendar_event", {"title": "holiday", "start": "2030-07-04"}, user=ann
        )
        assert made["event"]["all_day"] is True
        assert made["event"]["start"] == "2030-07-04T00:00:00-04:00"
        assert made["event"]["end"] == "2030-07-05T00:00:00-04:00"
        async with tools.resources.db.session() as session:
            stored = await session.get(CalendarEvent, made["event"]["id"])
            assert stored is not None
            assert stored.start_at == datetime(2030, 7, 4, 4, tzinfo=UTC)
        listed = await tools.call(
            "get_calendar_events", {"start_date": "2030-07-04", "end_date": "2030-07-04"}, user=ann
        )
        assert listed["count"] == 1
        day_after = await tools.call("get_calendar_events", {"start_date": "2030-07-05"}, user=ann)
        assert day_after["count"] == 0


async def test_users_never_see_or_change_each_others_events(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["calendar"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        bob = await tools.user("bob@example.com", "Bob")
        start = f"{_day(1)}T12:00"
        secret = (
            await tools.call(
                "create_calendar_event", {"title": "ann's secret", "start": start}, user=ann
            )
        )["event"]
        assert (await tools.call("get_calendar_events", user=bob))["events"] == []
        for name, args in [
            ("update_calendar_event", {"event_id": secret["id"], "new_title": "hacked"}),
            ("delete_calendar_event", {"event_id": secret["id"]}),
            ("update_calendar_event", {"title": "ann's secret", "start": f"{_day(2)}T08:00"}),
            ("delete_calendar_event", {"title": "secret"}),
        ]:
            with pytest.raises(ToolCallError, match=r"no (calendar )?event"):
                await tools.call(name, args, user=bob)
        kept = (await tools.call("get_calendar_events", user=ann))["events"]
        assert kept == [secret]


async def test_team_events_are_shared_with_members_only(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["calendar", "team"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        bob = await tools.user("bob@example.com", "Bob")
        eve = await tools.user("eve@example.com", "Eve")
        team = (await tools.call("create_team", {"name": "Ops"}, user=ann))["team"]
        await tools.call(
            "add_team_member", {"team_id": team["id"], "email": "bob@example.com"}, user=ann
        )
        start = datetime.now(UTC) + timedelta(days=1)
        async with tools.resources.db.session() as session:
            event = CalendarEvent(
                user_id=ann, team_id=team["id"], title="team sync", start_at=start, end_at=start
            )
            session.add(event)
        titles = [e["title"] for e in (await tools.call("get_calendar_events", user=bob))["events"]]
        assert titles == ["team sync"]
        assert (await tools.call("get_calendar_events", user=eve))["count"] == 0
        with pytest.raises(ToolCallError, match="creator or a team owner"):
            await tools.call("delete_calendar_event", {"title": "team sync"}, user=bob)
        with pytest.raises(ToolCallError, match="no event"):
            await tools.call("delete_calendar_event", {"title": "team sync"}, user=eve)
        await tools.call(
            "change_member_role",
            {"team_id": team["id"], "email": "bob@example.com", "role": "admin"},
            user=ann,
        )
        assert (await tools.call("delete_calendar_event", {"title": "sync"}, user=bob))["deleted"]


async def test_bad_arguments_are_readable_tool_errors(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["calendar"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        start = f"{_day(3)}T10:00"
        with pytest.raises(ToolCallError, match="end before it starts"):
            await tools.call(
                "create_calendar_event",
                {"title": "x", "start": start, "end": f"{_day(3)}T09:00"},
                user=ann,
            )
        with pytest.raises(ToolCallError, match="not a date-time"):
            await tools.call(
                "create_calendar_event", {"title": "x", "start": "half past never"}, user=ann
            )
        with pytest.raises(ToolCallError, match="not a date"):
            await tools.call("get_calendar_events", {"start_date": "soonish"}, user=ann)
        with pytest.raises(ToolCallError, match="end date is before"):
            await tools.call(
                "get_calendar_events",
                {"start_date": str(_day(5)), "end_date": str(_day(1))},
                user=ann,
            )
        with pytest.raises(ToolCallError, match="say what the event is"):
            await tools.call("create_calendar_event", {"title": " ", "start": start}, user=ann)
        with pytest.raises(ToolCallError, match="which event"):
            await tools.call("delete_calendar_event", {}, user=ann)
        await tools.call(
            "create_calendar_event", {"title": "lunch with Sam", "start": start}, user=ann
        )
        await tools.call(
            "create_calendar_event", {"title": "lunch with Jo", "start": start}, user=ann
        )
        with pytest.raises(ToolCallError, match="several events"):
            await tools.call("delete_calendar_event", {"title": "lunch"}, user=ann)
        with pytest.raises(ToolCallError, match="end before it starts"):
            await tools.call(
                "update_calendar_event",
                {"title": "lunch with Jo", "end": f"{_day(2)}T10:00"},
                user=ann,
            )
        assert (await tools.call("get_calendar_events", user=ann))["count"] == 2


async def test_sql_ish_text_and_google_status(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["calendar"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        title = "x'); DROP TABLE calendar_events; --"
        await tools.call(
            "create_calendar_event",
            {"title": title, "start": f"{_day(1)}T10:00", "location": "'; --"},
            user=ann,
        )
        got = (await tools.call("get_calendar_events", user=ann))["events"][0]
        assert (got["title"], got["location"]) == (title, "'; --")
        message = "Google Calendar is not connected; events are kept in the Convonet calendar."
        assert await tools.call("sync_google_calendar_events", user=ann) == {
            "status": "not_configured",
            "message": message,
        }
        assert await tools.call("test_google_calendar", user=ann) == {
            "configured": False,
            "status": "not_configured",
            "message": message,
        }
        with pytest.raises(ToolCallError, match="account"):
            await tools.call("sync_google_calendar_events", user="0" * 32)
