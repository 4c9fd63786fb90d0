"""The situation model's one-product prediction equals each classifier's
own predict_proba (bot/chat/situation_model.py)."""

from __future__ import annotations

import pytest

from bot.chat.situation_model import GENERAL, Example, SituationModel, fold

EXAMPLES = [
    # Two classes: the sigmoid path.
    *(Example("pas", t, "bortkommet") for t in ("jeg har mistet mit pas", "passet er stjålet", "mit pas er væk")),
    *(Example("pas", t, GENERAL) for t in ("pas", "jeg skal have et pas", "hvordan søger jeg om pas")),
    # Three classes: the softmax path.
    *(Example("affald", t, "storskrald") for t in ("storskrald afhentning", "hent min sofa", "bestil storskrald")),
    *(Example("affald", t, "sortering") for t in ("hvor skal glas hen", "sortering af plast", "hvordan sorterer jeg")),
    *(Example("affald", t, GENERAL) for t in ("affald", "skraldespand", "spørgsmål om affald")),
]


@pytest.mark.parametrize(
    "text", ["min sofa skal hentes", "passet er vaek", "hvor skal batterier hen", "noget helt andet", ""]
)
def test_one_product_gives_what_each_classifier_gives(text):
    model = SituationModel.fit(EXAMPLES)
    assert {len(c.classes_) for c in model.classifiers.values()} == {2, 3}
    predicted = model.predict(text, top=3)
    features = model.vectoriser.transform([fold(text)])
    for topic, classifier in model.classifiers.items():
        probabilities = classifier.predict_proba(features)[0]
        expected = sorted(
            ((str(n), round(float(p), 4)) for n, p in zip(classifier.classes_, probabilities, strict=True)),
            key=lambda pair: -pair[1],
        )
        got = [(r["name"], r["confidence"]) for r in predicted[topic]]
        assert [p for _, p in got] == pytest.approx([p for _, p in expected], abs=1e-4)
        assert {n for n, _ in got} == {n for n, _ in expected}
