"""The settings table: parsing, errors that name the variable, derived defaults."""

from __future__ import annotations

import pytest

from bot.settings import PROJECT_ROOT, SettingError, Settings, parse_bool


def allowed_origins(env):
    return Settings.load(env).allowed_origins


def test_allowed_origins_are_listed_never_star():
    assert allowed_origins({"KOMMUNEBOT_SITE_PORT": "8123"}) == ("http://localhost:8123", "http://127.0.0.1:8123")
    assert allowed_origins({"KOMMUNEBOT_ALLOWED_ORIGINS": "https://www.nyborg.dk/, https://nyborg.dk"}) == (
        "https://www.nyborg.dk",
        "https://nyborg.dk",
    )
    with pytest.raises(ValueError, match="KOMMUNEBOT_ALLOWED_ORIGINS"):
        allowed_origins({"KOMMUNEBOT_ALLOWED_ORIGINS": "*"})


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
