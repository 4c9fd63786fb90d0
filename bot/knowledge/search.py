"""Full-text search over the knowledge base's answers: "Mente du …?".

When no intent fits a message, the assistant searches the answers before it
says "Det kan jeg ikke hjælpe med", and offers the closest two or three as
buttons when they are close enough.

The index is an SQLite FTS5 table in the compiled knowledge database, which
every deployment ships (on PostgreSQL too: the knowledge base is a read-only
file beside the code, never a table in the shared database). Texts are
folded the same way at build and at query time (lower case, æ/ø/å written
ae/oe/aa, so "boligstoette" finds "boligstøtte"), and each query word is
searched by its first letters, which finds Danish inflections and the first
part of compounds ("vuggestuen" finds "vuggestueplads").

FTS5's bm25 ranks the hits; whether the best one is *good enough* is a
separate test here, because bm25 has no absolute scale: the share of the
message's informative words (weighted by how rare they are among the
answers) that the answer covers, and at least one of them must be among the
answer's own names and keywords, and a hit that shares only one word with
the message counts only if that word is the errand's own name. Nonsense and
questions about something else therefore get nothing.
"""

from __future__ import annotations

import functools
import math
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.model import Knowledge

TABLE = "search"
# Query words are matched by this many first letters (and whole when shorter).
PREFIX = 5
MAX_TERMS = 24
# Tuned on tests/unit/test_knowledge_search.py's own examples, never on the
# held-out sets (tests/heldout/open/search.yml reports against these values).
MIN_SCORE = 0.3
# Further suggestions must score at least this share of the best one.
RELATIVE = 0.6
MAX_SUGGESTIONS = 3
# An answer's own names and keywords count this much more than its text.
NAME_WEIGHT = 2.0
# A word that shares only its first letters with the answer's counts this much.
PARTIAL = 0.6

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})
_WORD = re.compile(r"[^\W\d_]+")
# Words any question to a municipality may have: they say nothing about which
# answer is meant. Folded (ae/oe/aa) like the index.
_STOPWORDS = """
    af alle alt altid anden andet andre at bare blev blive bliver da de dem den denne der deres det dette dig din
    dine disse dit du efter eller en end ene eneste er et ett faa faar fik for fordi fra fx gaar god goer gerne
    gik ham han hans har have havde hej hende hendes her hos hun hvad hvem hvilke hvilken hvilket hvis hvor hvordan
    hvornaar hvorfor hvorledes i igen ikke ind ingen intet jeg jer jeres jo kan kom komme kommer kun kunne lave lidt
    lige man mange med meget men mere mig min mine mit mod naar ned nej noget nogen nogle nok nu ny nye nyt og ogsaa
    om op os over paa sammen selv sig sin sine sit skal skulle som saa stadig store stor tak til ud under vaere vaeret
    var ved vi vil ville vores
    faaet faaede aar aaret naeste maa maatte gaa gaar kunne nogle steder stedet ting tid lige snart
    kommune kommunen kommunens kommunal kommunale borger borgere borgerservice hjaelp hjaelpe hjemmeside
    spoergsmaal sted venlig hilsen
    mvh kaere goddag hallo please hello hi thanks thank
    a about am an and are as at be been but by can could do does for from have how i if in is it its me my no not
    of on or our so that the their them then there this to us was we what when where which who why will with would
    you your get need want
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_FOLD)
    return " ".join(_WORD.findall(text))


def _indexed(text: str) -> str:
    """What the index keeps of a text: folded, without the stopwords, so a
    query word cannot match an answer on "kommunen" or "hjælp"."""
    return " ".join(w for w in fold(text).split() if w not in STOPWORDS)


def terms(text: str) -> list[str]:
    """The message's informative words, folded, each once, in order."""
    seen: list[str] = []
    for word in fold(text).split():
        if len(word) >= 3 and word not in STOPWORDS and word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]


def _stem(term: str) -> str:
    return term[:PREFIX]


@dataclass(frozen=True)
class Suggestion:
    topic: str
    situation: str | None
    score: float

    @property
    def key(self) -> str:
        return f"{self.topic}/{self.situation}" if self.situation else self.topic


