"""To-do intents: create, list, complete, change and delete the caller's to-dos."""

import re
from datetime import datetime
from typing import Any

from convonet.agents.offline.intents.base import (
    Ask,
    Heard,
    Intent,
    Slots,
    Span,
    due,
    free_text,
    pattern,
    phrase_at,
    present,
    when_slots,
)
from convonet.agents.offline.slots.people import PRIORITY_WORDS, priority

AREA = "to-dos"
LIST = r"(?:todo list|todos|todo|tasks|task list|to do list|list|shopping list|checklist)"
_ITEM = r"(?:a\s+|an\s+)?(?:new\s+)?(?:todo(?: item)?|task|item|entry)"
_ONE = r"(?:the\s+|my\s+)?(?:todo\s+|task\s+)?"
TITLE_FORMS = (
    re.compile(
        r"\b(?:add|put|write down|jot down|stick|place|include)\s+(.+?)\s+"
        rf"(?:to|on|onto|in|into)\s+(?:my|the)\s+{LIST}\b"
    ),
    re.compile(
        rf"\b(?:add|create|make|new|set up|start|put in)\s+{_ITEM}"
        r"(?:\s+(?:to|for|called|named|that says|saying|about)\b|\s*:)?\s+(.+)$"
    ),
    re.compile(r"\b(?:todo|task)\s*:\s*(.+)$"),
    re.compile(
        r"^(?:please\s+)?(?:add|put)\s+"
        rf"(?!.*\b(?:to|on|onto|in|into)\s+(?:my|the)\s+{LIST}\b)(.+?)(?:\s+please)?$"
    ),
)
_NOT_A_TITLE = re.compile(r"^(?:it|that|this|something|a todo|a task|an item|one)$")


def cuts(heard: Heard) -> list[Span]:
    """Spans that are not part of a title: the day and time, the priority."""
    found = list(heard.when().spans)
    return found + [m.span() for m in PRIORITY_WORDS.finditer(heard.words)]


def title(heard: Heard, forms: tuple[re.Pattern[str], ...] = TITLE_FORMS) -> str | None:
    """The title said in the first matching form, in the caller's words."""
    for form in forms:
        match = form.search(heard.words)
        if match is None:
            continue
        found = phrase_at(heard, match.span(1), cuts(heard))
        if found and not _NOT_A_TITLE.match(found.lower()):
            return found
    return None


def _read_create(heard: Heard) -> Slots:
    return present(title=title(heard), priority=priority(heard.words)) | when_slots(heard)


def _build_create(slots: Slots, now: datetime) -> dict[str, Any]:
    return {"title": slots["title"]} | present(
        priority=slots.get("priority"), due_date=due(slots, now)
    )


def answer_title(heard: Heard) -> Slots:
    """A reply to "What should the to-do say?": the words, minus day, time and priority."""
    said = phrase_at(heard, (0, len(heard.words)), cuts(heard))
    said = re.sub(r"^(?:add|put)\s+", "", said, flags=re.IGNORECASE)
    return present(title=said, priority=priority(heard.words)) | when_slots(heard)


def _read_list(heard: Heard) -> Slots:
    words = heard.words
    status = None
    if re.search(r"\b(?:completed|finished|done|checked off)\b", words):
        status = "all" if re.search(r"\b(?:all|including|and open|both)\b", words) else "completed"
    elif re.search(r"\b(?:everything|all of them|including)\b", words):
        status = "all"
    return present(status=status, priority=priority(words))


_DONE_FORMS = (
    re.compile(rf"\bmark\s+{_ONE}(.+?)\s+(?:as\s+)?(?:done|complete|completed|finished)\b"),
    re.compile(r"\b(?:check|cross|tick|strike)\s+(?!off\b)(.+?)\s+off\b"),
    re.compile(
        rf"\b(?:check|cross|tick|strike)\s+off\s+{_ONE}(.+?)"
        rf"(?:\s+(?:from|on)\s+(?:my|the)\s+{LIST})?$"
    ),
    re.compile(r"\b(?:complete|finish)\s+(?:the\s+)?(?:todo|task)\s+(?:called\s+|named\s+)?(.+)$"),
    re.compile(rf"\bi(?:'ve| have)?\s+(?:just\s+)?(?:finished|completed|done)\s+{_ONE}(.+)$"),
    re.compile(rf"\bdone with\s+{_ONE}(.+)$"),
)
_DELETE_FORMS = (
    re.compile(
        rf"\b(?:delete|remove|erase|get rid of|drop|take)\s+{_ONE}(.+?)\s+"
        rf"(?:from|off|off of)\s+(?:my|the)\s+{LIST}\b"
    ),
    re.compile(
        r"\b(?:delete|remove|erase|drop)\s+(?:the\s+|my\s+)?(?:todo|task)\s+"
        r"(?:called\s+|named\s+|to\s+|about\s+)?(.+)$"
    ),
)


def _read_named(forms: tuple[re.Pattern[str], ...]) -> Any:
    def read(heard: Heard) -> Slots:
        return present(title=title(heard, forms))

    return read


def answer_named(heard: Heard) -> Slots:
    """A reply naming an item ("the one about milk", "buy milk")."""
    said = free_text(heard)
    said = re.sub(r"^(?:the\s+)?(?:one\s+)?(?:called\s+|about\s+|named\s+)?", "", said, flags=re.I)
    return present(title=said)


