"""Team intents: create teams, list them and their members, team to-dos, membership."""

import re
from datetime import datetime
from typing import Any

from convonet.agents.offline.intents.base import (
    Ask,
    Heard,
    Intent,
    Slots,
    due,
    free_text,
    pattern,
    phrase_at,
    present,
    when_slots,
)
from convonet.agents.offline.slots.people import email, priority, team_name, team_role
from convonet.domains.productivity.intents.todos import cuts

AREA = "teams"
_TASK = r"(?:a\s+|an\s+)?(?:new\s+)?(?:team\s+)?(?:task|todo)"
_TEAM_TITLE_FORMS = (
    re.compile(r"\b(?:todo|task)\s+for\s+[^:]+:\s*(.+)$"),
    re.compile(r"\bteam\s*(?::|-|to)\s+(.+)$"),
    re.compile(
        rf"\b{_TASK}\s+(?:to|:|called|named|saying)\s+(.+?)\s+(?:for|to)\s+(?:the|my|our)\s+"
    ),
    re.compile(rf"\b{_TASK}\s+(?:to|:|called|named|saying)\s+(.+)$"),
    re.compile(r"\b(?:add|put)\s+(?!a\b|an\b)(.+?)\s+(?:to|on)\s+(?:the|our|my)\s+.*?team"),
)
_ASSIGNEE = re.compile(r"[,\s]*\b(?:and\s+)?(?:assign(?:ed)?|give)\s+(?:it\s+)?to\s+\S+.*$")


_FOR_TEAM = re.compile(
    r"\b(?:todo|task)\s+for\s+(?:the\s+)?([a-z0-9][a-z0-9'-]*)(?:\s+team)?\s*[:,]"
)


def _team(heard: Heard) -> Slots:
    found = team_name(heard.text)
    match = _FOR_TEAM.search(heard.words)
    if found is None and match is not None:
        found = heard.text.original_of(*match.span(1))
    return present(team_name=found)


def _answer_team(heard: Heard) -> Slots:
    found = team_name(heard.text)
    if found is None:
        said = re.sub(r"^(?:the\s+)?(.+?)(?:\s+team)?$", r"\1", free_text(heard), flags=re.I)
        found = said or None
    return present(team_name=found)


def _team_args(slots: Slots, _now: datetime) -> dict[str, Any]:
    return {"team_name": slots["team_name"]}


_TEAM_ASK = "Which team do you mean?"


def _read_create_team(heard: Heard) -> Slots:
    match = re.search(r"\bteam\s+(?:called|named|for)\s+(.+)$", heard.words)
    return present(name=phrase_at(heard, match.span(1))) if match else {}


def _answer_team_name(heard: Heard) -> Slots:
    said = re.sub(r"^(?:call it|name it|let's call it)\s+", "", free_text(heard), flags=re.I)
    return present(name=said)


def _team_title(heard: Heard) -> str | None:
    spans = cuts(heard)
    assignee = _ASSIGNEE.search(heard.words)
    if assignee is not None:
        spans.append(assignee.span())
    for form in _TEAM_TITLE_FORMS:
        match = form.search(heard.words)
        if match is not None:
            found = phrase_at(heard, match.span(1), spans)
            if found:
                return found
    return None


def _read_team_todo(heard: Heard) -> Slots:
    return (
        _team(heard)
        | present(title=_team_title(heard), priority=priority(heard.words))
        | present(assignee_email=email(heard.words))
        | when_slots(heard)
    )


def _build_team_todo(slots: Slots, now: datetime) -> dict[str, Any]:
    return {"team_name": slots["team_name"], "title": slots["title"]} | present(
        priority=slots.get("priority"),
        due_date=due(slots, now),
        assignee_email=slots.get("assignee_email"),
    )


def _answer_task(heard: Heard) -> Slots:
    return present(title=phrase_at(heard, (0, len(heard.words)), cuts(heard))) | when_slots(heard)


def _read_member(heard: Heard) -> Slots:
    return _team(heard) | present(email=email(heard.words), role=team_role(heard.words))


def _answer_email(heard: Heard) -> Slots:
    return present(email=email(heard.words))


def _build_member(slots: Slots, _now: datetime) -> dict[str, Any]:
    return {"team_name": slots["team_name"], "email": slots["email"]} | present(
        role=slots.get("role")
    )


def _read_search(heard: Heard) -> Slots:
    match = re.search(
        r"\b(?:find|search for|look up|look for|search)\s+(?:a\s+|the\s+)?(?:user|person|someone|"
        r"colleague|member|people)\s+(?:named|called|with the name|whose name is)?\s*(.+)$",
        heard.words,
    )
    return present(query=phrase_at(heard, match.span(1))) if match else {}


