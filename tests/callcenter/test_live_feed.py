"""The live feed: a change made through one app instance reaches a stream on the other."""

import pytest

from tests.callcenter.conftest import API, Desk
from tests.fakes.asgi_stream import open_stream

pytestmark = pytest.mark.asyncio(loop_scope="package")


async def _ticket(desk: Desk, person, instance: int = 0) -> str:  # type: ignore[no-untyped-def]
    async with desk.client(person, instance) as http:
        answer = await http.post(f"{API}/events/ticket")
    assert answer.status_code == 200, answer.text
    assert answer.json()["expires_in"] == 60
    return str(answer.json()["ticket"])


async def test_changes_through_another_instance_stream_live_team_scoped(desk: Desk) -> None:
    supervisor = await desk.person(roles=("supervisor",), agent=False)
    agent = await desk.person(team_id=supervisor.team_id)
    stranger = await desk.person()  # another team: its changes never reach this stream
    ticket = await _ticket(desk, supervisor)
    async with open_stream(desk.apps[0], f"{API}/events?ticket={ticket}") as stream:
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        ready = await stream.next()
        assert ready.event == "ready"
        assert [a["agent_id"] for a in ready.data["agents"]] == [agent.agent_id]
        assert ready.data["agents"][0]["state"] == "logged_out"
        async with desk.client(stranger, 1) as other, desk.client(agent, 1) as http:
            assert (await other.post(f"{API}/agent/login")).status_code == 200
            assert (await http.post(f"{API}/agent/login")).status_code == 200
            changed = await stream.next()
            assert changed.event == "agent" and changed.data["agent_id"] == agent.agent_id
            assert (changed.data["previous_state"], changed.data["state"]) == (
                "logged_out", "not_ready",
            )  # fmt: skip
            assert changed.data["action"] == "login" and "team_ids" not in changed.data
            for step in ("/agent/ready", "/call/ringing", "/call/answer", "/call/drop"):
                assert (await http.post(API + step, json={})).status_code == 200, step
        states = [(await stream.next()).data["state"] for _ in range(4)]
        assert states == ["ready", "ringing", "on_call", "wrap_up"]
        # Nobody asks: the sweepers end the wrap-up, and the change is pushed.
        desk.clock.advance(desk.settings.call_center_wrap_up_secs)
        over = await stream.until("agent", agent_id=agent.agent_id, action="wrap_up_over")
        assert over.data["state"] == "ready" and over.data["seconds_in_state"] == 0


async def test_the_feed_takes_a_ticket_once_or_the_bearer_header(desk: Desk) -> None:
    agent = await desk.person()
    ticket = await _ticket(desk, agent, instance=1)
    async with open_stream(desk.apps[0], f"{API}/events?ticket={ticket}") as stream:
        assert stream.status == 200 and (await stream.next()).event == "ready"
    for url, headers in (
        (f"{API}/events?ticket={ticket}", None),  # used
        (f"{API}/events?ticket={'x' * 43}", None),  # never issued
        (f"{API}/events", None),
        (f"{API}/events", {"Authorization": "Bearer forged"}),
    ):
        async with open_stream(desk.apps[0], url, headers) as refused:
            assert refused.status == 401, url
    async with open_stream(desk.apps[1], f"{API}/events", agent.auth) as stream:
        ready = await stream.next()
        assert [a["agent_id"] for a in ready.data["agents"]] == [agent.agent_id]
    plain = await desk.person(roles=("user",), agent=False)
    async with desk.client(plain) as http:
        assert (await http.post(f"{API}/events/ticket")).status_code == 403
