"""Bots are data: every bot file is found, valid, and pins the domains it says."""

import pytest

from convonet.agents.domains import DOMAINS, PRODUCTIVITY
from convonet.agents.router import choose_domain
from convonet.bots.registry import default_registry
from convonet.errors import UnknownBotError

REGISTRY = default_registry()
ALL_DOMAINS = frozenset(DOMAINS)


def test_every_bot_module_is_registered() -> None:
    assert REGISTRY.names() == ["assistant", "healthcare", "mortgage", "restaurant"]


@pytest.mark.parametrize("name", REGISTRY.names())
def test_bots_are_complete_and_route_only_to_known_domains(name: str) -> None:
    bot = REGISTRY.get(name)
    assert bot.title and bot.persona and bot.description
    assert "{name}" in bot.greeting
    assert set(bot.domains) <= ALL_DOMAINS
    assert bot.greeting_for("Ann Lee").startswith("Hello Ann,")
    assert "{name}" not in bot.greeting_for(None)


@pytest.mark.parametrize("name", ["mortgage", "healthcare", "restaurant"])
def test_domain_bots_are_pinned(name: str) -> None:
    bot = REGISTRY.get(name)
    # Whatever the caller says, a pinned bot stays in its domain.
    assert choose_domain("book a table and add milk to my list", bot.domains, ALL_DOMAINS) == name


def test_the_assistant_routes_by_what_is_said() -> None:
    domains = REGISTRY.get("assistant").domains
    assert choose_domain("book a table for two", domains, ALL_DOMAINS) == "restaurant"
    assert choose_domain("add milk to my list", domains, ALL_DOMAINS) == PRODUCTIVITY


def test_unknown_bot_names_the_known_ones() -> None:
    with pytest.raises(UnknownBotError, match="assistant, healthcare, mortgage, restaurant"):
        REGISTRY.get("pirate")
