"""bot/console/texts.py and web.Labels: every category, status, intent and
outcome the code can produce has a Danish label in the console (issue 28:
"personal", "Intent", raw intent names and "Booket" were shown)."""

from __future__ import annotations

import pytest

from bot.callbacks.casework import TRANSITIONS
from bot.chat.sensitive import DETECTOR_CATEGORIES
from bot.console.dashboard import OUTCOME_LABELS
from bot.console.texts import STATUS_LABELS
from bot.console.web import Labels
from bot.content.training_data import domain_intents
from bot.knowledge.build import build_database
from bot.knowledge.model import CASE_CATEGORY
from bot.records.outcomes import OUTCOMES
from bot.settings import PROJECT_ROOT

ENGLISH = {"personal", "urgent", "cpr", "intent", "booked", "fallback", "out of scope"}


@pytest.fixture(scope="module")
def labels(knowledge, tmp_path_factory):
    return Labels(build_database(knowledge, tmp_path_factory.mktemp("kb") / "knowledge.db"))


def _danish(label: str, key: str) -> bool:
    return bool(label) and label != key and label.lower() not in ENGLISH


def test_every_intent_of_the_domain_and_the_fallback_has_a_danish_name(labels):
    intents = [*domain_intents(PROJECT_ROOT), "nlu_fallback"]
    assert len(intents) > 30
    assert [i for i in intents if not _danish(labels.intent(i), i)] == []


def test_every_category_a_callback_can_carry_has_a_danish_label(labels, knowledge):
    categories = {*DETECTOR_CATEGORIES, *knowledge.sensitive, CASE_CATEGORY}
    assert {"personal", "urgent", "cpr", "child_worry"} <= categories
    assert [c for c in categories if not _danish(labels.categories.get(c, ""), c)] == []


def test_every_status_and_outcome_has_a_danish_label():
    assert set(STATUS_LABELS) == set(TRANSITIONS)
    assert STATUS_LABELS["booked"] == "Bestilt"
    assert [o for o in OUTCOMES if not _danish(OUTCOME_LABELS.get(o, ""), o)] == []


def test_the_queue_flags_danger_a_child_at_risk_and_violence_first(labels, knowledge):
    urgent = {k for k, c in knowledge.sensitive.items() if c.urgent}
    assert urgent and urgent <= labels.priority
    assert {"urgent", "child_worry", "violence"} <= labels.priority
    assert not {"case", "personal", "health", "cpr"} & labels.priority


def test_every_inbox_kind_and_journal_action_of_casework_has_a_danish_label():
    from bot.console.texts import EVENT_LABELS, INBOX_KINDS
    from bot.records.inbox import KINDS

    assert set(INBOX_KINDS) == set(KINDS) and all(label.strip() for label in INBOX_KINDS.values())
    # Every journal action the casework and the booking write (grep journal.append in bot/callbacks).
    import re

    sources = "".join(p.read_text() for p in (PROJECT_ROOT / "bot" / "callbacks").glob("*.py"))
    written = set(re.findall(r'journal\.append\(\s*conn,\s*\w+,\s*"(\w+)"', sources))
    assert "rescheduled" in written and written <= set(EVENT_LABELS), written - set(EVENT_LABELS)
