"""Issue 15.8: ``search_users`` shows people who share a team, others only by exact email."""

from tests.fakes.mcp_harness import tool_harness


async def test_search_users_is_scoped_to_the_callers_teams(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["team"]) as tools:
        ann = await tools.user("ann@example.com", "Ann Lee")
        await tools.user("bob@corp.test", "Bob Stone")
        await tools.user("carol@corp.test", "Carol Stone")
        team = (await tools.call("create_team", {"name": "Ops"}, user=ann))["team"]["id"]
        await tools.call("add_team_member", {"team_id": team, "email": "bob@corp.test"}, user=ann)
        found = await tools.call("search_users", {"query": "stone"}, user=ann)
        assert [u["email"] for u in found["users"]] == ["bob@corp.test"]
        # Someone outside the caller's teams is found only by the full address.
        exact = await tools.call("search_users", {"query": "Carol@corp.test"}, user=ann)
        assert [u["email"] for u in exact["users"]] == ["carol@corp.test"]
        assert (await tools.call("search_users", {"query": "carol@corp"}, user=ann))["users"] == []
