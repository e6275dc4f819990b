r"""Checks on a JSON document before any handler sees it: nesting depth and valid text.

``json.loads`` accepts a lone surrogate (``"\\ud800"``) and nesting until the interpreter's
recursion limit; either then fails much later (encoding a reply, logging, the database),
possibly after work was done. These checks run on the parsed value, iteratively.
"""

from typing import Any


class JsonProblem(ValueError):
    """Why a JSON body is refused (a message safe to send back: it quotes no input)."""


def check_json(value: Any, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth`` and strings that are not valid Unicode.

    Raises:
        JsonProblem: The first problem found.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise JsonProblem(f"the JSON body is nested too deep (more than {max_depth} levels)")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key)
                stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonProblem("the JSON body holds text that is not valid Unicode") from None
