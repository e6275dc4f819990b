"""``convonet new-domain NAME``: the files of a new, working domain with one tool.

The scaffold is a package ``NAME/`` holding the descriptor (``__init__.py``), one MCP tool
(``tools.py``), its offline intent (``intents.py``) and its spoken reply (``phrasing.py``).
Written into ``convonet/domains`` (or a directory of the ``domain_paths`` setting), it is
discovered as is: served over stdio and at ``/mcp``, routed to, understood by the offline
model and offered by the assistant bot, with no other file edited.
"""

import keyword
import re
from pathlib import Path

from convonet.errors import InvalidInputError

NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
TITLE = re.compile(r"^[\w ,.&'-]{1,60}$")  # plain words: it is written inside "..." literals
_RESERVED = frozenset({"spec", "registry", "scaffold", "shared", "general"})


_INIT = '''"""{title}: {description}"""

from convonet.domains.spec import Capability, Domain, IntentGroup

DOMAIN = Domain(
    name="{name}",
    order=100,
    summary="{summary}",
    tool_groups={{"{name}": "convonet.domains.{name}.tools"}},
    capabilities=(
        Capability(
            "{phrase}",
            "{summary}",
            frozenset({{"{tool}"}}),
        ),
    ),
    keywords=("{words}",),
    intents=(IntentGroup("convonet.domains.{name}.intents", rank=65),),
    phrasing="convonet.domains.{name}.phrasing",
)
'''

_TOOLS = '''"""{title} tools (1): replace ``{tool}`` with the domain's real tools.

Each tool is a module-level ``async def`` decorated with ``@tool``; a first parameter
annotated ``Caller`` receives the database session and the signed-in caller. A tool that
changes nothing is ``@tool(read_only=True)``: the agent may run it while the caller's turn
is still being confirmed; any other tool call waits for the confirmation.
"""

from typing import Any

from convonet.tools.framework import Caller, tool


@tool(read_only=True)
async def {tool}(call: Caller) -> dict[str, Any]:
    """Say whether the {title} desk is ready for the caller, and in which timezone."""
    return {{"domain": "{name}", "caller": call.user.name, "timezone": call.user.timezone}}
'''

_INTENTS = '''"""{title} intents for the offline model."""

from convonet.agents.offline.intents.base import Intent, pattern

AREA = "{name}"

INTENTS: tuple[Intent, ...] = (
    Intent(
        "{tool}",
        pattern(r"\\b{words}\\b.*\\bstatus\\b", r"\\bstatus\\b.*\\b{words}\\b"),
        "{tool}",
        area=AREA,
    ),
)
'''

_PHRASING = '''"""Spoken replies from the {title} tools' results."""

from datetime import datetime

from convonet.agents.offline.phrasing.base import Phraser, Result


def _status(result: Result, _args: Result, _now: datetime | None) -> str:
    first = str(result.get("caller") or "").split(" ")[0]
    return f"{title} is ready for you{{', ' + first if first else ''}}."


PHRASERS: dict[str, Phraser] = {{"{tool}": _status}}
'''


def check_name(name: str) -> None:
    """Refuse a name that is not a short lower-case identifier.

    Raises:
        InvalidInputError: The name is unusable.
    """
    if not NAME.match(name) or keyword.iskeyword(name) or name in _RESERVED:
        raise InvalidInputError(f"{name!r}: use a short lower-case identifier, e.g. claims")


def render(name: str, title: str, description: str = "") -> dict[str, str]:
    """The files of domain ``name``: relative path → source.

    Raises:
        InvalidInputError: Bad name, title or description.
    """
    check_name(name)
    for text in (title, description or title):
        if not TITLE.match(text):
            raise InvalidInputError(f"{text!r}: use plain words (letters, digits, spaces)")
    words = name.replace("_", " ")
    values = {
        "name": name,
        "title": title,
        "description": description or f"the {title} domain.",
        "summary": title.lower(),
        "phrase": f"check on {title.lower()}",
        "tool": f"get_{name}_status",
        "words": words,
    }
    return {
        "__init__.py": _INIT.format(**values),
        "tools.py": _TOOLS.format(**values),
        "intents.py": _INTENTS.format(**values),
        "phrasing.py": _PHRASING.format(**values),
    }


def scaffold(directory: Path, name: str, title: str, description: str = "") -> list[Path]:
    """Write domain ``name`` as the package ``directory/name``.

    Returns:
        The files written.

    Raises:
        InvalidInputError: Bad name, or the package already exists.
    """
    files = render(name, title, description)
    package = directory / name
    if package.exists():
        raise InvalidInputError(f"{package} already exists")
    package.mkdir(parents=True)
    written = []
    for relative, source in files.items():
        path = package / relative
        path.write_text(source)
        written.append(path)
    return written
