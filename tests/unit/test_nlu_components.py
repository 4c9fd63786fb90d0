"""The project's own Rasa NLU components, trained and run on small data
with Rasa's real model storage (glue/situation_classifier.py,
glue/intent_classifier.py, glue/matter_classifier.py)."""

from __future__ import annotations

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from glue.intent_classifier import IntentClassifier
from glue.matter_classifier import CASE, SENSITIVE, MatterClassifier, marked
from glue.situation_classifier import SITUATIONS, SituationClassifier
from tests.conftest import KNOWLEDGE_DIR

NLU = """version: "3.1"
nlu:
- intent: pas
  examples: |
    - jeg har [mistet]{"entity": "situation", "value": "mistet"} mit pas
    - passet er [stjålet]{"entity": "situation", "value": "mistet"}
    - mit pas er [væk]{"entity": "situation", "value": "mistet"}
    - passet blev [stjaalet]{"entity": "situation", "value": "mistet"} i spanien
    - hvad [koster]{"entity": "situation", "value": "pris"} et pas
    - [pris]{"entity": "situation", "value": "pris"} på pas
    - hvad skal jeg [betale]{"entity": "situation", "value": "pris"} for et pas
    - pas
    - jeg skal have et pas
    - hvordan søger jeg om pas
- intent: affald
  examples: |
    - hvornår bliver skraldet hentet
    - skraldespanden blev ikke tømt
    - hvor er genbrugspladsen
    - hvordan sorterer jeg affald
"""


