"""The router: strongest intent over keywords (offline), the bot's whole agent (cloud)."""

import asyncio

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import BaseTool, tool

from convonet.agents.context import AgentContext
from convonet.agents.factory import AgentFactory
from convonet.agents.router import choose_domain, pending_domain, whole_bot
from convonet.bots.registry import default_registry
from convonet.settings import Settings
from tests.agents.test_llm_providers import make_settings, openai_at
from tests.fakes.llm_server import Reply
from tests.fakes.openai_api import FakeOpenAI

ASSISTANT = default_registry().get("assistant").domains
EVERY = frozenset(ASSISTANT)


@pytest.mark.parametrize(
    ("said", "domain"),
    [
        # The examples: a word of another domain must not steal the request.
        ("add lunch with Priya to my calendar on friday at noon", "productivity"),
        ("remind me to call my doctor", "productivity"),
        ("remind me to pay the mortgage on friday", "productivity"),
        ("add refinance paperwork to my to-do list", "productivity"),
        # Each domain's own requests still reach it.
        ("book a table for two tomorrow at 7pm", "restaurant"),
        ("book an appointment with doctor Kim on monday", "healthcare"),
        ("what would my monthly payment be on a 300000 loan", "mortgage"),
        # No intent: the domain with the most keywords (not the first one listed).
        ("my doctor said the clinic lost my prescription, and lunch", "healthcare"),
        ("dinner, lunch or brunch with my doctor", "restaurant"),
    ],
)
def test_the_strongest_intent_picks_the_domain(said: str, domain: str) -> None:
    assert choose_domain(said, ASSISTANT, EVERY) == domain


def test_an_answer_stays_with_the_question_it_answers() -> None:
    messages = [
        HumanMessage("I want to book a table"),
        AIMessage("How many people will be dining?"),
        HumanMessage("four people"),
    ]
    assert pending_domain(messages) == "restaurant"
    said = ["four people", "I want to book a table"]
    assert choose_domain(said[:1], ASSISTANT, EVERY, pending="restaurant") == "restaurant"
    # ...unless the caller asks for something else outright.
    new = "add lunch with Priya to my calendar on friday at noon"
    assert choose_domain(new, ASSISTANT, EVERY, pending="restaurant") == "productivity"
    assert pending_domain([HumanMessage("hi")]) is None


def test_a_cloud_llm_sees_every_tool_of_the_bot() -> None:
    available = EVERY | {whole_bot(ASSISTANT)}
    assert choose_domain("add lunch to my calendar", ASSISTANT, available) == whole_bot(ASSISTANT)
    # A pinned bot keeps its single domain agent.
    assert choose_domain("add lunch to my calendar", ("restaurant",), available) == "restaurant"


class _Hub:
    """A hub stand-in with fixed tools per domain (the factory only reads these)."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.ready.set()
        self.failed = None
        self.domains = sorted(EVERY)

    def tools_for(self, domain: str) -> list[BaseTool]:
        @tool(f"{domain}_tool")
        def one() -> str:
            """A tool."""
            return domain

        return [one]


def test_the_factory_builds_whole_bot_agents_for_cloud_llms_only() -> None:
    factory = AgentFactory(Settings(), _Hub())  # type: ignore[arg-type]
    offline = factory.domain_tools()
    cloud = factory.domain_tools(whole_bots=True)
    assert set(offline) == EVERY
    assert set(cloud) == EVERY | {whole_bot(ASSISTANT)}
    names = [t.name for t in cloud[whole_bot(ASSISTANT)]]
    assert len(names) == len(set(names))
    assert {f"{d}_tool" for d in EVERY} <= set(names)
    assert "get_current_datetime" in names and "end_call" in names


@pytest.mark.parametrize(
    ("bot_domains", "agent"),
    [(ASSISTANT, whole_bot(ASSISTANT)), (("restaurant",), "restaurant")],
    ids=["assistant", "pinned"],
)
async def test_a_cloud_model_is_offered_every_tool_of_the_bot(
    bot_domains: tuple[str, ...], agent: str
) -> None:
    said = HumanMessage("add lunch with Priya to my calendar on friday at noon")
    async with FakeOpenAI(script=[Reply(text="Done.")], api_key="test-key") as fake:
        factory = AgentFactory(make_settings(**openai_at(fake)), _Hub())  # type: ignore[arg-type]
        context = AgentContext(session_id="s", domains=bot_domains)
        state = await factory.graph("openai").ainvoke({"messages": [said]}, context=context)
    assert state["domain"] == agent
    offered = {tool["function"]["name"] for tool in fake.bodies[0]["tools"]}
    assert {f"{d}_tool" for d in bot_domains} | {"get_current_datetime", "end_call"} == offered
