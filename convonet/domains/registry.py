"""Discovery of domains: every subpackage of ``convonet.domains`` exposing ``DOMAIN``.

Every list that names the domains (tool groups, agents, routing words, the offline model's
intents and phrasing, the seed, the tables, the assistant bot's domains) is derived here, so
adding a domain adds one package and edits nothing else. Extra directories of domains (the
``domain_paths`` setting) join the package's search path, so a domain kept outside the tree
imports as ``convonet.domains.<name>`` like the built-in ones.
"""

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import convonet.domains as package
from convonet.domains.spec import Domain

T = TypeVar("T")

SHARED = "shared"
# Tool groups outside every domain: their tools go to every domain's agent.
SHARED_GROUPS: dict[str, str] = {"transfer": "convonet.tools.transfer"}


_DERIVED: list[Callable[[], None]] = []


def derived(fn: Callable[[], T]) -> Callable[[], T]:
    """Cache a list derived from the descriptors (recomputed when domains are added)."""
    cached = cache(fn)
    _DERIVED.append(cached.cache_clear)
    return cached


def add_domain_paths(paths: Iterable[Path | str]) -> None:
    """Make the domains in ``paths`` discoverable (and importable as ``convonet.domains.*``)."""
    new = [str(Path(p).resolve()) for p in paths]
    new = [p for p in dict.fromkeys(new) if p not in package.__path__]
    if new:
        package.__path__.extend(new)
        _forget()


def remove_domain_paths(paths: Iterable[Path | str]) -> None:
    """Undo :func:`add_domain_paths` (for tests: the domains there are no longer listed)."""
    gone = {str(Path(p).resolve()) for p in paths}
    kept = [p for p in package.__path__ if p not in gone]
    if len(kept) != len(package.__path__):
        package.__path__[:] = kept
        _forget()


def _forget() -> None:
    for clear in _DERIVED:
        clear()


@derived
def domains() -> tuple[Domain, ...]:
    """Every domain, in their ``order``."""
    found: list[Domain] = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        domain = getattr(module, "DOMAIN", None)
        if isinstance(domain, Domain):
            found.append(domain)
    return tuple(sorted(found, key=lambda d: (d.order, d.name)))


def domain_names() -> tuple[str, ...]:
    """The domains' names, in order."""
    return tuple(d.name for d in domains())


@derived
def group_modules() -> dict[str, str]:
    """Every tool group → the module defining its tools (domains' groups, then shared)."""
    return {
        **{group: module for d in domains() for group, module in d.tool_groups.items()},
        **SHARED_GROUPS,
    }


@derived
def group_domains() -> dict[str, str]:
    """Every tool group → the domain whose agent holds it (``"shared"``: every agent)."""
    return {
        **{group: d.name for d in domains() for group in d.tool_groups},
        **dict.fromkeys(SHARED_GROUPS, SHARED),
    }


def attribute(path: str, attr: str) -> Any:
    """``attr`` of the module at ``path`` (imported now)."""
    return getattr(importlib.import_module(path), attr)


def optional_modules(kind: str) -> list[tuple[Domain, ModuleType]]:
    """The domains that have a ``kind`` module (``models``, ``seed``, ``routes``...), imported."""
    paths = [(d, getattr(d, kind)) for d in domains()]
    return [(d, importlib.import_module(path)) for d, path in paths if path]


def load_models() -> None:
    """Import every domain's tables (registers them on ``Base.metadata``)."""
    optional_modules("models")
