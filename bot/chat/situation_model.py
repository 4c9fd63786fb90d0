"""Read an errand's situation from the whole sentence.

Entity spans are sparse: "passet blev taget fra min taske" names the
situation (stolen) without any word the examples annotate. This model
learns each topic's situations from whole training sentences instead:
one small logistic regression per topic over character and word n-grams
of the folded text (æøå spelled out, so "udlobet" and "udløbet" look
alike). A sentence without a situation is the class ``GENERAL``, so the
model also says when the citizen named none.

The model is conditional on the topic: the conversation decides the
topic (NLU intent or the open errand) and asks only for that topic's
situations, which is what keeps a follow-up in its thread.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass
from pathlib import Path

GENERAL = ""
# A situation needs this many examples before the model learns it;
# `kommunebot check` reports situations below it.
MIN_EXAMPLES = 8
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})


def fold(text: str) -> str:
    text = (text or "").lower().translate(_FOLD)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


@dataclass(frozen=True)
class Example:
    topic: str
    text: str
    situation: str  # GENERAL when the sentence names none


def _vectoriser():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        ]
    )


class TextClassifier:
    """A linear classifier over the folded text's character and word
    n-grams: robust to the typos and missing æøå that whole-word features
    miss. The situation model uses one per topic; the intent ensemble one
    over all intents."""

    def __init__(self, vectoriser, classifier):
        self.vectoriser = vectoriser
        self.classifier = classifier

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], seed: int = 4242, c: float = 8.0) -> TextClassifier:
        from sklearn.linear_model import LogisticRegression

        vectoriser = _vectoriser()
        features = vectoriser.fit_transform([fold(t) for t in texts])
        classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)
        classifier.fit(features, labels)
        return cls(vectoriser, classifier)

    def ranking(self, text: str) -> list[tuple[str, float]]:
        probabilities = self.classifier.predict_proba(self.vectoriser.transform([fold(text)]))[0]
        return sorted(
            ((str(n), float(p)) for n, p in zip(self.classifier.classes_, probabilities, strict=True)),
            key=lambda pair: -pair[1],
        )

    def save(self, path: Path) -> None:
        Path(path).write_bytes(pickle.dumps((self.vectoriser, self.classifier)))

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        # Written by our own training into the Rasa model archive.
        return cls(*pickle.loads(Path(path).read_bytes()))  # noqa: S301


class SituationModel:
    def __init__(self, models: dict | None = None):
        # topic -> (vectoriser, classifier, labels)
        self.models = models or {}

    @classmethod
    def fit(cls, examples: list[Example], seed: int = 4242) -> SituationModel:
        by_topic: dict[str, list[Example]] = {}
        for example in examples:
            by_topic.setdefault(example.topic, []).append(example)
        models = {}
        for topic, items in sorted(by_topic.items()):
            if len({e.situation for e in items}) < 2:
                continue
            models[topic] = TextClassifier.fit([e.text for e in items], [e.situation for e in items], seed)
        return cls(models)

    def predict(self, text: str, topics: list[str] | None = None, top: int = 3) -> dict[str, list[dict]]:
        """Per topic, the most likely situations with their probability;
        ``GENERAL`` ("") is the chance that the sentence names none."""
        result = {}
        for topic in topics if topics is not None else sorted(self.models):
            if topic in self.models:
                ranked = self.models[topic].ranking(text)[:top]
                result[topic] = [{"name": name, "confidence": round(p, 4)} for name, p in ranked]
        return result

    def save(self, path: Path) -> None:
        Path(path).write_bytes(pickle.dumps(self.models))

    @classmethod
    def load(cls, path: Path) -> SituationModel:
        # The file is written by our own training into the Rasa model archive.
        return cls(pickle.loads(Path(path).read_bytes()))  # noqa: S301
