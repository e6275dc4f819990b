"""Discovery of bots: every module in ``convonet.bots`` exposing ``BOT``, and every domain's bot."""

import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import replace

from convonet.bots.spec import EVERY_DOMAIN, BotSpec
from convonet.errors import UnknownBotError

# Modules of this package that hold machinery rather than bots.
_NOT_BOTS = frozenset({"spec", "registry"})


class BotRegistry:
    """A name-indexed collection of bot specs."""

    def __init__(self, bots: list[BotSpec]) -> None:
        self._bots = {bot.name: bot for bot in bots}

    def get(self, name: str) -> BotSpec:
        """Return the bot called ``name``.

        Raises:
            UnknownBotError: No bot has that name.
        """
        try:
            return self._bots[name]
        except KeyError:
            known = ", ".join(sorted(self._bots))
            raise UnknownBotError(f"unknown bot {name!r}; known bots: {known}") from None

    def __iter__(self) -> Iterator[BotSpec]:
        return iter(sorted(self._bots.values(), key=lambda b: b.name))

    def __contains__(self, name: object) -> bool:
        return name in self._bots

    def names(self) -> list[str]:
        """Sorted bot names."""
        return sorted(self._bots)


def default_registry() -> BotRegistry:
    """Collect the ``BOT`` specs of ``convonet.bots``'s modules and the domains' bots."""
    import convonet.bots as package
    from convonet.domains.registry import domain_names, domains  # late: they import bots.spec

    bots: list[BotSpec] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in _NOT_BOTS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        spec = getattr(module, "BOT", None)
        if isinstance(spec, BotSpec):
            bots.append(spec)
            if spec.domains == EVERY_DOMAIN:
                bots[-1] = replace(spec, domains=domain_names())
    bots.extend(domain.bot for domain in domains() if domain.bot is not None)
    return BotRegistry(bots)
