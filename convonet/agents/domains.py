"""The agent domains, derived from the domain descriptors (light: no LangGraph is loaded).

``DOMAINS`` is computed on access, so domains added from ``domain_paths`` are included.
"""

from convonet.domains.registry import domain_names

PRODUCTIVITY = "productivity"


def __getattr__(name: str) -> tuple[str, ...]:
    if name == "DOMAINS":
        return domain_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
