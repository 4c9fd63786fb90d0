"""Danish lookup lemmas without loading spaCy.

The action server needs lemmas only to match editors' keywords and the
sensitive-matter terms, and loading spaCy there pulled in TensorFlow
through thinc: 600 MB of the action server's 670 MB (measured). The same
lookup table the Rasa server's spaCy pipeline uses (spacy-lookups-data's
``da_lemma_lookup``) is written beside that pipeline as an indexed SQLite
file at build time, and read here one word at a time.

Tokens follow spaCy's Danish tokenizer where it matters for lookups:
hyphenated words, apostrophes and times stay one token ("e-boks",
"mitid'et", "12:30"); other punctuation is a token of its own, so a phrase
never matches across it.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from pathlib import Path

FILE = "lemmas.sqlite"
# Many type æ, ø and å as "ae", "oe" and "aa" ("jeg toer ikke"); the table
# knows only the Danish spelling, so such a word is looked up spelt the
# Danish way when it is not in the table as written.
_DIGRAPHS = re.compile(r"aa|ae|oe")
_DANISH = {"aa": "å", "ae": "æ", "oe": "ø"}
TOKEN_PATTERN = re.compile(r"\w+(?:[-'’:.]\w+)*|[^\w\s]")


def tokenise(text: str) -> list[str]:
    """Lower-cased tokens; the lookup table is keyed in lower case."""
    return TOKEN_PATTERN.findall((text or "").lower())


def is_punct(token: str) -> bool:
    return not any(ch.isalnum() for ch in token)


def write_table(table: dict[str, str], output: Path) -> None:
    """Write only the words whose lemma differs; the rest are their own
    lemma. Capitalised keys are left out: text is lower-cased before any
    lookup, so the spaCy pipeline never matched them either."""
    partial = output.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(partial) as db:
        db.execute("CREATE TABLE lemma (word TEXT PRIMARY KEY, lemma TEXT NOT NULL) WITHOUT ROWID")
        db.executemany(
            "INSERT INTO lemma VALUES (?, ?)",
            ((word, lemma) for word, lemma in table.items() if word == word.lower() and word != lemma),
        )
    db.close()
    # The old table stays until the new one is complete: a half-written
    # table would lemmatise silently wrong.
    partial.replace(output)


class LemmaTable:
    def __init__(self, spacy_path: Path | str):
        path = Path(spacy_path) / FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no lemma table; run `kommunebot spacy` (make spacy) to build it")
        # Read-only and shared between threads: lookups never write.
        self._db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self.lemma = lru_cache(maxsize=65536)(self._lookup)

    def _lookup(self, word: str) -> str:
        row = self._db.execute("SELECT lemma FROM lemma WHERE word = ?", (word,)).fetchone()
        return row[0] if row else word

    def lemmas(self, text: str) -> list[tuple[str, str]]:
        """(token, lemma) for every token, punctuation included."""
        return [(token, self.lemma(token)) for token in tokenise(text)]

    def lemma_any_spelling(self, word: str) -> str:
        """The word's lemma, also when it is written without æ, ø and å
        ("toer" → "tø", as "tør"): the Danish spelling's lemma when the word
        as written is not in the table and the Danish spelling is."""
        lemma = self.lemma(word)
        if lemma != word or not _DIGRAPHS.search(word):
            return lemma
        danish = _DIGRAPHS.sub(lambda m: _DANISH[m.group()], word)
        found = self.lemma(danish)
        return found if found != danish else lemma


@lru_cache(maxsize=2)
def load_table(spacy_path: str) -> LemmaTable:
    return LemmaTable(spacy_path)
