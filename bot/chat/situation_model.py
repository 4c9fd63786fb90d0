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
from collections import Counter
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


class SituationModel:
    def __init__(self, models: dict | None = None):
        # topic -> (vectoriser, classifier, labels)
        self.models = models or {}

    @classmethod
    def fit(cls, examples: list[Example], seed: int = 4242) -> SituationModel:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion

        by_topic: dict[str, list[Example]] = {}
        for example in examples:
            by_topic.setdefault(example.topic, []).append(example)
        models = {}
        for topic, items in sorted(by_topic.items()):
            labels = sorted({e.situation for e in items})
            if len(labels) < 2:
                continue
            vectoriser = FeatureUnion(
                [
                    ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)),
                    ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
                ]
            )
            features = vectoriser.fit_transform([fold(e.text) for e in items])
            classifier = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced", random_state=seed)
            classifier.fit(features, [e.situation for e in items])
            models[topic] = (vectoriser, classifier)
        return cls(models)

    def predict(self, text: str, topics: list[str] | None = None, top: int = 3) -> dict[str, list[dict]]:
        """Per topic, the most likely situations with their probability;
        ``GENERAL`` ("") is the chance that the sentence names none."""
        folded = fold(text)
        result = {}
        for topic in topics if topics is not None else sorted(self.models):
            if topic not in self.models:
                continue
            vectoriser, classifier = self.models[topic]
            probabilities = classifier.predict_proba(vectoriser.transform([folded]))[0]
            ranked = sorted(zip(classifier.classes_, probabilities, strict=True), key=lambda pair: -pair[1])[:top]
            result[topic] = [{"name": str(name), "confidence": round(float(p), 4)} for name, p in ranked]
        return result

    def save(self, path: Path) -> None:
        Path(path).write_bytes(pickle.dumps(self.models))

    @classmethod
    def load(cls, path: Path) -> SituationModel:
        # The file is written by our own training into the Rasa model archive.
        return cls(pickle.loads(Path(path).read_bytes()))  # noqa: S301


def examples_per_situation(examples: list[Example]) -> Counter:
    return Counter((e.topic, e.situation) for e in examples if e.situation != GENERAL)
