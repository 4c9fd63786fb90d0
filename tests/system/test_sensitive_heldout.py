"""Held-out detection of sensitive matters, NLU and term list together.

Messages in tests/sensitive_heldout/ are never trained on. Every personal
or urgent one must be escalated (recall 100 %); at most 5 % of the plain
errand questions may be escalated by mistake.
"""

from __future__ import annotations

import json

from bot.chat.sensitive import SensitiveDetector
from bot.knowledge.store import open_knowledge
from bot.privacy.redaction import redact
from tests.conftest import PROJECT_ROOT

HELDOUT = PROJECT_ROOT / "tests" / "sensitive_heldout"
SENSITIVE = {"personal_matter", "urgent_danger"}


def test_sensitive_recall_and_false_escalation(stack):
    from rasa.shared.nlu.training_data.loading import load_data

    knowledge = open_knowledge(PROJECT_ROOT / "build" / "knowledge.db")
    # As the action server builds it (bot/chat/runtime.py).
    errands = (*knowledge.topics, "needs_assistance")
    detector = SensitiveDetector(knowledge.sensitive, PROJECT_ROOT / "build" / "spacy-da", errands)
    examples = [(m.get("text"), m.get("intent")) for m in load_data(str(HELDOUT)).intent_examples]
    missed, false_alarms, plain = [], [], 0
    for text, gold in examples:
        redaction = redact(text)
        _, parsed = stack.api("/model/parse", {"text": redaction.text})
        intent = parsed["intent"]
        detection = detector.detect(
            redaction.text, intent["name"], intent["confidence"], redaction.counts, parsed["intent_ranking"]
        )
        if gold in SENSITIVE and detection is None:
            missed.append((text, intent["name"], round(intent["confidence"], 2)))
        if gold not in SENSITIVE:
            plain += 1
            if detection is not None:
                false_alarms.append((text, detection.category, detection.source))
    sensitive = len(examples) - plain
    report = {
        "sensitive": sensitive,
        "recall": round(1 - len(missed) / sensitive, 3),
        "plain": plain,
        "false_escalation": round(len(false_alarms) / plain, 3),
        "missed": missed,
        "false_alarms": false_alarms,
    }
    (PROJECT_ROOT / "results").mkdir(exist_ok=True)
    (PROJECT_ROOT / "results" / "sensitive_heldout.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(
        f"\nsensitive recall {report['recall']} on {sensitive}; "
        f"false escalation {report['false_escalation']} on {plain}"
    )
    assert not missed, missed
    assert report["false_escalation"] <= 0.05, false_alarms
