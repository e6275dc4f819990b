"""Team tools over MCP, on SQLite and PostgreSQL: membership checks, role rules, isolation."""

import pytest
from sqlalchemy import select

from convonet.domains.productivity.models import Todo
from tests.fakes.mcp_harness import ToolCallError, ToolHarness, tool_harness


async def _team_with(tools: ToolHarness, owner: str, **members: str) -> str:
    """Create the team "Ops" owned by ``owner``; add ``email=role`` members. Returns its id."""
    team = (await tools.call("create_team", {"name": "Ops"}, user=owner))["team"]
    for email, role in members.items():
        args = {"team_id": team["id"], "email": f"{email}@example.com", "role": role}
        await tools.call("add_team_member", args, user=owner)
    return str(team["id"])


async def test_create_list_and_members(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["team"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        bob = await tools.user("bob@example.com", "Bob")
        created = await tools.call(
            "create_team", {"name": "Ops", "description": "on call"}, user=ann
        )
        assert created["team"]["name"] == "Ops" and created["team"]["description"] == "on call"
        assert (await tools.call("get_teams", user=ann))["teams"][0]["role"] == "owner"
        assert (await tools.call("get_teams", user=bob))["teams"] == []

        added = await tools.call(
            "add_team_member", {"team_name": "ops", "email": "BOB@example.com"}, user=ann
        )
        assert added["member"] == {
            "user_id": bob,
            "name": "Bob",
            "email": "bob@example.com",
            "role": "member",
        }
        bob_teams = (await tools.call("get_teams", user=bob))["teams"]
        assert [(t["name"], t["role"]) for t in bob_teams] == [("Ops", "member")]

        listed = await tools.call("get_team_members", {"team_id": created["team"]["id"]}, user=bob)
        assert listed["team"]["name"] == "Ops"
        assert [(m["name"], m["role"]) for m in listed["members"]] == [
            ("Ann", "owner"),
            ("Bob", "member"),
        ]
        with pytest.raises(ToolCallError, match="already exists"):
            await tools.call("create_team", {"name": "OPS"}, user=bob)
        with pytest.raises(ToolCallError, match="already on 'Ops' as member"):
            await tools.call(
                "add_team_member", {"team_name": "Ops", "email": "bob@example.com"}, user=ann
            )


async def test_team_todos_assignment_and_viewers(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["team", "todo"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        bob = await tools.user("bob@example.com", "Bob")
        vic = await tools.user("vic@example.com", "Vic")
        await tools.user("out@example.com", "Outsider")
        team_id = await _team_with(tools, ann, bob="member", vic="viewer")

        made = await tools.call(
            "create_team_todo",
            {
                "team_name": "Ops",
                "title": "rotate keys",
                "assignee_email": "bob@example.com",
                "priority": "urgent",
                "due_date": "2030-01-02",
            },
            user=ann,
        )
        assert made["todo"]["team_id"] == team_id and made["todo"]["priority"] == "urgent"
        async with tools.resources.db.session() as session:
            todo = await session.scalar(select(Todo).where(Todo.id == made["todo"]["id"]))
            assert todo is not None and todo.assignee_id == bob and todo.user_id == ann
        for member in (bob, vic):
            titles = [t["title"] for t in (await tools.call("get_todos", user=member))["todos"]]
            assert titles == ["rotate keys"]
        by_bob = await tools.call("create_team_todo", {"team_id": team_id, "title": "x"}, user=bob)
        assert by_bob["todo"]["team_id"] == team_id

        with pytest.raises(ToolCallError, match="viewers"):
            await tools.call("create_team_todo", {"team_id": team_id, "title": "y"}, user=vic)
        with pytest.raises(ToolCallError, match="not a member"):
            await tools.call(
                "create_team_todo",
                {"team_id": team_id, "title": "y", "assignee_email": "out@example.com"},
                user=ann,
            )
        with pytest.raises(ToolCallError, match="no user has the email"):
            await tools.call(
                "create_team_todo",
                {"team_id": team_id, "title": "y", "assignee_email": "nobody@example.com"},
                user=ann,
            )

        # Removing Bob unassigns his team to-dos.
        await tools.call(
            "remove_team_member", {"team_id": team_id, "email": "bob@example.com"}, user=ann
        )
        async with tools.resources.db.session() as session:
            todo = await session.scalar(select(Todo).where(Todo.id == made["todo"]["id"]))
            assert todo is not None and todo.assignee_id is None
        assert [t["title"] for t in (await tools.call("get_todos", user=bob))["todos"]] == ["x"]


async def test_role_rules(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["team"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        adam = await tools.user("adam@example.com", "Adam")
        bob = await tools.user("bob@example.com", "Bob")
        await tools.user("cat@example.com", "Cat")
        team = await _team_with(tools, ann, adam="admin", bob="member")

        def args(email: str, **more: str) -> dict[str, str]:
            return {"team_id": team, "email": f"{email}@example.com", **more}

        for name, call in [
            ("add_team_member", args("cat")),
            ("remove_team_member", args("adam")),
            ("change_member_role", args("bob", role="admin")),
        ]:
            with pytest.raises(ToolCallError, match="only the owners and admins"):
                await tools.call(name, call, user=bob)
        # Admins manage members but never the owner role.
        await tools.call("add_team_member", args("cat", role="viewer"), user=adam)
        changed = await tools.call("change_member_role", args("cat", role="member"), user=adam)
        assert changed["member"]["role"] == "member"
        with pytest.raises(ToolCallError, match="only an owner"):
            await tools.call("change_member_role", args("cat", role="owner"), user=adam)
        with pytest.raises(ToolCallError, match="only an owner"):
            await tools.call("remove_team_member", args("ann"), user=adam)
        # The last owner can be neither demoted nor removed, even by themselves.
        with pytest.raises(ToolCallError, match="last owner"):
            await tools.call("change_member_role", args("ann", role="admin"), user=ann)
        with pytest.raises(ToolCallError, match="last owner"):
            await tools.call("remove_team_member", args("ann"), user=ann)
        await tools.call("change_member_role", args("adam", role="owner"), user=ann)
        demoted = await tools.call("change_member_role", args("ann", role="viewer"), user=adam)
        assert demoted["member"]["role"] == "viewer"
        # Any member may leave; a non-manager still cannot remove others.
        removed = await tools.call("remove_team_member", args("bob"), user=bob)
        assert removed["removed"]["email"] == "bob@example.com"
        assert (await tools.call("get_teams", user=bob))["teams"] == []
        with pytest.raises(ToolCallError, match="only the owners and admins"):
            await tools.call("remove_team_member", args("cat"), user=ann)
        members = (await tools.call("get_team_members", {"team_id": team}, user=adam))["members"]
        assert [(m["email"], m["role"]) for m in members] == [
            ("adam@example.com", "owner"),
            ("cat@example.com", "member"),
            ("ann@example.com", "viewer"),
        ]


async def test_outsiders_cannot_see_or_change_a_team(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["team"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        await tools.user("bob@example.com", "Bob")
        eve = await tools.user("eve@example.com", "Eve")
        team = await _team_with(tools, ann, bob="member")

        assert (await tools.call("get_teams", user=eve))["teams"] == []
        for name, args in [
            ("get_team_members", {"team_id": team}),
            ("create_team_todo", {"team_id": team, "title": "spam"}),
            ("add_team_member", {"team_id": team, "email": "eve@example.com", "role": "owner"}),
            ("remove_team_member", {"team_id": team, "email": "bob@example.com"}),
            ("change_member_role", {"team_id": team, "email": "ann@example.com", "role": "viewer"}),
        ]:
            with pytest.raises(ToolCallError, match="not on a team"):
                await tools.call(name, args, user=eve)
        with pytest.raises(ToolCallError, match="no team matches 'Ops'"):
            await tools.call("get_team_members", {"team_name": "Ops"}, user=eve)
        members = (await tools.call("get_team_members", {"team_id": team}, user=ann))["members"]
        assert [(m["email"], m["role"]) for m in members] == [
            ("ann@example.com", "owner"),
            ("bob@example.com", "member"),
        ]


async def test_search_users_returns_only_public_fields(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["team"]) as tools:
        ann = await tools.user("ann@example.com", "Ann Lee", pin="482160", phone="+15555550111")
        await tools.user("bob@corp.test", "Bob Stone")
        await tools.user("bo_b@corp.test", "Other Bob")
        await tools.user("roxbury@corp.test", "Roxbury")
        # search_users lists teammates (and anyone by full email): put them on ann's team.
        team = (await tools.call("create_team", {"name": "Ops"}, user=ann))["team"]["id"]
        for email in ("bob@corp.test", "bo_b@corp.test", "roxbury@corp.test"):
            await tools.call("add_team_member", {"team_id": team, "email": email}, user=ann)
        found = await tools.call("search_users", {"query": "LEE"}, user=ann)
        assert found["users"] == [{"user_id": ann, "name": "Ann Lee", "email": "ann@example.com"}]
        by_email = await tools.call("search_users", {"query": "corp.TEST"}, user=ann)
        assert [u["name"] for u in by_email["users"]] == ["Bob Stone", "Other Bob", "Roxbury"]
        limited = await tools.call("search_users", {"query": "bob", "limit": 1}, user=ann)
        assert len(limited["users"]) == 1
        # LIKE wildcards are literal text.
        assert (await tools.call("search_users", {"query": "%%"}, user=ann))["users"] == []
        underscore = await tools.call("search_users", {"query": "o_b"}, user=ann)
        assert [u["email"] for u in underscore["users"]] == ["bo_b@corp.test"]
        with pytest.raises(ToolCallError, match="two letters"):
            await tools.call("search_users", {"query": " a "}, user=ann)


async def test_bad_arguments_and_sql_ish_names(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["team"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        name = "ops'); DROP TABLE teams; --"
        team = (await tools.call("create_team", {"name": name}, user=ann))["team"]
        assert (await tools.call("get_teams", user=ann))["teams"][0]["name"] == name
        assert (await tools.call("get_team_members", {"team_name": name}, user=ann))["team"] == team
        await tools.call("create_team", {"name": "Ops West"}, user=ann)
        with pytest.raises(ToolCallError, match="several teams"):
            await tools.call("get_team_members", {"team_name": "ops"}, user=ann)
        with pytest.raises(ToolCallError, match="say which team"):
            await tools.call("get_team_members", {}, user=ann)
        with pytest.raises(ToolCallError, match="role"):
            await tools.call(
                "add_team_member",
                {"team_id": team["id"], "email": "ann@example.com", "role": "emperor"},
                user=ann,
            )
        with pytest.raises(ToolCallError, match="no user has the email"):
            await tools.call("add_team_member", {"team_id": team["id"], "email": "x@y.z"}, user=ann)
        with pytest.raises(ToolCallError, match="not a date"):
            await tools.call(
                "create_team_todo",
                {"team_id": team["id"], "title": "t", "due_date": "someday"},
                user=ann,
            )
        with pytest.raises(ToolCallError, match="name"):
            await tools.call("create_team", {"name": "   "}, user=ann)