@pytest.fixture
def training_data(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text(NLU, encoding="utf-8")
    return load_data(str(path))


def storage(tmp_path):
    (tmp_path / "storage").mkdir(exist_ok=True)
    return LocalModelStorage(tmp_path / "storage")


def test_situation_classifier_trains_persists_and_reads_paraphrases(tmp_path, training_data):
    model_storage = storage(tmp_path)
    resource = Resource("situations")
    config = {**SituationClassifier.get_default_config(), "knowledge": str(KNOWLEDGE_DIR)}
    SituationClassifier.create(config, model_storage, resource, None).train(training_data)
    loaded = SituationClassifier.load(config, model_storage, resource, None)
    (message,) = loaded.process([Message(data={"text": "hvad koster det"})])
    ranking = message.get(SITUATIONS)["pas"]
    # The knowledge base's keywords map the annotated values onto pas's situations.
    assert ranking[0]["name"] == "pris"
    assert {r["name"] for r in ranking} <= {"", "pris", "bortkommet"}
    assert "affald" not in message.get(SITUATIONS)  # no situations annotated there


def test_a_block_that_names_its_situation_teaches_it_without_spans(tmp_path):
    """Stories that tell a situation without a keyword to annotate: the
    block's `metadata: {situation: <key>}` labels every example in it."""
    path = tmp_path / "nlu.yml"
    path.write_text(
        NLU
        + "- intent: pas\n  metadata:\n    situation: bortkommet\n  examples: |\n"
        + "".join(
            f"    - {text}\n"
            for text in (
                "tasken med alle papirerne blev taget på stranden",
                "jeg kan ikke finde den lille røde bog nogen steder efter flytningen",
                "lommetyven tog hele tasken i metroen",
                "den blev taget fra hotelværelset",
            )
        ),
        encoding="utf-8",
    )
    model_storage = storage(tmp_path)
    resource = Resource("situations")
    config = {**SituationClassifier.get_default_config(), "knowledge": str(KNOWLEDGE_DIR)}
    SituationClassifier.create(config, model_storage, resource, None).train(load_data(str(path)))
    loaded = SituationClassifier.load(config, model_storage, resource, None)
    (message,) = loaded.process([Message(data={"text": "tasken blev taget i toget"})])
    assert message.get(SITUATIONS)["pas"][0]["name"] == "bortkommet"


def test_situation_classifier_without_a_trained_model_adds_nothing(tmp_path):
    config = SituationClassifier.get_default_config()
    loaded = SituationClassifier.load(config, storage(tmp_path), Resource("never-trained"), None)
    (message,) = loaded.process([Message(data={"text": "hvad koster det"})])
    assert message.get(SITUATIONS) is None


def trained_intents(tmp_path, training_data, name="intents"):
    model_storage = storage(tmp_path)
    resource = Resource(name)
    config = {**IntentClassifier.get_default_config(), "knowledge": str(KNOWLEDGE_DIR)}
    IntentClassifier.create(config, model_storage, resource, None).train(training_data)
    return IntentClassifier.load(config, model_storage, resource, None)


def test_intent_classifier_ranks_every_intent_from_the_text(tmp_path, training_data):
    loaded = trained_intents(tmp_path, training_data)
    # Missing æøå and an unseen wording: the character n-grams still carry it.
    (message,) = loaded.process([Message(data={"text": "skraldespanden er ikke blevet tomt"})])
    assert message.get("intent")["name"] == "affald"
    assert [r["name"] for r in message.get("intent_ranking")] == ["affald", "pas"]
    assert abs(sum(r["confidence"] for r in message.get("intent_ranking")) - 1) < 1e-3


class FixedRanking:
    """The linear model's ranking pinned, so the keyword rule is tested on its own."""

    def __init__(self, ranking):
        self.fixed = ranking

    def ranking(self, text):
        return self.fixed


def test_a_named_errand_wins_over_assistance_but_never_over_out_of_scope(tmp_path, training_data):
    loaded = trained_intents(tmp_path, training_data)
    loaded.model = FixedRanking([("needs_assistance", 0.55), ("pas", 0.35), ("affald", 0.1)])
    (message,) = loaded.process([Message(data={"text": "Goddag, jeg er 81 år, mit gamle pas er udløbet"})])
    assert message.get("intent")["name"] == "pas"
    assert abs(sum(r["confidence"] for r in message.get("intent_ranking")) - 1) < 1e-3
    # Two errands named: no word decides.
    (message,) = loaded.process([Message(data={"text": "mit pas og min skraldespand"})])
    assert message.get("intent")["name"] == "needs_assistance"
    # Out of scope is never overruled by an errand's word.
    loaded.model = FixedRanking([("out_of_scope", 0.6), ("pas", 0.3), ("affald", 0.1)])
    (message,) = loaded.process([Message(data={"text": "pas på min hund i ferien"})])
    assert message.get("intent")["name"] == "out_of_scope"


CASE_NLU = (
    NLU
    + """- intent: pas
  metadata:
    case: true
  examples: |
    - de har afvist mit barns pas fordi faren ikke vil skrive under
    - jeg betalte to gange for mit pas og vil have pengene igen
    - mit pas er ikke kommet efter seks uger
    - I har sendt mig en opkrævning for et pas jeg aldrig fik
- intent: affald
  metadata:
    case: true
  examples: |
    - vi har fået en bøde for forkert sortering og det er ikke os
    - I har opkrævet mig for en ekstra container jeg ikke har bestilt
    - de vil ikke fritage os for storskrald selvom vi har søgt
    - min mor har fået en regning på renovation for et år hun ikke boede der
- intent: personal_matter
  examples: |
    - min far drikker og jeg ved ikke hvad jeg skal gøre
    - min søster bliver slået af sin kæreste
- intent: valg
  metadata:
    sensitive: true
  examples: |
    - min søn sidder i fængsel, kan han stemme
    - min mand drikker og kan ikke selv stemme
    - efter min kones død ved jeg ikke hvordan jeg stemmer
- intent: valg
  examples: |
    - hvornår er der valg
    - hvor skal jeg stemme
    - kan jeg brevstemme
"""
)


def test_case_classifier_learns_the_marked_blocks_and_persists(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text(CASE_NLU, encoding="utf-8")
    model_storage = storage(tmp_path)
    resource = Resource("case")
    config = MatterClassifier.get_default_config()
    MatterClassifier.create(config, model_storage, resource, None).train(load_data(str(path)))
    loaded = MatterClassifier.load(config, model_storage, resource, None)
    own, plain, button = loaded.process(
        [
            Message(data={"text": "I har opkrævet mig to gange for mit pas"}),
            Message(data={"text": "hvordan sorterer jeg affald"}),
            Message(data={"text": "/callback_request"}),
        ]
    )
    assert own.get(CASE)["confidence"] > plain.get(CASE)["confidence"]
    assert plain.get(CASE)["confidence"] < 0.5
    assert button.get(CASE) is None and button.get(SENSITIVE) is None
    # The sensitive reading, from the same vectoriser: a sensitive matter
    # inside an errand question (the marked valg block) against plain ones.
    told, asked = loaded.process(
        [
            Message(data={"text": "min bror sidder i fængsel og vil stemme"}),
            Message(data={"text": "hvornår er der valg"}),
        ]
    )
    assert told.get(SENSITIVE)["confidence"] > 0.5 > asked.get(SENSITIVE)["confidence"]


def test_case_classifier_without_case_examples_trains_nothing_and_adds_nothing(tmp_path, training_data, caplog):
    model_storage = storage(tmp_path)
    resource = Resource("case")
    config = MatterClassifier.get_default_config()
    MatterClassifier.create(config, model_storage, resource, None).train(training_data)
    assert "no intent block with metadata case: true" in caplog.text
    loaded = MatterClassifier.load(config, model_storage, resource, None)
    (message,) = loaded.process([Message(data={"text": "mit pas er ikke kommet"})])
    assert message.get(CASE) is None


def test_only_an_intent_block_marked_true_carries_its_mark():
    case = Message.build("x", "pas", intent_metadata={"case": True})
    other = Message.build("x", "pas", intent_metadata={"case": "yes"})
    sensitive = Message.build("x", "pas", intent_metadata={"sensitive": True})
    assert marked(case, "case") and not marked(case, "sensitive")
    assert not marked(other, "case")
    assert marked(sensitive, "sensitive") and not marked(sensitive, "case")
    assert not marked(Message.build("x", "pas"), "case")
