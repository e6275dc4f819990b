"""The agent's state API: sign-in, ready / not-ready, call steps, SIP account, refusals."""

import asyncio

import pytest
from sqlalchemy import select

from convonet.callcenter.states import MOVES, Action
from convonet.storage.models import AgentState, AgentStateChange
from tests.callcenter.conftest import API, Desk

pytestmark = pytest.mark.asyncio(loop_scope="package")


async def test_an_agent_signs_in_goes_ready_and_out(desk: Desk) -> None:
    agent = await desk.person()
    async with desk.client(agent) as http:
        status = (await http.get(f"{API}/agent/status")).json()
        assert status["state"] == "logged_out" and status["current_call"] is None
        login = await http.post(f"{API}/agent/login", json={"extension": agent.extension})
        assert login.status_code == 200, login.text
        body = login.json()
        assert (body["agent_id"], body["extension"], body["state"]) == (
            agent.agent_id, agent.extension, "not_ready",
        )  # fmt: skip
        assert body["department"] == "support" and body["seconds_in_state"] == 0
        assert set(body["allowed_actions"]) == {"logout", "ready"}
        desk.clock.advance(5)
        assert (await http.get(f"{API}/agent/status")).json()["seconds_in_state"] == 5
        assert (await http.post(f"{API}/agent/ready")).json()["state"] == "ready"
        assert (await http.post(f"{API}/agent/not-ready")).json()["state"] == "not_ready"
        assert (await http.post(f"{API}/agent/logout")).json()["state"] == "logged_out"


async def test_a_call_rings_is_answered_held_and_hung_up_then_wrap_up_ends(desk: Desk) -> None:
    agent = await desk.person()
    async with desk.client(agent) as http:
        await http.post(f"{API}/agent/login")
        await http.post(f"{API}/agent/ready")
        ringing = await http.post(f"{API}/call/ringing", json={"caller_number": "+15550001111"})
        assert ringing.status_code == 200, ringing.text
        assert ringing.json()["status"]["state"] == "ringing"
        assert ringing.json()["popup"]["source"] == "unknown"
        answered = (await http.post(f"{API}/call/answer")).json()
        assert answered["state"] == "on_call"
        assert answered["current_call"]["caller_number"] == "+15550001111"
        held = (await http.post(f"{API}/call/hold", json={"on": True})).json()
        assert held["current_call"]["on_hold"] is True
        desk.clock.advance(4)
        resumed = (await http.post(f"{API}/call/hold", json={"on": False})).json()
        assert resumed["current_call"]["on_hold"] is False
        assert resumed["current_call"]["hold_secs"] == 4
        desk.clock.advance(6)
        dropped = (await http.post(f"{API}/call/drop")).json()
        assert dropped["state"] == "wrap_up"
        assert dropped["wrap_up_remaining"] == desk.settings.call_center_wrap_up_secs
        assert dropped["current_call"]["duration_secs"] == 10
        desk.clock.advance(desk.settings.call_center_wrap_up_secs + 1)
        # The other instance sees the end of wrap-up too (settled on read, or swept).
        async with desk.client(agent, instance=1) as other:
            after = (await other.get(f"{API}/agent/status")).json()
        assert after["state"] == "ready" and after["current_call"] is None
        assert after["seconds_in_state"] == 1  # ready since wrap-up ended, not since the read


def _forbidden() -> list[tuple[AgentState, Action]]:
    return [
        (state, action)
        for state in AgentState
        for action in Action
        if action is not Action.WRAP_UP_OVER and state not in MOVES[action]
    ]


