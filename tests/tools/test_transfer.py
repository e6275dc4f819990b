"""Transfer tools over MCP: departments from the database, requests recorded in Redis."""

import pytest
from sqlalchemy import select

from convonet.callcenter.agents import load_agent
from convonet.callcenter.service import CallCenter
from convonet.callcenter.states import Action
from convonet.storage.models import CallCenterAgent, Department
from tests.fakes.mcp_harness import ToolCallError, ToolHarness, tool_harness


async def _departments(tools: ToolHarness) -> None:
    async with tools.resources.db.session() as session:
        session.add_all(
            [
                Department(name="support", extension="2001", description="Help desk"),
                Department(name="sales", extension="2002"),
                Department(name="closed", extension="2009", is_active=False),
            ]
        )


async def test_lists_active_departments(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["transfer"]) as tools:
        await _departments(tools)
        ann = await tools.user("ann@example.com")
        result = await tools.call("get_available_departments", user=ann)
        assert [(d["name"], d["extension"]) for d in result["departments"]] == [
            ("sales", "2002"),
            ("support", "2001"),
        ]
        assert [d["agents_ready"] for d in result["departments"]] == [0, 0]


async def test_departments_say_how_many_agents_are_ready(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["transfer"]) as tools:
        await _departments(tools)
        resources = tools.resources
        center = CallCenter(resources.db, resources.store, resources.settings)
        async with resources.db.session() as session:
            support = await session.scalar(select(Department.id).filter_by(name="support"))
            for number in ("3101", "3102", "3103"):
                user_id = await tools.user(f"agent{number}@example.com")
                session.add(
                    CallCenterAgent(user_id=user_id, extension=number, department_id=support)
                )
        agents = []
        for number in ("3101", "3102", "3103"):
            async with resources.db.session() as session:
                agent_id = await session.scalar(
                    select(CallCenterAgent.id).filter_by(extension=number)
                )
            agent = await load_agent(resources.db, agent_id=agent_id)
            assert agent is not None
            agents.append(agent)
        for agent in agents[:2]:  # two ready, the third only signed in
            for action in (Action.LOGIN, Action.READY):
                await center.move(agent, action)
        await center.move(agents[2], Action.LOGIN)
        await center.move(agents[1], Action.RING)  # ringing: busy
        ann = await tools.user("ann@example.com")
        listed = await tools.call("get_available_departments", user=ann)
        ready = {d["name"]: d["agents_ready"] for d in listed["departments"]}
        assert ready == {"sales": 0, "support": 1}
        started = await tools.call(
            "transfer_to_agent", {"department": "sales"}, user=ann, session_id="call-7"
        )
        assert started["agents_ready"] == 0


async def test_transfer_records_the_request_and_returns_the_extension(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["transfer"]) as tools:
        await _departments(tools)
        ann = await tools.user("ann@example.com")
        result = await tools.call(
            "transfer_to_agent",
            {"department": "Support", "reason": "billing question"},
            user=ann,
            session_id="call-42",
        )
        assert result == {
            "department": "support",
            "extension": "2001",
            "description": "Help desk",
            "status": "requested",
            "agents_ready": 0,
        }
        record = await tools.resources.store.get_transfer("call-42")
        assert record is not None
        assert (record.department, record.extension, record.status) == (
            "support",
            "2001",
            "requested",
        )
        assert record.user_id == ann and record.reason == "billing question"


async def test_unknown_department_lists_the_real_ones(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["transfer"]) as tools:
        await _departments(tools)
        ann = await tools.user("ann@example.com")
        with pytest.raises(ToolCallError, match="available: sales, support"):
            await tools.call("transfer_to_agent", {"department": "closed"}, user=ann)
        async with tools.resources.db.session() as session:
            assert len((await session.scalars(select(Department))).all()) == 3


async def test_a_second_transfer_while_one_is_under_way_is_refused_politely(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["transfer"]) as tools:
        await _departments(tools)
        ann = await tools.user("ann@example.com")
        await tools.call("transfer_to_agent", {"department": "support"}, user=ann)
        again = await tools.call("transfer_to_agent", {"department": "sales"}, user=ann)
        assert again == {
            "status": "under_way",
            "message": "I'm already connecting you to support; please stay on the line.",
        }
        record = await tools.resources.store.get_transfer("s1")
        assert record is not None and record.department == "support"
        assert [step.status for step in record.history] == ["requested"]
