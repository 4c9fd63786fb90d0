"""The detector with the real term list: personal phrases, not topics."""

from __future__ import annotations

import pytest

from bot.chat.sensitive import SensitiveDetector
from bot.knowledge.loader import load_knowledge
from bot.privacy.redaction import PLACEHOLDER
from tests.conftest import KNOWLEDGE_DIR, PROJECT_ROOT


@pytest.fixture(scope="module")
def detector():
    return SensitiveDetector(load_knowledge(KNOWLEDGE_DIR).sensitive, PROJECT_ROOT / "build" / "spacy-da")


@pytest.mark.parametrize(
    "text",
    [
        "hvordan søger man sygedagpenge?",
        "hvad er reglerne for hemmelig adresse",
        "hvad koster et pas",
        "hvornår bliver skraldet hentet",
        "kan man blive sygemeldt med stress",
    ],
)
def test_generic_questions_are_not_sensitive_by_terms(detector, text):
    assert detector.detect(text, "sygemelding", 0.9) is None


def test_generic_question_classified_personal_is_not_escalated_without_a_person(detector):
    assert detector.detect("hvad er reglerne for aktindsigt i kommunale sager", "personal_matter", 0.98) is None
    assert detector.detect("min sygedagpengesag er blevet stoppet", "personal_matter", 0.9) is not None
    assert detector.detect("min kone er syg og jeg ved ikke hvad vi skal", "personal_matter", 0.9).source == "nlu"


def test_terms_catch_personal_matters_whatever_the_intent(detector):
    hit = detector.detect("mine sygedagpenge er stoppet og jeg forstår det ikke", "sygemelding", 0.95)
    assert hit is not None and hit.category == "own_case" and not hit.urgent


def test_urgent_wins_and_cpr_placeholder_counts(detector):
    urgent = detector.detect("jeg vil ikke leve mere", "out_of_scope", 0.9)
    assert urgent is not None and urgent.urgent
    cpr = detector.detect(f"mit nummer er {PLACEHOLDER}", "pas", 0.9)
    assert cpr is not None and cpr.category == "cpr"


def test_unsure_nlu_with_a_close_sensitive_intent_escalates(detector):
    ranking = [{"name": "nlu_fallback", "confidence": 0.55}, {"name": "personal_matter", "confidence": 0.47}]
    assert detector.detect("min datter spiser ingenting", "nlu_fallback", 0.55, ranking=ranking) is not None
    low = [{"name": "nlu_fallback", "confidence": 0.55}, {"name": "personal_matter", "confidence": 0.2}]
    assert detector.detect("giraf", "nlu_fallback", 0.55, ranking=low) is None


def test_only_the_cpr_placeholder_makes_a_personal_matter(detector):
    from bot.privacy.redaction import redact_message

    contact = redact_message("skriv til anna@example.dk eller ring 22 33 44 55")
    assert contact.counts == {"email": 1, "phone": 1}
    assert detector.detect(contact.text, "pas", 0.9, redacted=contact.counts) is None
    cpr = redact_message("født 12.03.1985, de sidste fire er 1234")
    assert detector.detect(cpr.text, "pas", 0.9, redacted=cpr.counts).category == "cpr"
    assert detector.detect(cpr.text, "pas", 0.9).category == "cpr"  # the placeholder alone
