"""Tell English from Danish in a chat message.

Chat messages are short and often misspelt, which general language
detectors trained on longer text get wrong ("pas" and "kort" are words in
several languages). Function words decide instead: a message is English
when clearly more of its words are English function words than Danish
ones. Errand words ("MitID", "Digital Post") count for neither, so a
code-switched message ("how do I get MitID, jeg er ny i Danmark") is
decided by the rest of its words.
"""

from __future__ import annotations

import re

DANISH = "da"
ENGLISH = "en"

_ENGLISH_WORDS = frozenset(
    """
    i i'm im me my mine we our you your he she his her they their it its is are am was were be been
    the a an and or but if of to in on at for from with without about by as into this that these those
    what when where which who why how do does did don't dont can can't cant could would should will
    have has had not no yes please thanks thank hello hi hey need want get got lost renew apply change
    there here any some much many long time there's need help new old card licence license passport
    """.split()  # noqa: SIM905 - a word list reads better as prose
)
_DANISH_WORDS = frozenset(
    """
    jeg mig min mit mine vi os vores du dig din dit han hun ham hende hans hendes de dem deres det den
    er var være været har havde kan kunne skal skulle vil ville må gerne ikke ja nej tak hej
    og eller men hvis af til på med uden om for fra ved som ind ud op ned efter før
    hvad hvornår hvor hvilken hvilket hvilke hvem hvorfor hvordan hvor mange
    en et der her nogen noget nogle meget mange lang tid ny nyt nye gammel kort
    """.split()  # noqa: SIM905
)
# Words that are spelled the same in both and say nothing about the language.
_SHARED = _ENGLISH_WORDS & _DANISH_WORDS
_WORD = re.compile(r"[a-zæøå']+")


def detect_language(text: str) -> str | None:
    """``"en"`` or ``"da"``, or None when the message gives no evidence
    ("ok", "MitID"): the conversation's language then stands."""
    lowered = (text or "").lower()
    words = _WORD.findall(lowered)
    # Danish letters count as Danish evidence.
    danish = sum(1 for w in words if w in _DANISH_WORDS and w not in _SHARED) + (
        2 if any(c in lowered for c in "æøå") else 0
    )
    english = sum(1 for w in words if w in _ENGLISH_WORDS and w not in _SHARED)
    if english == danish == 0:
        return None
    return ENGLISH if english > danish else DANISH
