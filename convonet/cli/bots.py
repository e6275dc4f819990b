"""``convonet bots`` (list them) and ``convonet new-bot`` (write a new one-file bot)."""

import keyword
import re
from pathlib import Path

import click

from convonet.agents.domains import PRODUCTIVITY
from convonet.domains.registry import domain_names

BOTS_DIR = Path(__file__).parent.parent / "bots"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

TEMPLATE = '''"""{title}: {description}"""

from convonet.bots.spec import BotSpec

BOT = BotSpec(
    name={name!r},
    title={title!r},
    persona=(
        {persona!r}
    ),
    greeting={greeting!r},
    domains={domains!r},
    description={description!r},
)
'''


def _known_domains(domains: tuple[str, ...]) -> tuple[str, ...]:
    known = domain_names()
    unknown = [d for d in domains if d not in known]
    if unknown:
        raise click.BadParameter(f"unknown domain {unknown[0]!r}; known: {', '.join(known)}")
    return domains


def render_bot(name: str, title: str, domains: tuple[str, ...], description: str) -> str:
    """The source of a new bot file."""
    return TEMPLATE.format(
        name=name,
        title=title,
        domains=domains,
        description=description,
        persona=f"You are {title}, a friendly voice assistant. Keep replies short; they are "
        "spoken aloud.",
        greeting=f"Hello {{name}}, this is {title}. How can I help you today?",
    )


def register(main: click.Group) -> None:
    """Add ``bots`` and ``new-bot`` to the ``convonet`` command."""

    @main.command("bots")
    def list_bots() -> None:
        """List the bots this installation serves."""
        from convonet.bots.registry import default_registry

        for bot in default_registry():
            click.echo(f"{bot.name:<12} {', '.join(bot.domains):<45} {bot.title}")

    @main.command("new-bot")
    @click.argument("name")
    @click.option("--title", required=True, help="Name callers hear, e.g. 'Dental Desk'.")
    @click.option(
        "--domain",
        "domains",
        multiple=True,
        callback=lambda _ctx, _param, value: _known_domains(value),
        default=(PRODUCTIVITY,),
        show_default=True,
        help="Domain agent(s) the bot may use; one pins it.",
    )
    @click.option("--description", default="", help="One line for the bot picker.")
    @click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=BOTS_DIR,
        show_default=True,
        help="Where to write the file.",
    )
    def new_bot(
        name: str, title: str, domains: tuple[str, ...], description: str, directory: Path
    ) -> None:
        """Write convonet/bots/NAME.py: a BotSpec to edit (persona, greeting, domains)."""
        if not NAME.match(name) or keyword.iskeyword(name) or name in ("spec", "registry"):
            raise click.BadParameter("use a short lower-case identifier, e.g. dental_desk")
        target = directory / f"{name}.py"
        if target.exists():
            raise click.ClickException(f"{target} already exists")
        target.write_text(render_bot(name, title, domains, description or title))
        click.echo(f"wrote {target}; edit its persona and greeting, then restart the server")
