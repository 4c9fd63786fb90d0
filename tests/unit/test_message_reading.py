"""The message is read once per turn (bot/chat/message.py), and the
situation's source names exactly the values produced and compared."""

from __future__ import annotations

import ast
import dataclasses
import itertools
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest

import bot.chat.conversation
import bot.chat.message
from bot.chat import reading as reading_module
from bot.chat.case_matter import CaseReader
from bot.chat.conversation import Assistant, Turn
from bot.chat.message import read_message
from bot.chat.reading import WORDED, KeywordRules, Lemmatiser, SituationSource, weigh_situation
from bot.chat.sensitive import SensitiveDetector
from bot.settings import Settings

CHAT = Path(bot.chat.conversation.__file__).parent


@pytest.fixture(scope="module")
def rules(knowledge):
    return KeywordRules(knowledge.topics, Lemmatiser(Settings.load({}).spacy_path), knowledge.barrier_keywords)


@pytest.fixture(scope="module")
def detector(knowledge):
    return SensitiveDetector(knowledge.sensitive, Settings.load({}).spacy_path, (*knowledge.topics, "needs_assistance"))


def counted(monkeypatch, owner, name, calls: Counter, key=lambda *args: None):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        calls[(name, key(*args))] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)


def ranked(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


# Turns that go through the thread's rules, the diversion and a handler
# calling another (sensitive_intent answering as an errand).
TURNS = [
    (
        "clarify",
        Turn(intent="nlu_fallback", confidence=0.3, text="og hvad koster det?", topic="pas", situation="bortkommet"),
    ),
    ("answer_errand", Turn(intent="mitid", confidence=0.8, text="jeg har ikke MitID, så jeg kan ikke melde flytning")),
    ("answer_errand", Turn(intent="affald", confidence=0.95, text="hvornår bliver mit affald hentet", topic="pas")),
    ("small_talk", Turn(intent="deny", confidence=0.8, text="nej, det er til min datter på 7", topic="pas")),
    (
        "sensitive_intent",
        Turn(
            intent="personal_matter",
            confidence=0.7,
            text="jeg skal til Spanien, skal jeg have blåt kort?",
            intent_ranking=ranked(("personal_matter", 0.7), ("sundhedskort", 0.2)),
        ),
    ),
    (
        "answer_errand",
        Turn(
            intent="needs_assistance",
            confidence=0.6,
            text="min far på 85 vil bygge en carport, men han har ingen computer",
            intent_ranking=ranked(("needs_assistance", 0.6), ("byggetilladelse", 0.3)),
        ),
    ),
    (
        "out_of_scope",
        Turn(
            intent="out_of_scope",
            confidence=0.95,
            text="bare to gader længere nede",
            topic="flytning",
            asked="situation",
        ),
    ),
    ("answer_errand", Turn(intent="pas", confidence=0.9, text="min søn blev anholdt, og nu er hans pas væk")),
]


@pytest.mark.parametrize("handler,turn", TURNS)
def test_the_message_is_read_once_per_turn(knowledge, rules, detector, monkeypatch, handler, turn):
    calls: Counter = Counter()
    case_reader = CaseReader(knowledge.case_signals, Settings.load({}).spacy_path)
    assistant = Assistant(knowledge, None, "glostrup", detector=detector, rules=rules, case_reader=case_reader)
    counted(monkeypatch, bot.chat.conversation, "read_message", calls)
    counted(monkeypatch, case_reader, "read", calls)
    counted(monkeypatch, bot.chat.message, "weigh_situation", calls, key=lambda topic, *rest: topic.key)
    counted(monkeypatch, bot.chat.message, "read_person", calls)
    counted(monkeypatch, bot.chat.message, "detect_language", calls)
    counted(monkeypatch, bot.chat.message, "carries_case", calls)
    counted(monkeypatch, rules, "named_topics", calls)
    counted(monkeypatch, rules, "barriers", calls)
    counted(monkeypatch, detector, "detect", calls)

    result = assistant.handle(handler, turn)

    assert result.reply.text and "teknisk fejl" not in result.reply.text
    once = {"read_message", "read_person", "detect_language", "carries_case", "named_topics", "barriers", "detect"}
    once |= {"read"} if not turn.text.startswith("/") else set()
    assert {name: count for (name, _), count in calls.items() if name in once} == dict.fromkeys(once, 1)
    # Each errand's situation is weighed at most once, whatever thresholds ask.
    assert all(count == 1 for (name, _), count in calls.items() if name == "weigh_situation")


def test_a_reading_is_a_frozen_value(knowledge, rules):
    reading = read_message(Turn(intent="pas", text="jeg har mistet mit pas"), knowledge.topics, rules)
    with pytest.raises(dataclasses.FrozenInstanceError):
        reading.short = False  # type: ignore[misc]
    # The situation is weighed once and held to each threshold asked for.
    assert reading.weigh("pas") is reading.weigh("pas")
    assert reading.situation("pas", 0.5).key == reading.situation("pas", 0.35).key == "bortkommet"


def test_a_payload_keeps_the_conversations_language(knowledge):
    assert (
        read_message(Turn(intent="out_of_scope", text="/out_of_scope", language="en"), knowledge.topics).language
        == "en"
    )
    assert read_message(Turn(intent="pas", text="I lost my passport", language="da"), knowledge.topics).language == "en"
    assert read_message(Turn(intent="affirm", text="ok", language="en"), knowledge.topics).language == "en"


def _only_topic(knowledge):
    pas = knowledge.topics["pas"]
    return dataclasses.replace(pas, key="enkel", situations=pas.situations[:1])


def test_the_source_names_exactly_the_values_produced(knowledge, rules):
    """Every combination of evidence, on every errand: the sources that come
    out (raw and held to a threshold) are the Literal's values, no more and
    no fewer."""
    topics = [*knowledge.topics.values(), _only_topic(knowledge)]
    texts = ["jeg har mistet mit pas", "hvad koster det", "blomkål tirsdag", ""]
    produced = set()
    for topic, text in itertools.product(topics, texts):
        names = [s.key for s in topic.situations]
        keyword = rules.match(topic.key, text).key or names[0]
        scorings = [
            None,
            {topic.key: ranked((names[0], 0.9), ("general", 0.1))},
            {topic.key: ranked(("general", 0.9), (names[-1], 0.1))},
            {topic.key: ranked((names[-1], 0.4), (keyword, 0.3))},
            {topic.key: ranked((keyword, 0.6))},
        ]
        for entities, scores in itertools.product(([], [names[-1]], ["giraf"]), scorings):
            raw = weigh_situation(topic, entities, rules, text, scores)
            produced.add(raw.source)
            for threshold in (0.35, 0.5, 0.95):
                produced.add(raw.above(threshold).source)
        produced.add(rules.match(topic.key, text).source)
    assert produced == set(get_args(SituationSource))


def test_the_sources_compared_are_values_of_the_literal():
    """Every string a ``.source`` is compared with in bot/chat is one the
    reading produces (the Literal), so no comparison is silently dead."""
    allowed = set(get_args(SituationSource))
    assert allowed >= WORDED
    compared = set()
    for path in CHAT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            # The detector's sources ("terms", "nlu", "redaction") are Detection's.
            if not any(
                isinstance(s, ast.Attribute)
                and s.attr == "source"
                and not (isinstance(s.value, ast.Name) and s.value.id == "detection")
                for s in sides
            ):
                continue
            for side in sides:
                for constant in ast.walk(side):
                    if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                        compared.add((path.name, constant.value))
    assert {name for name, _ in compared} >= {"reading.py", "thread.py"}
    assert {value for _, value in compared} <= allowed
    assert reading_module.SituationReading.__annotations__["source"] == "SituationSource"
