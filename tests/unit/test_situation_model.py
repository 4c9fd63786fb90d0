"""The situation model's one-product prediction equals each classifier's
own predict_proba (bot/chat/situation_model.py)."""

from __future__ import annotations

import pytest

from bot.chat.situation_model import GENERAL, Example, SituationModel, TextClassifier, fold

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


@pytest.mark.parametrize("text", ["min sofa skal hentes", "passet er vaek", "noget helt andet", ""])
def test_the_text_classifier_ranks_as_predict_proba_does(text):
    # The intent model: one classifier over many classes, its weights kept in
    # C order for the product (a copy of the F-order matrix per message cost
    # a third of the Rasa server's time).
    model = TextClassifier.fit([e.text for e in EXAMPLES], [f"{e.topic}/{e.situation}" for e in EXAMPLES])
    assert len(model.classifier.classes_) == 5
    probabilities = model.classifier.predict_proba(model.vectoriser.transform([fold(text)]))[0]
    expected = dict(zip(model.classifier.classes_, probabilities, strict=True))
    got = model.ranking(text)
    assert [p for _, p in got] == sorted([p for _, p in got], reverse=True)
    assert dict(got) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "text", ["min sofa skal hentes", "passet er vaek vaek vaek", "noget helt andet", "", "zzz qqq", "pas pas pas pas"]
)
def test_the_features_are_the_vectorisers_own(text):
    # Features reads the idf weights once instead of per message; the
    # columns and weights must be exactly what the vectoriser gives.
    model = SituationModel.fit(EXAMPLES)
    expected = model.vectoriser.transform([fold(text)]).tocsr()
    expected.sort_indices()
    columns, weights = model.features(fold(text))
    assert list(columns) == list(expected.indices)
    assert list(weights) == pytest.approx(list(expected.data), abs=1e-12)


def test_features_refuse_a_vectoriser_they_do_not_reproduce():
    from bot.chat.situation_model import Features

    model = SituationModel.fit(EXAMPLES)
    model.vectoriser.transformer_list[1][1].norm = "l1"
    with pytest.raises(ValueError, match="retrain"):
        Features(model.vectoriser)
