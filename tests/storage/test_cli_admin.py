"""``convonet db ...`` and ``convonet users ...`` through the real command line entry point."""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from convonet.cli import main
from convonet.settings import Settings
from convonet.storage import migrate, users
from convonet.storage.db import Database
from tests.fakes.backends import settings_env


@dataclass
class AdminCli:
    """``convonet`` run in-process with the test database's settings in its environment."""

    env: dict[str, str | None]
    settings: Settings
    runner: CliRunner = field(default_factory=CliRunner)

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(main, list(args), env=self.env, catch_exceptions=False)


@pytest.fixture
def cli(db_settings: Settings, tmp_path: Path) -> AdminCli:
    env = settings_env(db_settings)
    if db_settings.database_url is None:  # spell out the SQLite file, driver-less, as users do
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    return AdminCli(env, db_settings.model_copy(update={"database_url": env["DATABASE_URL"]}))


async def _pin_owner(settings: Settings, pin: str) -> str | None:
    async with Database.from_settings(settings) as db, db.session() as session:
        user = await users.find_by_pin(session, pin, pin_secret=settings.pin_hash_secret)
        return None if user is None else user.email


def test_users_add_list_and_set_pin(cli: AdminCli) -> None:
    assert cli("db", "upgrade").output.strip() == f"database at {migrate.head_revision()}"
    assert "no users yet" in cli("users", "list").output
    added = cli(
        "users", "add", "--email", "Ann@Example.com", "--name", "Ann Lee",
        "--password", "a-good-password", "--pin", "246810",
        "--role", "agent", "--role", "supervisor", "--phone", "+1 555 010 2000",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.startswith("created ann@example.com\tAnn Lee\tagent,supervisor\t")
    cli("users", "add", "--email", "bob@example.com", "--name", "Bob")
    listed = cli("users", "list").output.splitlines()
    assert [line.split("\t")[:5] for line in listed] == [
        ["ann@example.com", "Ann Lee", "agent,supervisor", "+15550102000", "pin"],
        ["bob@example.com", "Bob", "user", "-", "no pin"],
    ]
    assert asyncio.run(_pin_owner(cli.settings, "246810")) == "ann@example.com"
    changed = cli("users", "set-pin", "bob@example.com", "135791")
    assert changed.exit_code == 0 and "PIN updated for bob@example.com" in changed.output
    assert asyncio.run(_pin_owner(cli.settings, "135791")) == "bob@example.com"


def test_user_errors_are_one_line_messages(cli: AdminCli) -> None:
    cli("db", "upgrade")
    cli("users", "add", "--email", "ann@example.com", "--name", "Ann", "--pin", "246810")
    cases = [
        (["--email", "ANN@example.com", "--name", "X"], "already has this email"),
        (["--email", "x@example.com", "--name", "X", "--pin", "246810"], "already has this PIN"),
        (["--email", "x@example.com", "--name", "X", "--pin", "24a8"], "4 to 8 digits"),
        (["--email", "x@example.com", "--name", "X", "--password", "short"], "password"),
        (["--email", "nope", "--name", "X"], "not an email address"),
        (["--email", "x@example.com", "--name", "X", "--phone", "12"], "E.164"),
    ]
    for args, message in cases:
        result = cli("users", "add", *args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith("Error: ") and message in result.output, result.output
    bad_role = cli("users", "add", "--email", "x@example.com", "--name", "X", "--role", "root")
    assert bad_role.exit_code == 2 and "'root' is not one of" in bad_role.output
    missing = cli("users", "set-pin", "nobody@example.com", "135791")
    assert missing.exit_code == 1 and "no user with email" in missing.output
    taken = cli("users", "set-pin", "ann@example.com", "12")
    assert taken.exit_code == 1 and "4 to 8 digits" in taken.output
    assert len(cli("users", "list").output.splitlines()) == 1


def test_commands_on_an_unmigrated_database_say_what_to_do(cli: AdminCli) -> None:
    for args in (["users", "list"], ["users", "set-pin", "a@example.com", "1234"]):
        result = cli(*args)
        assert result.exit_code == 1 and "run `convonet db upgrade`" in result.output
    cli("db", "upgrade")
    down = cli("db", "downgrade", "base")
    assert down.exit_code == 0 and down.output.strip() == "database at base"
    assert "convonet db upgrade" in cli("users", "list").output
    bad = cli("db", "downgrade", "nonexistent")
    assert bad.exit_code == 1 and "migration failed" in bad.output


def test_seed_demo_migrates_and_is_repeatable(cli: AdminCli) -> None:
    first = cli("db", "seed-demo")
    assert first.exit_code == 0 and "demo@convonet.local, PIN 1234" in first.output
    assert "records created" in first.output and "(0 records" not in first.output
    assert "(0 records created)" in cli("db", "seed-demo").output
    assert asyncio.run(_pin_owner(cli.settings, "1234")) == "demo@convonet.local"
    emails = [line.split("\t")[0] for line in cli("users", "list").output.splitlines()]
    assert emails == ["alex@convonet.local", "demo@convonet.local"]


def test_users_agent_makes_a_call_center_agent(cli: AdminCli) -> None:
    cli("db", "upgrade")
    cli("db", "seed-demo")
    cli("users", "add", "--email", "cy@example.com", "--name", "Cy")
    made = cli("users", "agent", "cy@example.com", "--extension", "2050", "--department", "sales")
    assert made.exit_code == 0, made.output
    assert made.output.startswith("agent created: cy@example.com, extension 2050, department sales")
    generated = made.output.strip().rsplit(" ", 1)[1]
    assert len(generated) >= 20
    again = cli(
        "users", "agent", "cy@example.com", "--extension", "2051", "--sip-password", "s3cret-pw!"
    )
    assert again.exit_code == 0 and "agent updated" in again.output and "(as given)" in again.output
    listed = [line for line in cli("users", "list").output.splitlines() if "cy@" in line]
    assert listed[0].split("\t")[2] == "agent,user"  # the role comes with the record
    for args, message in (
        (["nobody@example.com", "--extension", "2060"], "no user"),
        (["cy@example.com", "--extension", "20a"], "2 to 16 digits"),
        (["cy@example.com", "--extension", "2060", "--department", "nope"], "no department"),
        (["cy@example.com", "--extension", "2001"], "belongs to another agent"),
        (["cy@example.com", "--extension", "2060", "--sip-password", "short"], "SIP password"),
    ):
        result = cli("users", "agent", *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
