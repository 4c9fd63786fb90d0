"""The assistant says it is automated from the first interaction (EU AI Act
Art. 50): the widget's title and first message, rasa-webchat's subtitle and
the greeting, in Danish and English."""

from __future__ import annotations

import re

from bot.settings import PROJECT_ROOT

STATIC = PROJECT_ROOT / "bot" / "site" / "static"


def test_the_widget_says_so_before_anyone_types():
    source = (STATIC / "widget.js").read_text()
    intro = re.search(r'intro: ("[^;]*?"),\n', source, re.S).group(1)
    intro = intro.replace('" +\n      "', "")
    assert "automatisk program. Der sidder ikke et menneske og svarer" in intro and "ikke se din sag" in intro
    person = re.search(r'person: ("[^;]*?"),\n', source, re.S).group(1).replace('" +\n      "', "")
    assert "ring mig op" in person and "ring til {name}" in person  # how to reach a person
    assert 'title: "Chatbot' in source


def test_rasa_webchat_says_so_in_its_subtitle():
    assert "ikke et menneske" in (STATIC / "webchat.js").read_text()


def test_the_greeting_says_so_in_both_languages(knowledge):
    assert "automatisk program, ikke et menneske" in " ".join(knowledge.messages["greet"].split())
    assert "automated program, not a person" in " ".join(knowledge.messages_en["greet"].split())