_EMAIL_ASK = Ask("email", "What is their email address?", _answer_email)

INTENTS: tuple[Intent, ...] = (
    Intent(
        "get_team_members",
        pattern(
            r"\bwho(?:'s| is| are)?\b.*\b(?:on|in)\b.*\bteam\b",
            r"\b(?:members|people|everyone)\s+(?:of|on|in)\b.*\bteam\b",
            r"\bteam members\b",
            r"\b(?:list|show)\b.*\bmembers\b",
        ),
        "get_team_members",
        _team,
        _team_args,
        (Ask("team_name", "Which team's members would you like?", _answer_team),),
        AREA,
    ),
    Intent(
        "get_teams",
        pattern(
            r"\b(?:what|which|list|show|tell me|read)\b.*\bteams\b",
            r"\bmy teams\b",
            r"\bteams? am i (?:on|in|a member of)\b",
        ),
        "get_teams",
        lambda _heard: {},
        lambda _slots, _now: {},
        (),
        AREA,
    ),
    Intent(
        "create_team",
        pattern(
            r"\b(?:create|make|start|set up|form|build|new)\s+(?:a\s+|an\s+)?(?:new\s+)?team\b"
            r"(?!\s*(?:todo|task|member))"
        ),
        "create_team",
        _read_create_team,
        lambda slots, _now: {"name": slots["name"]},
        (Ask("name", "What should the team be called?", _answer_team_name),),
        AREA,
    ),
    Intent(
        "create_team_todo",
        pattern(
            r"\b(?:add|create|make|assign|new|put)\b.*\b(?:task|todo)\b.*\bteam\b",
            r"\bteam\s+(?:task|todo)\b",
            r"\b(?:add|put)\b.*\b(?:to|on)\s+(?:the|our|my)\b.*\bteam(?:'s)?\s+(?:list|todos|tasks)\b",
        ),
        "create_team_todo",
        _read_team_todo,
        _build_team_todo,
        (
            Ask("team_name", "Which team is the task for?", _answer_team),
            Ask("title", "What is the team task?", _answer_task),
        ),
        AREA,
    ),
    Intent(
        "add_team_member",
        pattern(
            r"\b(?:add|invite|put|include)\b.+\b(?:to|on|into|onto)\s+(?:the\s+|our\s+|my\s+)?.*\bteam\b",
            r"\b(?:add|invite)\s+(?:a\s+)?(?:new\s+)?(?:team\s+)?member\b",
        ),
        "add_team_member",
        _read_member,
        _build_member,
        (Ask("team_name", "Which team should I add them to?", _answer_team), _EMAIL_ASK),
        AREA,
    ),
    Intent(
        "remove_team_member",
        pattern(
            r"\b(?:remove|kick|take|drop)\b.+\b(?:from|off)\s+(?:the\s+|our\s+|my\s+)?.*\bteam\b"
        ),
        "remove_team_member",
        _read_member,
        lambda slots, _now: {"team_name": slots["team_name"], "email": slots["email"]},
        (
            Ask("team_name", "Which team should I remove them from?", _answer_team),
            Ask("email", "What is the email address of the member to remove?", _answer_email),
        ),
        AREA,
    ),
    Intent(
        "change_member_role",
        pattern(
            r"\b(?:make|change|set|promote|demote)\b.+\b(?:owner|admin|administrator|member|viewer)"
            r"\b.*\bteam\b.*|\brole\b.*\bteam\b"
        ),
        "change_member_role",
        lambda heard: _read_member(heard) | present(role=_role_to(heard)),
        lambda slots, _now: {
            "team_name": slots["team_name"],
            "email": slots["email"],
            "role": slots["role"],
        },
        (
            Ask("team_name", "In which team should I change the role?", _answer_team),
            Ask(
                "email",
                "What is the email address of the member whose role should change?",
                _answer_email,
            ),
            Ask(
                "role",
                "Which role: owner, admin, member or viewer?",
                lambda h: present(role=_role_to(h)),
            ),
        ),
        AREA,
    ),
    Intent(
        "search_users",
        pattern(
            r"\b(?:find|search for|look up|look for|search)\s+(?:a\s+|the\s+)?"
            r"(?:user|person|someone|colleague|member|people)\b"
        ),
        "search_users",
        _read_search,
        lambda slots, _now: {"query": slots["query"]},
        (Ask("query", "Who should I look for?", lambda h: present(query=free_text(h))),),
        AREA,
    ),
)


def _role_to(heard: Heard) -> str | None:
    match = re.search(r"\b(owner|admin|administrator|member|viewer)\b", heard.words)
    if match is None:
        return None
    return "admin" if match.group(1) == "administrator" else match.group(1)
