"""``convonet domains`` (list them) and ``convonet new-domain`` (scaffold a working one)."""

from pathlib import Path

import click

import convonet.domains as domains_package
from convonet.errors import InvalidInputError

DOMAINS_DIR = Path(domains_package.__file__).parent


def register(main: click.Group) -> None:
    """Add ``domains`` and ``new-domain`` to the ``convonet`` command."""

    @main.command("domains")
    def list_domains() -> None:
        """List the domains: their tool groups and tool counts."""
        from convonet.domains.registry import domains

        for domain in domains():
            groups = ", ".join(domain.tool_groups)
            click.echo(f"{domain.name:<14} {len(domain.tools):>3} tools  {groups}")

    @main.command("new-domain")
    @click.argument("name")
    @click.option("--title", default=None, help="Name callers hear, e.g. 'Insurance Claims'.")
    @click.option("--description", default="", help="One line about the domain.")
    @click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=DOMAINS_DIR,
        show_default=True,
        help="Where to write the package (convonet/domains, or a DOMAIN_PATHS directory).",
    )
    def new_domain(name: str, title: str | None, description: str, directory: Path) -> None:
        """Write DIR/NAME/: a working domain with one tool, found without editing anything."""
        from convonet.domains.scaffold import scaffold

        try:
            written = scaffold(
                directory, name, title or name.replace("_", " ").title(), description
            )
        except InvalidInputError as error:
            raise click.ClickException(str(error)) from None
        for path in written:
            click.echo(f"wrote {path}")
        click.echo("restart the server; add tables (models=...) with a migration, see docs")
