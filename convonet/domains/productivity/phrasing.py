"""Replies from the results of the to-do, team, reminder and calendar tools."""

from datetime import datetime
from typing import Any

from convonet.agents.offline.phrasing.base import Phraser, Result
from convonet.agents.offline.phrasing.speech import article, listing, moment, plural, the_team


def _title(item: Any, fallback: str = "it") -> str:
    return str(item.get("title") or fallback) if isinstance(item, dict) else fallback


def _due(todo: Result, now: datetime | None) -> str:
    due = todo.get("due_date")
    return f", due {moment(due, now)}" if due else ""


def _created_todo(result: Result, _args: Result, now: datetime | None) -> str:
    todo = result.get("todo") or {}
    flag = {"urgent": " as urgent", "high": " as high priority"}.get(str(todo.get("priority")), "")
    return f"Added {_title(todo)} to your to-do list{flag}{_due(todo, now)}."


def _todos(result: Result, args: Result, _now: datetime | None) -> str:
    todos = result.get("todos") or []
    count = int(result.get("count", len(todos)))
    status = args.get("status", "open")
    kind = {"open": "open ", "completed": "completed "}.get(status, "")
    if count == 0:
        return "Your to-do list is empty." if kind == "open " else f"You have no {kind}to-dos."
    titles = [_title(t) for t in todos]
    return f"You have {plural(count, kind + 'to-do')}: {listing(titles)}."


def _completed(result: Result, _args: Result, _now: datetime | None) -> str:
    return f"Nice work! I marked {_title(result.get('todo'))} as done."


def _updated_todo(result: Result, _args: Result, now: datetime | None) -> str:
    todo = result.get("todo") or {}
    return f"Updated {_title(todo)}: {todo.get('priority', 'medium')} priority{_due(todo, now)}."


def _deleted(kind: str) -> Phraser:
    def phrase(result: Result, _args: Result, _now: datetime | None) -> str:
        return f"Deleted the {kind} {_title(result.get('deleted'))}."

    return phrase


def _team_name(result: Result, args: Result) -> str:
    team = result.get("team")
    if isinstance(team, dict) and team.get("name"):
        return str(team["name"])
    return str(args.get("team_name") or args.get("name") or "team")


def _created_team(result: Result, args: Result, _now: datetime | None) -> str:
    return f"Created the team {_team_name(result, args)}. You're its owner."


def _teams(result: Result, _args: Result, _now: datetime | None) -> str:
    teams = result.get("teams") or []
    if not teams:
        return "You're not on any team yet."
    names = [
        f"{t.get('name')} ({t['role']})" if t.get("role") else str(t.get("name")) for t in teams
    ]
    return f"You're on {plural(len(teams), 'team')}: {listing(names)}."


def _person(member: Any) -> str:
    if not isinstance(member, dict):
        return "them"
    return str(member.get("name") or member.get("email") or "them")


def _members(result: Result, args: Result, _now: datetime | None) -> str:
    members = result.get("members") or []
    team = _team_name(result, args)
    if not members:
        return f"{team} has no members yet."
    names = [f"{_person(m)} ({m['role']})" if m.get("role") else _person(m) for m in members]
    return f"{team} has {plural(len(members), 'member')}: {listing(names)}."


def _team_todo(result: Result, args: Result, now: datetime | None) -> str:
    todo = result.get("todo") or {}
    who = f", assigned to {args['assignee_email']}" if args.get("assignee_email") else ""
    team = the_team(_team_name(result, args))
    return f"Added {_title(todo)} to {team}'s tasks{who}{_due(todo, now)}."


def _member_added(result: Result, args: Result, _now: datetime | None) -> str:
    member = result.get("member") or {}
    role = str(member.get("role") or args.get("role") or "member")
    team = the_team(_team_name(result, args))
    who = _person(member) if member else args.get("email")
    return f"Added {who} to {team} as {article(role)}."


def _member_removed(result: Result, args: Result, _now: datetime | None) -> str:
    removed = result.get("removed") or {}
    team = the_team(_team_name(result, args))
    return f"Removed {_person(removed) if removed else args.get('email')} from {team}."


