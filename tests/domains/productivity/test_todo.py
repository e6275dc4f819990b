"""Todo tools over MCP, on SQLite and PostgreSQL, including user isolation."""

import pytest

from tests.fakes.mcp_harness import ToolCallError, tool_harness


async def test_create_list_complete_update_delete(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["todo"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        created = await tools.call(
            "create_todo",
            {"title": "buy milk", "priority": "high", "due_date": "2026-05-04"},
            user=ann,
        )
        todo = created["todo"]
        assert todo["title"] == "buy milk" and todo["priority"] == "high"
        assert todo["due_date"].startswith("2026-05-04T23:59")
        await tools.call("create_todo", {"title": "call the bank"}, user=ann)

        listed = await tools.call("get_todos", user=ann)
        assert [t["title"] for t in listed["todos"]] == ["buy milk", "call the bank"]
        assert listed["count"] == 2

        done = await tools.call("complete_todo", {"title": "milk"}, user=ann)
        assert done["todo"]["completed"] is True
        assert [t["title"] for t in (await tools.call("get_todos", user=ann))["todos"]] == [
            "call the bank"
        ]
        completed = await tools.call("get_todos", {"status": "completed"}, user=ann)
        assert [t["title"] for t in completed["todos"]] == ["buy milk"]

        updated = await tools.call(
            "update_todo", {"title": "call the bank", "new_title": "call the bank today"}, user=ann
        )
        assert updated["todo"]["title"] == "call the bank today"
        deleted = await tools.call("delete_todo", {"todo_id": updated["todo"]["id"]}, user=ann)
        assert deleted["deleted"]["title"] == "call the bank today"
        assert (await tools.call("get_todos", {"status": "all"}, user=ann))["count"] == 1


async def test_users_never_see_or_change_each_others_todos(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["todo"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        bob = await tools.user("bob@example.com", "Bob")
        secret = (await tools.call("create_todo", {"title": "ann's secret"}, user=ann))["todo"]

        assert (await tools.call("get_todos", user=bob))["todos"] == []
        for name, args in [
            ("complete_todo", {"todo_id": secret["id"]}),
            ("update_todo", {"todo_id": secret["id"], "new_title": "hacked"}),
            ("delete_todo", {"todo_id": secret["id"]}),
            ("complete_todo", {"title": "ann's secret"}),
        ]:
            with pytest.raises(ToolCallError, match="no to-do"):
                await tools.call(name, args, user=bob)
        still = await tools.call("get_todos", user=ann)
        assert still["todos"][0]["title"] == "ann's secret"
        assert still["todos"][0]["completed"] is False


async def test_bad_arguments_are_readable_tool_errors(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["todo"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        with pytest.raises(ToolCallError, match="not a date"):
            await tools.call("create_todo", {"title": "x", "due_date": "next blursday"}, user=ann)
        with pytest.raises(ToolCallError, match="priority"):
            await tools.call("create_todo", {"title": "x", "priority": "whenever"}, user=ann)
        with pytest.raises(ToolCallError, match="title"):
            await tools.call("create_todo", {"title": ""}, user=ann)
        with pytest.raises(ToolCallError, match="which to-do"):
            await tools.call("complete_todo", {}, user=ann)
        await tools.call("create_todo", {"title": "water plants"}, user=ann)
        await tools.call("create_todo", {"title": "water garden"}, user=ann)
        with pytest.raises(ToolCallError, match="several"):
            await tools.call("complete_todo", {"title": "water"}, user=ann)
        with pytest.raises(ToolCallError, match="account"):
            await tools.call("get_todos", user="0" * 32)


async def test_sql_ish_text_is_just_text(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["todo"]) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        title = "milk'); DROP TABLE todos; --"
        await tools.call("create_todo", {"title": title}, user=ann)
        assert (await tools.call("get_todos", user=ann))["todos"][0]["title"] == title


async def test_a_call_without_identity_is_refused(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=["todo"]) as tools:
        result = await tools.client.call_tool("get_todos", {})
        assert result.isError
        assert "signed-in user" in " ".join(getattr(c, "text", "") for c in result.content)
