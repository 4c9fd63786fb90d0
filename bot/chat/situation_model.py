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
# The per-topic situation models are independent fits, run this many at a
# time. Two, the cores of the machines these targets are set for: training
# the twenty topics took 48 s one at a time (then lbfgs over 59,000 n-gram
# columns, `rasa train --debug`, 2026-12-06, with other work beside it);
# the fits are deterministic, so the models are the same either way (the
# coefficients agreed to 1e-11 of their size).
TRAINING_JOBS = 2
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e"})


def fold_letters(word: str) -> str:
    """The word as written without æ, ø, å and é ("røg" → "roeg")."""
    return word.translate(_FOLD)


def fold(text: str) -> str:
    text = (text or "").lower().translate(_FOLD)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def two_class_examples(
    examples: list[tuple[str | None, str | None, bool]],
    labels: tuple[str, str],
    neutral: frozenset[str],
    positive_intents: frozenset[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """Training texts and labels for a two-class reading (the case and the
    sensitive model) from NLU examples, each (text, intent, marked): a
    marked example or one of ``positive_intents`` gets ``labels[0]``, any
    other ``labels[1]``, and the ``neutral`` intents' unmarked examples
    teach neither."""
    positive, negative = labels
    texts: list[str] = []
    found: list[str] = []
    for text, intent, marked in examples:
        if not text or not intent or (intent in neutral and not marked):
            continue
        texts.append(text)
        found.append(positive if marked or intent in positive_intents else negative)
    return texts, found


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


# newton-cg stops when the gradient's largest entry falls below this. At
# sklearn's 1e-4 the intent model (7,049 examples, 32 intents) needed 21
# iterations and 45 s; at 5e-3, 16 iterations and 32 s, with every one of the
# 10,663 open held-out texts given the same intent and no probability moved
# by more than 0.001 (issue 24, 2026-12-07). float32 features were quicker
# still but their line search failed.
TOLERANCE = 5e-3


def _classifier(features, labels: list[str], seed: int, c: float):
    from sklearn.linear_model import LogisticRegression

    # newton-cg, not the default lbfgs: the regularised loss is strictly
    # convex, so both reach the same model (intent model, 6,116 examples,
    # 32 intents: largest probability difference 0.0002 on the training set,
    # every prediction the same; open held-out figures the same to 0.001),
    # but newton-cg needs 21 iterations where lbfgs needs 165. Training the
    # intent model took 38 s instead of 47 s, the situation model 7 s
    # instead of 13 s (issue 24, 2026-12-06). saga took 66 s.
    classifier = LogisticRegression(
        C=c, max_iter=3000, tol=TOLERANCE, class_weight="balanced", random_state=seed, solver="newton-cg"
    )
    return classifier.fit(features, labels)


def _scores(classifier, features: tuple) -> object:
    """A linear model's scores for one message's features (``Features``:
    its n-grams' columns and weights).

    Only the columns of the message's own n-grams are read. scipy's sparse
    row times sklearn's transposed (F-order) coefficients copied the whole
    matrix, tens of MB, on every message: a third of the Rasa server's time
    (py-spy, 10 users, issue 24: 955 of 2,999 samples in __matmul__); a
    C-order copy kept beside the coefficients cost 40 MB of its memory."""
    columns, weights = features
    return classifier.coef_[:, columns] @ weights + classifier.intercept_


class Features:
    """The fitted vectoriser's columns and weights for one text, equal to
    ``vectoriser.transform([text])`` (tests/unit/test_situation_model.py
    holds them to it) without what that call repeats on every message.

    TfidfTransformer.transform checks that it is fitted by reading its
    ``idf_`` property, which sums the whole idf diagonal matrix again, and
    then multiplies the row by that diagonal matrix: 6 % of the Rasa
    server's samples, three vectorisers per message (py-spy, 10 users,
    issue 24, 2026-12-05). The idf weights are read once here; the counts
    are still the vectoriser's own (CountVectorizer.transform), and the
    sublinear tf, idf and l2 norm are TfidfTransformer's arithmetic."""

    def __init__(self, vectoriser):
        import numpy as np

        self.parts = []
        offset = 0
        for _name, part in vectoriser.transformer_list:
            if vectoriser.transformer_weights or part.norm not in ("l2", None) or not part.use_idf:
                raise ValueError(f"unexpected vectoriser part {_name!r}: retrain the model")
            idf = np.asarray(part.idf_, dtype=np.float64)
            self.parts.append((part, idf, part.sublinear_tf, part.norm, offset))
            offset += idf.shape[0]

    def __call__(self, text: str) -> tuple:
        import numpy as np
        from sklearn.feature_extraction.text import CountVectorizer

        columns, weights = [], []
        for part, idf, sublinear, norm, offset in self.parts:
            counts = CountVectorizer.transform(part, [text])
            values = counts.data.astype(np.float64)
            if sublinear:
                values = np.log(values) + 1.0
            values *= idf[counts.indices]
            if norm == "l2":
                length = np.sqrt(values @ values)
                if length > 0:
                    values /= length
            columns.append(counts.indices + offset)
            weights.append(values)
        return np.concatenate(columns), np.concatenate(weights)


def _probabilities_of(score, classes) -> list[tuple[str, float]]:
    """A linear model's classes and probabilities from its scores, most
    probable first. The arithmetic is LogisticRegression's own: a sigmoid for
    two classes, a softmax (the multinomial lbfgs model) for more;
    tests/unit/test_situation_model.py holds it to predict_proba."""
    import numpy as np

    if len(score) == 1:
        positive = 1.0 / (1.0 + np.exp(-score[0]))
        probabilities = np.array([1.0 - positive, positive])
    else:
        exp = np.exp(score - score.max())
        probabilities = exp / exp.sum()
    return sorted(((str(n), float(p)) for n, p in zip(classes, probabilities, strict=True)), key=lambda pair: -pair[1])


class TextClassifier:
    """A linear classifier over the folded text's character and word
    n-grams: robust to the typos and missing æøå that whole-word features
    miss. The situation model uses one per topic; the intent classifier one
    over all intents."""

    def __init__(self, vectoriser, classifier):
        self.vectoriser = vectoriser
        self.classifier = classifier
        self.features = Features(vectoriser)

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], seed: int = 4242, c: float = 8.0) -> TextClassifier:
        vectoriser = _vectoriser()
        features = vectoriser.fit_transform([fold(t) for t in texts])
        return cls(vectoriser, _classifier(features, labels, seed, c))

    def ranking(self, text: str) -> list[tuple[str, float]]:
        return _probabilities_of(_scores(self.classifier, self.features(fold(text))), self.classifier.classes_)

    def save(self, path: Path) -> None:
        Path(path).write_bytes(pickle.dumps((self.vectoriser, self.classifier)))

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        # Written by our own training into the Rasa model archive.
        return cls(*pickle.loads(Path(path).read_bytes()))  # noqa: S301


