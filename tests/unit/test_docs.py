"""Documentation kept honest by tests (as datasette's tests/test_docs.py):
every setting is in docs/operations.md, every command has a help text, and
only bot/settings.py reads the environment."""

from __future__ import annotations

import dataclasses
import re

import click
import pytest

from bot.cli import main as cli
from bot.settings import PROJECT_ROOT, SETTINGS, Settings

OPERATIONS = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting):
    assert f"`{setting.name}`" in OPERATIONS, f"{setting.name} is missing from docs/operations.md"


def test_the_table_and_the_settings_agree():
    fields = [f.name for f in dataclasses.fields(Settings)]
    assert [s.field for s in SETTINGS] == fields
    assert all(s.help and not s.help.endswith(".") for s in SETTINGS)


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize("name,command", list(_commands(cli)), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help(name, command):
    assert command.help and command.help.strip(), f"kommunebot {name} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"kommunebot {name} {param.opts[0]} has no help text"


def test_every_command_is_in_the_operations_guide():
    for name, _ in _commands(cli):
        assert f"kommunebot {name}" in OPERATIONS or name.split()[0] in ("users", "topic", "municipality"), name


def test_only_settings_reads_the_environment():
    readers = []
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")) + sorted((PROJECT_ROOT / "glue").rglob("*.py")):
        if path.name == "settings.py" and path.parent.name == "bot":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"os\.environ\.get|os\.getenv|environ\[\"KOMMUNEBOT", text):
            readers.append(str(path.relative_to(PROJECT_ROOT)))
    assert not readers, readers
