"""The Assistant as the action server builds it, for tests of whole turns."""

from __future__ import annotations

from bot.chat.case_matter import CaseReader
from bot.chat.conversation import Assistant
from bot.chat.reading import KeywordRules, Lemmatiser
from bot.chat.sensitive import SensitiveDetector
from bot.settings import Settings


def guarded_assistant(knowledge, rules: KeywordRules | None = None) -> Assistant:
    """With the sensitive detector and the case reading; the keyword rules
    given, or those of the errands and barriers alone."""
    spacy = Settings.load({}).spacy_path
    return Assistant(
        knowledge,
        None,
        "glostrup",
        detector=SensitiveDetector(knowledge.sensitive, spacy, (*knowledge.topics, "needs_assistance")),
        rules=rules or KeywordRules(knowledge.topics, Lemmatiser(spacy), knowledge.barrier_keywords),
        case_reader=CaseReader(knowledge.case_signals, spacy),
    )
