"""Map what the NLU extracted onto a topic's known situations.

DIET and the synonym mapper usually deliver canonical values, but an unseen
inflection ("mistede") arrives raw; the knowledge base's keywords catch it.
"""

from __future__ import annotations

from bot.knowledge.model import PERSONS, Topic

_PERSON_WORDS = {
    "barn": ("barn", "børn", "born", "søn", "datter", "baby", "dreng", "pige", "child", "kid"),
    "voksen": ("voksen", "mig selv", "pensionist", "adult", "mand", "kone"),
}


def normalise_situation(topic: Topic, raw: str | None) -> str | None:
    if not raw:
        return None
    value = " ".join(str(raw).lower().split())
    if topic.situation(value):
        return value
    for situation in topic.situations:
        for keyword in situation.keywords:
            if keyword == value or (len(keyword) >= 4 and keyword in value):
                return situation.key
    return None


def normalise_person(raw: str | None) -> str | None:
    if not raw:
        return None
    value = str(raw).lower()
    if value in PERSONS:
        return value
    for person, words in _PERSON_WORDS.items():
        if any(word in value for word in words):
            return person
    return None
