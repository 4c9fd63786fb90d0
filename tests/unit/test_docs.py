"""Documentation kept honest by tests (as datasette's tests/test_docs.py):
the command and settings tables of docs/operations.md are rendered from
the code and current, every command has a help text, and only
bot/settings.py reads the environment."""

from __future__ import annotations

import dataclasses
import re

import click
import pytest

import bot.cli
from bot.settings import PROJECT_ROOT, SETTINGS, Setting, Settings
from glue.cli import main as cli
from tests.support.scripts import script

docs_tables = script("docs_tables")


def test_the_generated_tables_are_current(capsys):
    """A command, option or setting changed without running scripts/docs_tables.py fails here."""
    assert docs_tables.main(["--check"]) == 0, capsys.readouterr().err


def test_check_names_a_stale_table_and_writes_nothing(tmp_path, capsys):
    stale = tmp_path / "operations.md"
    text = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    stale.write_text(text.replace("| `RASA_PORT` | int | `5005` |", "| `RASA_PORT` | int | `5006` |"), encoding="utf-8")
    before = stale.read_text(encoding="utf-8")
    assert docs_tables.main(["--check", "--file", str(stale)]) == 1
    assert "a generated table is stale; run scripts/docs_tables.py" in capsys.readouterr().err
    assert stale.read_text(encoding="utf-8") == before
    assert docs_tables.main(["--file", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == text


def test_the_editor_guide_lists_every_errand(knowledge):
    """The guide's list is the knowledge base's: an errand added without
    regenerating it fails test_the_generated_tables_are_current."""
    table = docs_tables.errands_table()
    guide = (PROJECT_ROOT / "docs" / "editor-guide.md").read_text(encoding="utf-8")
    assert table in guide
    assert table.count("| `knowledge/national/") == len(knowledge.topics) >= 20
    assert f"{len(knowledge.topics)} ærinder i vidensbasen i dag" in guide


def test_a_new_setting_gets_a_row_with_its_default_and_help():
    extra = Setting("KOMMUNEBOT_EXAMPLE", "example", "int", "3", "an example | with a bar")
    table = docs_tables.settings_table((*SETTINGS, extra))
    assert table.endswith("| `KOMMUNEBOT_EXAMPLE` | int | `3` | an example \\| with a bar |\n")


def test_the_table_and_the_settings_agree():
    fields = [f.name for f in dataclasses.fields(Settings)]
    assert [s.field for s in SETTINGS] == fields
    assert all(s.help and not s.help.endswith(".") for s in SETTINGS)


def _commands():
    root = click.Context(cli, info_name="kommunebot")
    return [(ctx.command_path, command) for ctx, command in docs_tables.commands(cli, root)]


@pytest.mark.parametrize("name,command", _commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help(name, command):
    assert command.help and command.help.strip(), f"{name} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]} has no help text"


def test_glue_adds_its_servers_without_changing_bots_command():
    """The installed command is built with `serve rasa` and `serve actions`;
    importing it attaches nothing to bot.cli's own group."""
    assert set(cli.commands["serve"].commands) == {"actions", "console", "rasa", "site"}
    assert set(bot.cli.main.commands["serve"].commands) == {"console", "site"}
    assert set(cli.commands) == set(bot.cli.main.commands)


def test_only_settings_reads_the_environment():
    readers = []
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")) + sorted((PROJECT_ROOT / "glue").rglob("*.py")):
        if path.name == "settings.py" and path.parent.name == "bot":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"os\.environ\.get|os\.getenv|environ\[\"KOMMUNEBOT", text):
            readers.append(str(path.relative_to(PROJECT_ROOT)))
    assert not readers, readers


def test_readme_and_guides_say_what_the_code_lets_editors_see():
    """The README, the caseworkers' guide and the code agree: editors see the
    dashboard and the inbox, never the callbacks; every demo login is named."""
    from bot.console.security import PERMISSIONS
    from bot.ops.demo import DEMO_USERS

    assert PERMISSIONS["editor"] >= {"dashboard", "inbox"} and "callbacks" not in PERMISSIONS["editor"]
    readme = " ".join((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split())
    caseworkers = " ".join((PROJECT_ROOT / "docs" / "medarbejder-guide.md").read_text(encoding="utf-8").split())
    assert (
        "Editors see the dashboard and the inbox of messages the assistant did not understand, never the callbacks"
        in readme
    )
    assert "Redaktører ser kanaloverblikket og **Indbakke**" in caseworkers and "aldrig opringningerne" in caseworkers
    for username, _role in DEMO_USERS:
        assert f"`{username}`" in readme, username
    # The README opens with what the product does for each kind of user and how to try it; figures follow.
    headings = re.findall(r"^## (.+)$", (PROJECT_ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    assert headings[:2] == ["What it does, for whom", "Try it"]
    assert headings.index("Performance") > headings.index("Try it")
