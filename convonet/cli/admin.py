"""Administration commands: ``convonet db ...`` and ``convonet users ...`` (and ``users agent``).

Settings (``DATABASE_URL``, ``DATA_DIR``, ``PIN_HASH_SECRET``, ...) come from the environment,
like every other command. Errors become one-line ``click`` errors, never tracebacks. The
storage modules are imported inside the commands, so other commands start no slower.
"""

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

from convonet.errors import ConvonetError, StorageError
from convonet.settings import Settings

if TYPE_CHECKING:
    from convonet.storage.models import User

T = TypeVar("T")


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` on a fresh event loop, turning our errors into click errors."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return asyncio.run(work())
    except ConvonetError as error:
        raise click.ClickException(str(error)) from error
    except (SQLAlchemyError, OSError) as error:
        raise click.ClickException(f"database error: {error}") from error


async def _require_migrated(settings: Settings) -> None:
    from convonet.storage import migrate

    if not await migrate.is_up_to_date(settings):
        raise StorageError("the database schema is not up to date; run `convonet db upgrade`")


def _describe(user: "User") -> str:
    phone = user.phone or "-"
    pin = "pin" if user.voice_pin_hash else "no pin"
    return f"{user.email}\t{user.name}\t{','.join(user.roles)}\t{phone}\t{pin}\t{user.id}"


@click.group()
def db() -> None:
    """Database schema and demo data."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Migrate the database up (creating the SQLite file if needed)."""
    from convonet.storage import migrate

    settings = Settings()
    _run(lambda: migrate.upgrade(settings, revision))
    click.echo(f"database at {_run(lambda: migrate.current_revision(settings))}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("base" drops every table)."""
    from convonet.storage import migrate

    settings = Settings()
    _run(lambda: migrate.downgrade(settings, revision))
    click.echo(f"database at {_run(lambda: migrate.current_revision(settings)) or 'base'}")


@db.command("seed-demo")
def seed_demo() -> None:
    """Migrate, then create the demo user, a team and sample data (not in production)."""
    from convonet.storage import migrate
    from convonet.storage.db import Database
    from convonet.storage.seed import DEMO_EMAIL, demo_credentials
    from convonet.storage.seed import seed_demo as run_seed

    settings = Settings()
    if settings.environment == "production":
        raise click.ClickException("production has no demo user")
    pin = demo_credentials(settings).pin

    async def work() -> int:
        await migrate.upgrade(settings)
        async with Database.from_settings(settings) as database:
            report = await run_seed(database, settings)
        return report.total_created

    created = _run(work)
    click.echo(f"demo data ready ({created} records created): {DEMO_EMAIL}, PIN {pin}")


@click.group()
def users() -> None:
    """User accounts."""


@users.command("add")
@click.option("--email", required=True, help="Unique email address.")
@click.option("--name", required=True, help="Display name (used in greetings).")
@click.option("--password", default=None, help="Dashboard password (8+ characters).")
@click.option("--pin", default=None, help="Voice PIN, 6 to 8 digits, unique.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(["user", "agent", "supervisor", "admin"]),
    help="Role (repeatable); user if none.",
)
@click.option("--phone", default=None, help="Caller number in E.164 (+15551234567).")
def add_user(
    email: str,
    name: str,
    password: str | None,
    pin: str | None,
    roles: tuple[str, ...],
    phone: str | None,
) -> None:
    """Create a user."""
    from convonet.storage import users as user_service
    from convonet.storage.db import Database

    settings = Settings()

    async def work() -> str:
        await _require_migrated(settings)
        async with Database.from_settings(settings) as database, database.session() as session:
            user = await user_service.create_user(
                session,
                pin_secret=settings.pin_hash_secret,
                email=email,
                name=name,
                password=password,
                pin=pin,
                roles=roles,
                phone=phone,
            )
            return _describe(user)

    click.echo(f"created {_run(work)}")


@users.command("list")
def list_users() -> None:
    """List every user: email, name, roles, phone, PIN set, id."""
    from convonet.storage import users as user_service
    from convonet.storage.db import Database

    settings = Settings()

    async def work() -> list[str]:
        await _require_migrated(settings)
        async with Database.from_settings(settings) as database, database.session() as session:
            return [_describe(user) for user in await user_service.list_users(session)]

    lines = _run(work)
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no users yet (convonet users add ..., or convonet db seed-demo)")


@users.command("set-pin")
@click.argument("email")
@click.argument("pin")
def set_pin(email: str, pin: str) -> None:
    """Give the user with EMAIL the voice PIN PIN (6 to 8 digits, unique)."""
    from convonet.storage import users as user_service
    from convonet.storage.db import Database

    settings = Settings()

    async def work() -> str:
        await _require_migrated(settings)
        async with Database.from_settings(settings) as database, database.session() as session:
            user = await user_service.require_by_email(session, email)
            await user_service.set_pin(session, user, pin, pin_secret=settings.pin_hash_secret)
            return user.email

    click.echo(f"PIN updated for {_run(work)}")


@users.command("agent")
@click.argument("email")
@click.option("--extension", required=True, help="The agent's SIP extension (digits, unique).")
@click.option("--department", default=None, help="Department the agent answers (support, ...).")
@click.option("--sip-password", default=None, help="SIP password; generated when omitted.")
def set_agent(email: str, extension: str, department: str | None, sip_password: str | None) -> None:
    """Make the user with EMAIL a call-center agent (or change their extension/department)."""
    from convonet.callcenter.records import set_agent as set_agent_record
    from convonet.storage.db import Database

    settings = Settings()

    async def work() -> str:
        await _require_migrated(settings)
        async with Database.from_settings(settings) as database, database.session() as session:
            done = await set_agent_record(
                session,
                email,
                extension=extension,
                department=department,
                sip_password=sip_password,
            )
        what = "agent created" if done.created else "agent updated"
        shown = "(as given)" if sip_password else done.sip_password
        return (
            f"{what}: {done.email}, extension {done.extension}, department "
            f"{done.department or '-'}, SIP user {done.extension}, SIP password {shown}"
        )

    click.echo(_run(work))


def register(main: click.Group) -> None:
    """Add the ``db`` and ``users`` command groups to the ``convonet`` command."""
    main.add_command(db)
    main.add_command(users)