def documents(knowledge: Knowledge) -> list[dict]:
    """One row per answer: the topic's general answer and one per situation."""
    rows = []
    for topic in knowledge.topics.values():
        topic_names = _indexed(" ".join([topic.name, *topic.words, topic.en.get("name") or ""]))
        if topic.general is not None or topic.answers:
            general = topic.general or topic.answers[0]
            rows.append(
                {
                    "key": topic.key,
                    "topic_words": topic_names,
                    "names": topic_names,
                    "body": _indexed(f"{general.lead} {general.text} {general.en_lead or ''} {general.en_text or ''}"),
                }
            )
        for situation in topic.situations:
            answers = [a for a in topic.answers if a.situation == situation.key]
            body = " ".join(f"{a.lead} {a.text} {a.en_lead or ''} {a.en_text or ''}" for a in answers)
            names = " ".join([topic_names, situation.label, situation.en_label or "", *situation.keywords])
            rows.append(
                {
                    "key": f"{topic.key}/{situation.key}",
                    "topic_words": topic_names,
                    "names": _indexed(names),
                    "body": _indexed(body),
                }
            )
    return rows


def write_index(db, knowledge: Knowledge) -> None:
    """The FTS5 table, written by the knowledge build (an sqlite_utils Database)."""
    db.execute(
        f"CREATE VIRTUAL TABLE {TABLE} USING fts5(key UNINDEXED, topic_words UNINDEXED, names, body, "
        "tokenize='unicode61')"
    )
    db[TABLE].insert_all(documents(knowledge))


class KnowledgeSearch:
    """Reads the index of a compiled knowledge database; one per process."""

    def __init__(self, path: Path):
        self._conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, check_same_thread=False)
        rows = self._conn.execute(f"SELECT key, topic_words, names, body FROM {TABLE}").fetchall()
        self._topic_words = {key: set(words.split()) for key, words, _, _ in rows}
        self._names = {key: set(names.split()) for key, _, names, _ in rows}
        self._words = {key: set(names.split()) | set(body.split()) for key, _, names, body in rows}
        # Document frequency by first letters: bounded, since the stems come
        # from whatever citizens type.
        self._frequency = functools.lru_cache(maxsize=4096)(self._documents_with)

    def close(self) -> None:
        self._conn.close()

    def _has(self, words: set[str], term: str) -> bool:
        stem = _stem(term)
        return any(w.startswith(stem) for w in words)

    @staticmethod
    def _strength(words: set[str], term: str) -> float:
        """1 for the word itself (or a longer word it begins), less for a
        word that only shares its first letters: "boernehave" is closer to
        "boernehave" than to "boern"."""
        if any(w.startswith(term) for w in words):
            return 1.0
        stem = _stem(term)
        return PARTIAL if any(w.startswith(stem) for w in words) else 0.0

    def _documents_with(self, stem: str) -> int:
        return sum(any(w.startswith(stem) for w in words) for words in self._words.values())

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
        """The closest answers, best first; empty when none is close enough."""
        query = terms(text)
        if not query:
            return []
        match = " OR ".join(f'"{_stem(t)}"*' for t in query)
        hits = self._conn.execute(
            f"SELECT key FROM {TABLE} WHERE {TABLE} MATCH ? ORDER BY bm25({TABLE}, 0, 0, {NAME_WEIGHT}, 1.0) LIMIT 10",
            (f"{{names body}}: ({match})",),
        ).fetchall()
        if not hits:
            return []
        total = len(self._words)
        weights = {t: math.log(1 + total / (self._frequency(_stem(t)) or 1)) for t in query}
        # Words no answer has count fully: a message that is mostly about
        # something else is not "close" because it shares one word.
        most = sum(weights.values()) * NAME_WEIGHT
        scored = []
        for (key,) in hits:
            in_names = {t: self._strength(self._names[key], t) for t in query}
            in_names = {t: v for t, v in in_names.items() if v}
            if not in_names:
                continue
            in_text = {t: self._strength(self._words[key], t) for t in query if t not in in_names}
            matched = len(in_names) + sum(1 for v in in_text.values() if v)
            # One shared word is a coincidence ("vejret i morgen" and morgen-SFO,
            # "hvor gammel er du" and "gammelt pas") unless it is the errand's
            # own name ("efternavn", "kommunalvalg").
            if matched < 2 and not any(self._strength(self._topic_words[key], t) == 1.0 for t in in_names):
                continue
            got = NAME_WEIGHT * sum(weights[t] * v for t, v in in_names.items()) + sum(
                weights[t] * v for t, v in in_text.items()
            )
            scored.append((got / most, key))
        scored.sort(key=lambda item: -item[0])
        if not scored or scored[0][0] < MIN_SCORE:
            return []
        best = scored[0][0]
        out = []
        for score, key in scored:
            if score < max(MIN_SCORE, best * RELATIVE) or len(out) >= limit:
                break
            topic, _, situation = key.partition("/")
            out.append(Suggestion(topic, situation or None, round(score, 3)))
        return out
