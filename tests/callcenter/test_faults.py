"""Faults: with Redis down the agent API answers 503 with a reason, never a 500."""

from pathlib import Path

import httpx

from convonet.auth.tokens import issue_token
from convonet.runtime import open_runtime
from convonet.server import create_app
from convonet.storage import migrate
from convonet.storage.models import CallCenterAgent
from convonet.storage.users import create_user
from tests.callcenter.conftest import API
from tests.conftest import free_port
from tests.fakes.backends import storage_settings


async def test_redis_down_answers_503_and_the_history_is_untouched(tmp_path: Path) -> None:
    settings = storage_settings(
        tmp_path,
        database_url=f"sqlite:///{tmp_path / 'down.db'}",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
        tools_enabled=False,
    )
    await migrate.upgrade(settings)
    app = create_app(settings)
    async with open_runtime(settings) as runtime:
        app.state.runtime = runtime
        async with runtime.db.session() as session:
            user = await create_user(
                session, pin_secret=settings.pin_hash_secret, email="down@x.test",
                name="Down", roles=["agent"],
            )  # fmt: skip
            agent = CallCenterAgent(user_id=user.id, extension="4001")
            session.add(agent)
            await session.flush()
            user_id, agent_id = user.id, agent.id
        token = issue_token(
            settings, user_id=user_id, email="down@x.test", roles=["agent"], team_id=None,
            kind="access",
        )  # fmt: skip
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://cc.test", headers=headers
        ) as http:
            for call in (http.post(f"{API}/agent/login"), http.get(f"{API}/agent/status")):
                answer = await call
                assert answer.status_code == 503, answer.text
                assert answer.json()["detail"] == "the call-center store is unavailable"
        async with runtime.db.session() as session:
            row = await session.get(CallCenterAgent, agent_id)
            assert row is not None and row.state == "logged_out"  # nothing half-done