CALLS: dict[Action, tuple[str, dict[str, object] | None]] = {
    Action.LOGIN: ("/agent/login", None),
    Action.LOGOUT: ("/agent/logout", None),
    Action.READY: ("/agent/ready", None),
    Action.NOT_READY: ("/agent/not-ready", None),
    Action.RING: ("/call/ringing", {}),
    Action.ANSWER: ("/call/answer", None),
    Action.DROP: ("/call/drop", None),
    Action.HOLD: ("/call/hold", {"on": True}),
    Action.BLIND_TRANSFER: ("/call/transfer", {"target": "2002", "kind": "blind"}),
    Action.ATTENDED_TRANSFER: ("/call/transfer", {"target": "2002", "kind": "attended"}),
}
PATH_TO: dict[AgentState, list[Action]] = {
    AgentState.LOGGED_OUT: [],
    AgentState.NOT_READY: [Action.LOGIN],
    AgentState.READY: [Action.LOGIN, Action.READY],
    AgentState.RINGING: [Action.LOGIN, Action.READY, Action.RING],
    AgentState.ON_CALL: [Action.LOGIN, Action.READY, Action.RING, Action.ANSWER],
    AgentState.WRAP_UP: [Action.LOGIN, Action.READY, Action.RING, Action.ANSWER, Action.DROP],
}


@pytest.mark.parametrize("state", list(AgentState))
async def test_every_forbidden_step_is_refused_with_409_and_the_reason(
    desk: Desk, state: AgentState
) -> None:
    forbidden = [action for s, action in _forbidden() if s is state]
    assert forbidden, state  # every state forbids something
    agent = await desk.person()
    async with desk.client(agent) as http:
        for action in PATH_TO[state]:
            path, body = CALLS[action]
            assert (await http.post(API + path, json=body)).status_code == 200, action
        for action in forbidden:
            path, body = CALLS[action]
            refused = await http.post(API + path, json=body)
            assert refused.status_code == 409, (state, action, refused.text)
            reason = refused.json()["detail"]
            assert f"cannot {action} while {state}" in reason, reason
            for source in MOVES[action]:
                assert source in reason.split("allowed from")[1], reason
        status = (await http.get(f"{API}/agent/status")).json()
    assert status["state"] == state  # nothing moved


async def test_hold_twice_and_resume_without_hold_are_refused(desk: Desk) -> None:
    agent = await desk.person()
    async with desk.client(agent) as http:
        for action in PATH_TO[AgentState.ON_CALL]:
            path, body = CALLS[action]
            await http.post(API + path, json=body)
        off = await http.post(f"{API}/call/hold", json={"on": False})
        assert off.status_code == 409 and "already off hold" in off.json()["detail"]
        assert (await http.post(f"{API}/call/hold", json={"on": True})).status_code == 200
        again = await http.post(f"{API}/call/hold", json={"on": True})
        assert again.status_code == 409 and "already on hold" in again.json()["detail"]


async def test_no_token_401_no_role_403_no_agent_record_403(desk: Desk) -> None:
    plain = await desk.person(roles=("user",), agent=False)
    supervisor = await desk.person(roles=("supervisor",), agent=False)
    async with desk.client() as anonymous, desk.client(plain) as user:
        for path, _ in CALLS.values():
            assert (await anonymous.post(API + path, json={})).status_code == 401, path
        assert (await anonymous.get(f"{API}/agent/status")).status_code == 401
        bad = await anonymous.get(
            f"{API}/agent/status", headers={"Authorization": "Bearer not-a-jwt"}
        )
        assert bad.status_code == 401
        refused = await user.post(f"{API}/agent/login")
        assert refused.status_code == 403 and "agent" in refused.json()["detail"]
    async with desk.client(supervisor) as http:
        no_record = await http.post(f"{API}/agent/login")
        assert no_record.status_code == 403
        assert "no call-center agent record" in no_record.json()["detail"]


async def test_login_at_someone_elses_extension_is_refused(desk: Desk) -> None:
    agent = await desk.person()
    async with desk.client(agent) as http:
        wrong = await http.post(f"{API}/agent/login", json={"extension": "9999"})
        assert wrong.status_code == 403
        assert f"yours is {agent.extension}" in wrong.json()["detail"]
        bad = await http.post(f"{API}/agent/login", json={"extension": "20 01; drop"})
        assert bad.status_code == 422
        assert (await http.get(f"{API}/agent/status")).json()["state"] == "logged_out"


