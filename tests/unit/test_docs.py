"""Documentation kept honest by tests (as datasette's tests/test_docs.py):
every setting is in docs/operations.md, every command has a help text, and
only bot/settings.py reads the environment."""

from __future__ import annotations

import dataclasses
import re

import click
import pytest

from bot.cli import main as cli
from bot.settings import PROJECT_ROOT, SETTINGS, SettingError, Settings, parse_bool

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


@pytest.mark.parametrize(
    "raw,value",
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
    ],
)
def test_one_boolean_parser(raw, value):
    assert parse_bool("X", raw) is value


def test_bad_values_name_the_variable():
    with pytest.raises(SettingError, match="KOMMUNEBOT_DEMO must be true or false"):
        Settings.load({"KOMMUNEBOT_DEMO": "maybe"})
    with pytest.raises(SettingError, match="RASA_PORT must be a whole number"):
        Settings.load({"RASA_PORT": "fem"})
    with pytest.raises(SettingError, match="'\\*' is not allowed"):
        Settings.load({"KOMMUNEBOT_ALLOWED_ORIGINS": "*"})


def test_derived_defaults():
    settings = Settings.load({"KOMMUNEBOT_SITE_PORT": "9000", "RASA_PORT": "5999"})
    assert settings.allowed_origins == ("http://localhost:9000", "http://127.0.0.1:9000")
    assert settings.public_rasa_url == "http://localhost:5999"
    assert settings.model == PROJECT_ROOT / "models" / "kommunebot.tar.gz"
    assert settings.tracker_url.startswith("sqlite:///") and settings.tracker_url.endswith("var/tracker.db")
