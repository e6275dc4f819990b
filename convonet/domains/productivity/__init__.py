"""Productivity: to-dos, teams, reminders and the calendar (four tool groups, one agent)."""

from convonet.domains.spec import Capability, Domain, IntentGroup

_INTENTS = "convonet.domains.productivity.intents"

DOMAIN = Domain(
    name="productivity",
    order=10,
    summary="your to-dos, reminders and calendar",
    tool_groups={
        "todo": "convonet.domains.productivity.tools.todo",
        "team": "convonet.domains.productivity.tools.team",
        "reminders": "convonet.domains.productivity.tools.reminders",
        "calendar": "convonet.domains.productivity.tools.calendar",
    },
    capabilities=(
        Capability(
            "manage your to-do list",
            "your to-dos",
            frozenset({"create_todo", "get_todos", "complete_todo", "update_todo", "delete_todo"}),
        ),
        Capability(
            "manage your teams and team tasks",
            "teams",
            frozenset(
                {
                    "create_team",
                    "get_teams",
                    "get_team_members",
                    "create_team_todo",
                    "add_team_member",
                    "remove_team_member",
                    "change_member_role",
                    "search_users",
                }
            ),
        ),
        Capability(
            "set and check reminders",
            "reminders",
            frozenset({"create_reminder", "get_reminders", "update_reminder", "delete_reminder"}),
        ),
        Capability(
            "manage your calendar",
            "your calendar",
            frozenset(
                {
                    "create_calendar_event",
                    "get_calendar_events",
                    "update_calendar_event",
                    "delete_calendar_event",
                    "sync_google_calendar_events",
                    "test_google_calendar",
                }
            ),
        ),
    ),
    # The bot's first domain answers everything no keyword claims, so it needs none.
    keywords=(),
    intents=(
        IntentGroup(f"{_INTENTS}.planner", "REMINDER_INTENTS", rank=10),
        IntentGroup(f"{_INTENTS}.teams", rank=40),
        IntentGroup(f"{_INTENTS}.todos", rank=50),
        IntentGroup(f"{_INTENTS}.planner", "CALENDAR_INTENTS", rank=60),
    ),
    phrasing="convonet.domains.productivity.phrasing",
    models="convonet.domains.productivity.models",
    seed="convonet.domains.productivity.seed",
)
