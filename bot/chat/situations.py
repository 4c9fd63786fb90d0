"""Map what the NLU extracted onto a topic's known situations.

Rasa's synonym mapper is global: a word gets one value whichever topic the
citizen asks about. So entity values are topic-neutral words ("mistet" for
lost, stolen or "væk"), and each topic's situations list in knowledge/ the
words they accept as keywords. The same keywords catch what arrives raw,
such as an unseen inflection ("mistede").
"""

from __future__ import annotations

from bot.knowledge.model import PERSONS, Topic

_PERSON_WORDS = {
    "barn": ("barn", "børn", "born", "søn", "datter", "baby", "dreng", "pige", "child", "kid"),
    "voksen": ("voksen", "mig selv", "pensionist", "adult", "mand", "kone"),
}
MIN_PART = 4  # a shorter keyword must match the whole value, or "tid" would be found in "tidligere"
# Keys and some values are spelled in ASCII ("paaroerende"); keywords are Danish ("pårørende").
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "_": " "})


def _words(text: str) -> str:
    return " ".join(text.lower().translate(_ASCII).split())


def normalise_situation(topic: Topic, raw: str | None) -> str | None:
    """The topic's situation for an entity value, or None if it names none.

    A whole keyword beats one found inside the value, and a longer keyword
    beats a shorter one, so "flytter hjem" is not taken for "flytter"."""
    if not raw:
        return None
    key = " ".join(str(raw).lower().split())
    if topic.situation(key):
        return key
    value = _words(key)
    best: tuple[bool, int] | None = None
    found = None
    for situation in topic.situations:
        for keyword in (_words(situation.key), *map(_words, situation.keywords)):
            whole = keyword == value
            if not whole and not (len(keyword) >= MIN_PART and keyword in value):
                continue
            if best is None or (whole, len(keyword)) > best:
                best, found = (whole, len(keyword)), situation.key
    return found


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