_RENAME = re.compile(rf"\brename\s+{_ONE}(.+?)\s+to\s+(.+)$")
_CHANGE_OF = re.compile(
    r"\b(?:change|set|update|move|push)\s+(?:the\s+)?(priority|due date|deadline|title|name|date)"
    rf"\s+(?:of|for|on)\s+{_ONE}(.+?)\s+to\s+(.+)$"
)
_MOVE = re.compile(rf"\b(?:move|push|postpone|change|reschedule|make|set|mark)\s+{_ONE}(.+)$")


def _read_update(heard: Heard) -> Slots:
    words = heard.words
    changes = present(priority=priority(words)) | when_slots(heard)
    match = _RENAME.search(words)
    if match is not None:
        return {
            "title": phrase_at(heard, match.span(1)),
            "new_title": phrase_at(heard, match.span(2)),
        }
    match = _CHANGE_OF.search(words)
    if match is not None:
        old = phrase_at(heard, match.span(2))
        if match.group(1) in ("title", "name"):
            return {"title": old, "new_title": phrase_at(heard, match.span(3))}
        value = match.group(3).strip(" .!")
        level = value if value in ("low", "medium", "high", "urgent") else None
        return {"title": old} | changes | present(priority=level or changes.get("priority"))
    match = _MOVE.search(words)
    if match is not None and changes:
        old = re.sub(r"\s+(?:todo|task)$", "", phrase_at(heard, match.span(1), cuts(heard)))
        return present(title=old) | changes
    return changes


def _build_update(slots: Slots, now: datetime) -> dict[str, Any]:
    return {"title": slots["title"]} | present(
        new_title=slots.get("new_title"), priority=slots.get("priority"), due_date=due(slots, now)
    )


def _no_change(slots: Slots) -> bool:
    return not any(k in slots for k in ("new_title", "priority", "day", "clock"))


def _answer_change(heard: Heard) -> Slots:
    changes = present(priority=priority(heard.words)) | when_slots(heard)
    if changes:
        return changes
    match = re.search(
        r"\b(?:rename it|call it|change it|title|name)\s+(?:to\s+)?(.+)$", heard.words
    )
    return present(new_title=phrase_at(heard, match.span(1))) if match else {}


def _by_title(slots: Slots, _now: datetime) -> dict[str, Any]:
    return {"title": slots["title"]}


INTENTS: tuple[Intent, ...] = (
    Intent(
        "complete_todo",
        pattern(
            r"\bmark\b.+\b(?:done|complete|completed|finished)\b",
            r"\b(?:check|cross|tick|strike)\b.*\boff\b",
            r"\b(?:complete|finish)\s+(?:the\s+)?(?:todo|task)\b",
            r"\bi(?:'ve| have)?\s+(?:just\s+)?(?:finished|completed)\b",
            r"\bi(?:'m| am)\s+(?:all\s+)?done with\b",
        ),
        "complete_todo",
        _read_named(_DONE_FORMS),
        _by_title,
        (Ask("title", "Which to-do did you finish?", answer_named),),
        AREA,
    ),
    Intent(
        "delete_todo",
        pattern(
            rf"\b(?:delete|remove|erase|get rid of|drop|take)\b.*\b{LIST}\b",
            r"\b(?:delete|remove|erase)\s+(?:the\s+|my\s+)?(?:todo|task)\b",
        ),
        "delete_todo",
        _read_named(_DELETE_FORMS),
        _by_title,
        (Ask("title", "Which to-do should I delete?", answer_named),),
        AREA,
    ),
    Intent(
        "update_todo",
        pattern(
            r"\b(?:rename|change|update|move|push|postpone|set|make)\b.*"
            r"\b(?:todo|task|priority|due date|deadline)\b",
            r"\brename\b",
            r"\b(?:make|mark|set)\s+.+\b(?:urgent|(?:high|low|medium|top)[\s-]priority|important)\b",
        ),
        "update_todo",
        _read_update,
        _build_update,
        (
            Ask("title", "Which to-do should I change?", answer_named),
            Ask(
                "change",
                "What should I change: the title, the priority or the due date?",
                _answer_change,
                _no_change,
            ),
        ),
        AREA,
    ),
    Intent(
        "get_todos",
        pattern(
            # not "add check my credit score to my list": that adds a to-do
            r"^(?!(?:please\s+)?(?:add|put)\s).*?"
            r"\b(?:what(?:'s| is| are)?|read|show|list|tell me|check|go over|go through|any|"
            r"do i have|how many)\b.*\b(?:todos|todo list|tasks|task list|my list|to do)\b",
            r"\bwhat(?:'s| is) on (?:my|the) (?:todo |shopping )?list\b",
            r"\bwhat do i (?:need|have) to do\b",
        ),
        "get_todos",
        _read_list,
        lambda slots, _now: dict(slots),
        (),
        AREA,
    ),
    Intent(
        "create_todo",
        pattern(
            r"\b(?:add|put|create|make|new|write down|jot down|stick|set up|start)\b.*"
            rf"\b(?:{LIST}|todo|task)\b",
            r"^(?:todo|task)\s*:",
            r"^(?:please\s+)?add\s(?!.*\b(?:calendar|team|reminder|reservation|application|"
            r"appointment|schedule)\b)",
        ),
        "create_todo",
        _read_create,
        _build_create,
        (Ask("title", "What should the to-do say?", answer_title),),
        AREA,
    ),
)
