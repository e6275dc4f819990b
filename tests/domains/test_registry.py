"""Every list that names domains is derived from the discovered descriptors, and agrees."""

import importlib

from convonet.agents.domains import DOMAINS
from convonet.agents.offline.evaluate import ALL_TOOLS
from convonet.agents.offline.intents import INTENTS, intent_domains, ranked_intents
from convonet.agents.offline.phrasing import PHRASERS, all_capabilities
from convonet.agents.router import DOMAIN_KEYWORDS
from convonet.bots.registry import default_registry
from convonet.domains.registry import SHARED, domains, group_domains, group_modules
from convonet.storage.models import Base
from convonet.tools.framework import module_tools
from convonet.tools.server import GROUP_DOMAINS, GROUPS


def test_the_four_domains_are_discovered_in_order() -> None:
    assert DOMAINS == ("productivity", "mortgage", "healthcare", "restaurant")
    assert default_registry().get("assistant").domains == DOMAINS


def test_tool_groups_come_from_the_descriptors() -> None:
    assert group_domains() == GROUP_DOMAINS
    assert set(GROUPS) == set(group_modules())
    assert {d for d in GROUP_DOMAINS.values()} == {*DOMAINS, SHARED}
    assert {g for g, d in GROUP_DOMAINS.items() if d == "productivity"} == {
        "todo",
        "team",
        "reminders",
        "calendar",
    }


def test_each_domain_declares_exactly_the_tools_its_modules_define() -> None:
    for domain in domains():
        defined = {
            fn.__name__
            for module in domain.tool_groups.values()
            for fn in module_tools(importlib.import_module(module))
        }
        assert defined == domain.tools, domain.name
    assert len(ALL_TOOLS) >= 43  # the spec's 41 MCP tools and the two session tools


def test_every_domain_tool_has_a_phraser_and_a_capability() -> None:
    offered = {tool for capability in all_capabilities() for tool in capability.tools}
    assert offered == ALL_TOOLS
    for domain in domains():
        assert domain.tools <= set(PHRASERS), domain.name


def test_intents_are_ranked_across_domains_and_know_their_domain() -> None:
    names = [intent.name for intent in INTENTS]
    assert names[0] == "goodbye"
    # Specific clinic intents before the to-dos; broad intake after the mortgage intents.
    assert names.index("book_appointment") < names.index("create_todo")
    assert names.index("estimate_affordability") < names.index("record_intake")
    assert intent_domains()["create_reminder"] == "productivity"
    assert intent_domains()["record_intake"] == "healthcare"
    assert len(ranked_intents()) == len(INTENTS)


def test_keywords_tables_and_bots_come_from_the_descriptors() -> None:
    assert set(DOMAIN_KEYWORDS) == {"mortgage", "healthcare", "restaurant"}
    tables = set(Base.metadata.tables)
    assert {"todos", "reminders", "calendar_events", "mortgage_applications"} <= tables
    assert {"patients", "restaurant_tables", "reservations"} <= tables
    bots = {d.bot.name for d in domains() if d.bot is not None}
    assert bots == {"mortgage", "healthcare", "restaurant"}