async def test_the_sip_account_goes_only_to_its_agent(desk: Desk) -> None:
    agent = await desk.person()
    other = await desk.person(team_id=agent.team_id)
    async with desk.client(agent) as http:
        sip = (await http.get(f"{API}/agent/sip")).json()
    assert sip == {
        "uri": f"sip:{agent.extension}@{desk.settings.sip_domain}",
        "username": agent.extension,
        "password": f"pw-{agent.extension}",
        "ws_url": f"ws://{desk.settings.sip_domain}:{desk.settings.sip_ws_port}",
        "display_name": "Agent Tester",
        "extension": agent.extension,
    }
    async with desk.client(other) as http:
        assert (await http.get(f"{API}/agent/sip")).json()["password"] == f"pw-{other.extension}"


async def test_two_instances_racing_on_one_agent_move_it_once(desk: Desk) -> None:
    agent = await desk.person()
    async with desk.client(agent, 0) as one, desk.client(agent, 1) as two:
        for step in ("/agent/login", "/agent/ready", "/call/ringing"):
            assert (await one.post(API + step, json={})).status_code == 200
        answers = await asyncio.gather(
            *(http.post(f"{API}/call/answer") for http in (one, two, one, two))
        )
        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
        status = (await two.get(f"{API}/agent/status")).json()
    assert status["state"] == "on_call"
    async with desk.runtime().db.session() as session:
        changes = (
            await session.scalars(
                select(AgentStateChange.to_state)
                .where(AgentStateChange.agent_id == agent.agent_id)
                .order_by(AgentStateChange.seq)
            )
        ).all()
    assert changes == ["not_ready", "ready", "ringing", "on_call"]  # one answer, logged once


async def test_a_blind_transfer_hands_the_call_on_and_wraps_up(desk: Desk) -> None:
    agent = await desk.person()
    async with desk.client(agent) as http:
        for action in PATH_TO[AgentState.ON_CALL]:
            path, body = CALLS[action]
            await http.post(API + path, json=body)
        await http.post(f"{API}/call/hold", json={"on": True})
        desk.clock.advance(3)
        moved = await http.post(f"{API}/call/transfer", json={"target": "2003", "kind": "blind"})
        assert moved.status_code == 200, moved.text
        status = moved.json()
        assert status["state"] == "wrap_up" and status["current_call"]["hold_secs"] == 3
        assert status["current_call"]["transfers"][0]["kind"] == "blind"
        bad = await http.post(f"{API}/call/transfer", json={"target": "2003", "kind": "warm"})
        assert bad.status_code == 422
        page = (await http.get(f"{API}/history", params={"limit": 1})).json()
    assert page["items"][0]["outcome"] == "transferred"
    assert page["items"][0]["transfers"][0]["target"] == "2003"


async def test_every_endpoint_is_documented_with_its_answer(desk: Desk) -> None:
    paths = {
        path: methods
        for path, methods in desk.apps[0].openapi()["paths"].items()
        if path.startswith(API)
    }
    expected = {
        *(f"{API}/agent/{p}" for p in ("login", "logout", "ready", "not-ready", "status", "sip")),
        *(f"{API}/call/{p}" for p in ("ringing", "answer", "drop", "hold", "transfer")),
        f"{API}/customer/{{customer_id}}", f"{API}/customer/lookup", f"{API}/history",
        f"{API}/metrics", f"{API}/agents", f"{API}/events", f"{API}/events/ticket",
    }  # fmt: skip
    assert set(paths) == expected
    for path, methods in paths.items():
        for operation in methods.values():
            answer = operation["responses"]["200"]["content"]
            if path.endswith("/events"):
                assert "text/event-stream" in answer
            else:
                assert answer["application/json"]["schema"], path
            assert {"401", "403"} <= set(operation["responses"]), path
