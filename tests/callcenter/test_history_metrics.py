"""History, per-agent metrics and the supervisor's view, scoped to the viewer's teams."""

import pytest

from convonet.storage.models import Call
from tests.callcenter.conftest import API, Desk

pytestmark = pytest.mark.asyncio(loop_scope="package")


async def test_history_and_metrics_of_an_answered_and_a_rejected_call(desk: Desk) -> None:
    supervisor = await desk.person(roles=("supervisor",), agent=False)
    agent = await desk.person(team_id=supervisor.team_id)
    stranger = await desk.person()
    wrap = desk.settings.call_center_wrap_up_secs
    async with desk.client(agent) as http:
        for step in ("/agent/login", "/agent/ready"):
            await http.post(API + step)
        desk.clock.advance(10)
        await http.post(f"{API}/call/ringing", json={"caller_number": "+15550009999"})
        desk.clock.advance(2)
        await http.post(f"{API}/call/answer")
        desk.clock.advance(30)
        await http.post(f"{API}/call/hold", json={"on": True})
        desk.clock.advance(5)
        await http.post(f"{API}/call/hold", json={"on": False})
        await http.post(f"{API}/call/transfer", json={"target": "2002", "kind": "attended"})
        desk.clock.advance(15)
        await http.post(f"{API}/call/drop")
        desk.clock.advance(wrap)
        assert (await http.get(f"{API}/agent/status")).json()["state"] == "ready"
        await http.post(f"{API}/call/ringing", json={})
        await http.post(f"{API}/call/drop")  # rejected while ringing
        await http.post(f"{API}/agent/not-ready")
        desk.clock.advance(20)
    async with desk.client(supervisor) as http:
        page = (await http.get(f"{API}/history", params={"limit": 10})).json()
        report = (await http.get(f"{API}/metrics")).json()
        agents = (await http.get(f"{API}/agents")).json()
    assert page["total"] == 2
    rejected, completed = page["items"]
    assert (rejected["outcome"], rejected["answered_at"], rejected["handle_secs"]) == (
        "rejected", None, None,
    )  # fmt: skip
    assert completed["outcome"] == "completed" and completed["caller_number"] == "+15550009999"
    assert (completed["talk_secs"], completed["hold_secs"]) == (50, 5)
    assert completed["handle_secs"] == 50 + wrap  # talk + wrap-up
    assert completed["transfers"][0]["target"] == "2002"
    assert completed["agent_id"] == agent.agent_id and completed["channel"] == "sip"
    async with desk.runtime().db.session() as session:
        direct = await session.get(Call, completed["call_id"])
        assert direct is not None and direct.ended_at is not None  # ended with the agent's leg
        assert direct.caller_number == "+15550009999"
    [figures] = report["agents"]
    assert figures["agent_id"] == agent.agent_id
    assert (figures["offered"], figures["answered"], figures["calls_handled"]) == (2, 1, 1)
    assert figures["answer_rate"] == 0.5 and figures["average_handle_secs"] == 50 + wrap
    logged_in = 10 + 2 + 50 + wrap + 20
    assert figures["logged_in_secs"] == logged_in
    assert figures["availability_pct"] == round(100 * (logged_in - 20) / logged_in, 2)
    assert [a["agent_id"] for a in agents] == [agent.agent_id]
    assert agents[0]["state"] == "not_ready" and agents[0]["seconds_in_state"] == 20
    async with desk.client(stranger) as http:
        assert (await http.get(f"{API}/history")).json()["total"] == 0
        assert [a["agent_id"] for a in (await http.get(f"{API}/metrics")).json()["agents"]] == [
            stranger.agent_id
        ]
        assert (await http.get(f"{API}/agents")).status_code == 403  # supervisors only


async def test_views_refuse_bad_parameters_and_strangers(desk: Desk) -> None:
    agent = await desk.person()
    async with desk.client(agent) as http:
        for path, params in (
            ("/history", {"limit": 0}),
            ("/history", {"limit": 1000}),
            ("/history", {"offset": -1}),
            ("/metrics", {"window_s": 1}),
        ):
            assert (await http.get(API + path, params=params)).status_code == 422, params
    async with desk.client() as anonymous:
        for path in ("/history", "/metrics", "/agents"):
            assert (await anonymous.get(API + path)).status_code == 401
