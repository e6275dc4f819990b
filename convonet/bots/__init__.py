"""Domain bots: one small :class:`BotSpec` per file, discovered by the registry."""

from convonet.bots.registry import BotRegistry, default_registry
from convonet.bots.spec import BotSpec

__all__ = ["BotRegistry", "BotSpec", "default_registry"]
