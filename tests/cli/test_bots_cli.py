"""``convonet new-bot`` writes a bot file the registry loads; ``convonet bots`` lists them."""

import importlib.util
from pathlib import Path

from click.testing import CliRunner

from convonet.bots.spec import BotSpec
from convonet.cli import main


def test_new_bot_writes_a_loadable_bot_spec(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["new-bot", "dental_desk", "--title", "Dental Desk", "--domain", "healthcare",
         "--dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = tmp_path / "dental_desk.py"
    spec = importlib.util.spec_from_file_location("dental_desk", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bot = module.BOT
    assert isinstance(bot, BotSpec)
    assert (bot.name, bot.title, bot.domains) == ("dental_desk", "Dental Desk", ("healthcare",))
    assert bot.greeting_for("Ann") == "Hello Ann, this is Dental Desk. How can I help you today?"


def test_new_bot_refuses_bad_names_and_overwrites(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["new-bot", "Bad Name", "--title", "X", "--dir", str(tmp_path)])
    assert bad.exit_code != 0 and "identifier" in bad.output
    (tmp_path / "taken.py").write_text("# mine\n")
    taken = runner.invoke(main, ["new-bot", "taken", "--title", "X", "--dir", str(tmp_path)])
    assert taken.exit_code != 0 and "already exists" in taken.output
    assert (tmp_path / "taken.py").read_text() == "# mine\n"
    unknown = runner.invoke(
        main, ["new-bot", "x1", "--title", "X", "--domain", "astrology", "--dir", str(tmp_path)]
    )
    assert unknown.exit_code != 0


def test_bots_lists_the_registry() -> None:
    result = CliRunner().invoke(main, ["bots"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == [
        "assistant", "healthcare", "mortgage", "restaurant"
    ]  # fmt: skip