def _role_changed(result: Result, args: Result, _now: datetime | None) -> str:
    member = result.get("member") or {}
    return f"{_person(member)} is now {article(str(member.get('role') or args.get('role')))}."


def _users(result: Result, _args: Result, _now: datetime | None) -> str:
    users = result.get("users") or []
    if not users:
        return "I couldn't find anyone by that name."
    found = [
        f"{u.get('name')} ({u.get('email')})" if u.get("email") else str(u.get("name"))
        for u in users
    ]
    return f"I found {plural(len(users), 'person', 'people')}: {listing(found)}."


def _reminder_when(item: Any, now: datetime | None, *, on: bool = False) -> str:
    return moment(item.get("remind_at"), now, on=on) if isinstance(item, dict) else ""


def _reminder(result: Result, _args: Result, now: datetime | None) -> str:
    reminder = result.get("reminder") or {}
    return f"Reminder set for {_reminder_when(reminder, now)}: {_title(reminder)}."


def _reminders(result: Result, _args: Result, now: datetime | None) -> str:
    items = result.get("reminders") or []
    count = int(result.get("count", len(items)))
    if count == 0:
        return "You have no upcoming reminders."
    said = [f"{_title(r)} {_reminder_when(r, now, on=True)}".strip() for r in items]
    return f"You have {plural(count, 'reminder')}: {listing(said)}."


def _reminder_moved(result: Result, _args: Result, now: datetime | None) -> str:
    reminder = result.get("reminder") or {}
    return f"I moved the reminder {_title(reminder)} to {_reminder_when(reminder, now)}."


def _event_when(event: Any, now: datetime | None, *, on: bool = False) -> str:
    return moment(event.get("start"), now, on=on) if isinstance(event, dict) else ""


def _event(result: Result, _args: Result, now: datetime | None) -> str:
    event = result.get("event") or {}
    place = str(event.get("location") or "")
    if place and place[:1].islower() and not place.startswith(("the ", "a ", "my ")):
        place = f"the {place}"
    place = f", at {place}" if place else ""
    return f"I put {_title(event)} on your calendar for {_event_when(event, now)}{place}."


def _events(result: Result, _args: Result, now: datetime | None) -> str:
    events = result.get("events") or []
    count = int(result.get("count", len(events)))
    if count == 0:
        return "Your calendar is clear for that time."
    said = [f"{_title(e)} {_event_when(e, now, on=True)}".strip() for e in events]
    return f"You have {plural(count, 'event')}: {listing(said)}."


def _event_updated(result: Result, _args: Result, now: datetime | None) -> str:
    event = result.get("event") or {}
    return f"I moved {_title(event)} to {_event_when(event, now)}."


def _google(result: Result, _args: Result, _now: datetime | None) -> str:
    if result.get("message"):
        return str(result["message"])
    if result.get("configured") is False or result.get("status") == "not_configured":
        return "Google Calendar isn't connected, so I'm using your local calendar."
    return "Google Calendar is connected and up to date."


PHRASERS: dict[str, Phraser] = {
    "create_todo": _created_todo,
    "get_todos": _todos,
    "complete_todo": _completed,
    "update_todo": _updated_todo,
    "delete_todo": _deleted("to-do"),
    "create_team": _created_team,
    "get_teams": _teams,
    "get_team_members": _members,
    "create_team_todo": _team_todo,
    "add_team_member": _member_added,
    "remove_team_member": _member_removed,
    "change_member_role": _role_changed,
    "search_users": _users,
    "create_reminder": _reminder,
    "get_reminders": _reminders,
    "update_reminder": _reminder_moved,
    "delete_reminder": _deleted("reminder"),
    "create_calendar_event": _event,
    "get_calendar_events": _events,
    "update_calendar_event": _event_updated,
    "delete_calendar_event": _deleted("event"),
    "sync_google_calendar_events": _google,
    "test_google_calendar": _google,
}
