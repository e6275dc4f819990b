"""Reminder tools over MCP, on SQLite and PostgreSQL: timezones, past reminders, isolation."""

from datetime import UTC, datetime, timedelta

import pytest

from convonet.domains.productivity.models import Reminder
from tests.fakes.mcp_harness import ToolCallError, tool_harness

NEXT_YEAR = datetime.now(UTC).year + 1


async def test_create_list_update_delete_in_the_users_zone(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["reminders"]) as tools:
        ann = await tools.user("ann@example.com", "Ann", timezone="America/New_York")
        made = await tools.call(
            "create_reminder",
            {
                "title": "dentist",
                "remind_at": f"{NEXT_YEAR}-07-01T09:30",
                "description": "bring card",
            },
            user=ann,
        )
        reminder = made["reminder"]
        assert reminder["remind_at"] == f"{NEXT_YEAR}-07-01T09:30:00-04:00"
        assert reminder["description"] == "bring card" and reminder["dismissed"] is False
        async with tools.resources.db.session() as session:
            stored = await session.get(Reminder, reminder["id"])
            assert stored is not None
            assert stored.remind_at == datetime(NEXT_YEAR, 7, 1, 13, 30, tzinfo=UTC)
        # An explicit offset is honoured, and reported back in the user's zone.
        await tools.call(
            "create_reminder",
            {"title": "call mom", "remind_at": f"{NEXT_YEAR}-01-05T12:00Z"},
            user=ann,
        )
        listed = await tools.call("get_reminders", user=ann)
        assert [(r["title"], r["remind_at"]) for r in listed["reminders"]] == [
            ("call mom", f"{NEXT_YEAR}-01-05T07:00:00-05:00"),
            ("dentist", f"{NEXT_YEAR}-07-01T09:30:00-04:00"),
        ]
        assert listed["count"] == 2
        assert len((await tools.call("get_reminders", {"limit": 1}, user=ann))["reminders"]) == 1

        moved = await tools.call(
            "update_reminder",
            {
                "title": "DENT",
                "remind_at": f"{NEXT_YEAR}-07-02T08:00",
                "new_title": "dentist visit",
            },
            user=ann,
        )
        assert moved["reminder"]["title"] == "dentist visit"
        assert moved["reminder"]["remind_at"] == f"{NEXT_YEAR}-07-02T08:00:00-04:00"
        assert moved["reminder"]["description"] == "bring card"
        deleted = await tools.call("delete_reminder", {"reminder_id": reminder["id"]}, user=ann)
        assert deleted["deleted"]["title"] == "dentist visit"
        assert [r["title"] for r in (await tools.call("get_reminders", user=ann))["reminders"]] == [
            "call mom"
        ]


async def test_past_reminders_only_on_request(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["reminders"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        async with tools.resources.db.session() as session:
            session.add(
                Reminder(
                    user_id=ann, title="vitamins", remind_at=datetime.now(UTC) - timedelta(days=1)
                )
            )
        await tools.call(
            "create_reminder",
            {"title": "vitamins", "remind_at": f"{NEXT_YEAR}-03-01T08:00"},
            user=ann,
        )
        upcoming = await tools.call("get_reminders", user=ann)
        assert upcoming["count"] == 1
        assert upcoming["reminders"][0]["remind_at"].startswith(f"{NEXT_YEAR}-03-01")
        everything = await tools.call("get_reminders", {"include_past": True}, user=ann)
        assert everything["count"] == 2
        # Naming "vitamins" means the upcoming one, not yesterday's.
        gone = await tools.call("delete_reminder", {"title": "vitamins"}, user=ann)
        assert gone["deleted"]["remind_at"].startswith(f"{NEXT_YEAR}-03-01")
        assert (await tools.call("get_reminders", user=ann))["count"] == 0
        assert (await tools.call("get_reminders", {"include_past": True}, user=ann))["count"] == 1


async def test_users_never_see_or_change_each_others_reminders(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["reminders"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        bob = await tools.user("bob@example.com", "Bob")
        secret = (
            await tools.call(
                "create_reminder",
                {"title": "ann's secret", "remind_at": f"{NEXT_YEAR}-02-02T10:00"},
                user=ann,
            )
        )["reminder"]
        assert (await tools.call("get_reminders", {"include_past": True}, user=bob))["count"] == 0
        for name, args in [
            ("update_reminder", {"reminder_id": secret["id"], "new_title": "hacked"}),
            ("delete_reminder", {"reminder_id": secret["id"]}),
            ("update_reminder", {"title": "ann's secret", "remind_at": f"{NEXT_YEAR}-02-03T10:00"}),
            ("delete_reminder", {"title": "secret"}),
        ]:
            with pytest.raises(ToolCallError, match="no reminder"):
                await tools.call(name, args, user=bob)
        kept = (await tools.call("get_reminders", user=ann))["reminders"]
        assert [(r["title"], r["remind_at"]) for r in kept] == [
            ("ann's secret", secret["remind_at"])
        ]


async def test_bad_arguments_are_readable_tool_errors(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["reminders"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        future = f"{NEXT_YEAR}-04-04T10:00"
        with pytest.raises(ToolCallError, match="not a date-time"):
            await tools.call(
                "create_reminder", {"title": "x", "remind_at": "tomorrowish"}, user=ann
            )
        with pytest.raises(ToolCallError, match="in the past"):
            await tools.call(
                "create_reminder", {"title": "x", "remind_at": "2001-01-01T09:00"}, user=ann
            )
        with pytest.raises(ToolCallError, match="remind_at"):
            await tools.call("create_reminder", {"title": "x"}, user=ann)
        with pytest.raises(ToolCallError, match="reminder is about"):
            await tools.call("create_reminder", {"title": "  ", "remind_at": future}, user=ann)
        with pytest.raises(ToolCallError, match="which reminder"):
            await tools.call("delete_reminder", {}, user=ann)
        await tools.call(
            "create_reminder", {"title": "water plants", "remind_at": future}, user=ann
        )
        await tools.call(
            "create_reminder", {"title": "water garden", "remind_at": future}, user=ann
        )
        with pytest.raises(ToolCallError, match="several reminders"):
            await tools.call("delete_reminder", {"title": "water"}, user=ann)
        with pytest.raises(ToolCallError, match="in the past"):
            await tools.call(
                "update_reminder",
                {"title": "water plants", "remind_at": "2001-01-01T09:00"},
                user=ann,
            )
        assert (await tools.call("get_reminders", user=ann))["count"] == 2


async def test_sql_ish_text_is_just_text(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["reminders"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        title = "x'); DELETE FROM reminders; --"
        notes = "%' OR '1'='1"
        await tools.call(
            "create_reminder",
            {"title": title, "remind_at": f"{NEXT_YEAR}-05-05T05:05", "description": notes},
            user=ann,
        )
        got = (await tools.call("get_reminders", user=ann))["reminders"][0]
        assert (got["title"], got["description"]) == (title, notes)
        assert (await tools.call("delete_reminder", {"title": title}, user=ann))["deleted"]["id"]