class SituationModel:
    """One logistic regression per topic over one shared vectoriser: the
    n-gram analysis, most of a prediction's cost, runs once per message
    rather than once per topic (profiled: a quarter of the Rasa server's
    time with eight topics, growing with every errand added)."""

    def __init__(self, vectoriser=None, classifiers: dict | None = None):
        self.vectoriser = vectoriser
        self.classifiers = classifiers or {}
        self.features = Features(vectoriser) if vectoriser is not None else None

    def _probabilities(self, features: tuple, topics: list[str]) -> dict[str, list[tuple[str, float]]]:
        """Every wanted topic's classes and probabilities, from the columns
        of the message's own n-grams. Calling each classifier's predict_proba
        repeated sklearn's input checks once per topic: a quarter of the Rasa
        server's time with twenty topics (py-spy, 10 users, issue 24)."""
        return {
            topic: _probabilities_of(_scores(self.classifiers[topic], features), self.classifiers[topic].classes_)
            for topic in topics
        }

    @property
    def topics(self) -> list[str]:
        return sorted(self.classifiers)

    @classmethod
    def fit(cls, examples: list[Example], seed: int = 4242, c: float = 8.0) -> SituationModel:
        by_topic: dict[str, list[int]] = {}
        for index, example in enumerate(examples):
            by_topic.setdefault(example.topic, []).append(index)
        trainable = {t: rows for t, rows in by_topic.items() if len({examples[i].situation for i in rows}) >= 2}
        if not trainable:
            return cls()
        vectoriser = _vectoriser()
        features = vectoriser.fit_transform([fold(e.text) for e in examples])
        from joblib import Parallel, delayed

        topics = sorted(trainable)
        fitted = Parallel(n_jobs=min(TRAINING_JOBS, len(topics)))(
            delayed(_classifier)(features[trainable[t]], [examples[i].situation for i in trainable[t]], seed, c)
            for t in topics
        )
        return cls(vectoriser, dict(zip(topics, fitted, strict=True)))

    def predict(self, text: str, topics: list[str] | None = None, top: int = 3) -> dict[str, list[dict]]:
        """Per topic, the most likely situations with their probability;
        ``GENERAL`` ("") is the chance that the sentence names none."""
        wanted = [t for t in (topics if topics is not None else self.topics) if t in self.classifiers]
        if not wanted:
            return {}
        ranked = self._probabilities(self.features(fold(text)), wanted)
        return {
            topic: [{"name": name, "confidence": round(p, 4)} for name, p in ranked[topic][:top]] for topic in wanted
        }

    def save(self, path: Path) -> None:
        Path(path).write_bytes(pickle.dumps({"vectoriser": self.vectoriser, "classifiers": self.classifiers}))

    @classmethod
    def load(cls, path: Path) -> SituationModel:
        # The file is written by our own training into the Rasa model archive.
        stored = pickle.loads(Path(path).read_bytes())  # noqa: S301
        if set(stored) != {"vectoriser", "classifiers"}:
            # A model trained before the shared vectoriser: retrain it.
            raise ValueError(f"{path}: situation model of an older format")
        return cls(stored["vectoriser"], stored["classifiers"])
