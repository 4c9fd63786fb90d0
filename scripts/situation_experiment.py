"""Which way reads the situation better? Measured on the held-out messages.

A: the shipped pipeline: the errand intent, then the situation from the
   entity, the keyword rules and the whole-sentence situation model
   (glue/situation_classifier.py), the more confident winning.
B: situation-level intents: every errand example relabelled
   "<topic>__<situation>" ("pas__bortkommet", "pas__" for none), trained
   with the same pipeline minus the situation model, and mapped back.

Both are scored on the held-out messages written apart from the training
data (tests/heldout/open/, or --sealed): errand intent macro-F1 after
mapping back, and situation accuracy on the messages whose situation is
labelled (the general answer counts as right for messages without one).
Prints one table; trains model B into a temporary folder.

    .venv/bin/python scripts/situation_experiment.py [--sealed]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

from bot.chat.reading import KeywordRules, Lemmatiser, read_situation
from bot.chat.situations import normalise_situation
from bot.content import evaluation, heldout
from bot.knowledge.loader import load_knowledge
from bot.ops.evaluate import stack_for
from bot.ops.http import rasa_parser
from bot.settings import PROJECT_ROOT, Settings

SEP = "__"


def relabelled_training_data(knowledge, folder: Path) -> None:
    """The training data with errand intents split by situation."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(PROJECT_ROOT / "data" / "nlu"))
    synonyms = data.entity_synonyms
    by_intent: dict[str, list[str]] = {}
    for message in data.intent_examples:
        intent = message.get("intent")
        topic = knowledge.topics.get(intent)
        label = intent
        if topic is not None:
            situation = ""
            for entity in message.get("entities") or []:
                if entity.get("entity") == "situation":
                    value = str(entity.get("value"))
                    situation = normalise_situation(topic, synonyms.get(value, value)) or situation
            label = f"{intent}{SEP}{situation}"
        by_intent.setdefault(label, []).append(message.get("text"))
    nlu = [{"intent": k, "examples": "".join(f"- {t}\n" for t in v)} for k, v in sorted(by_intent.items())]
    (folder / "nlu.yml").write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True))


def config_without_situation_model(folder: Path) -> Path:
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    config["pipeline"] = [c for c in config["pipeline"] if "SituationClassifier" not in c["name"]]
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def score(knowledge, items, predicted_topics, predicted_situations, scored) -> dict:
    from sklearn.metrics import f1_score

    gold = [m["intent"] for m in items]
    labels = [i for i in scored if i in set(gold)]
    f1 = f1_score(gold, predicted_topics, labels=labels, average="macro", zero_division=0)
    right = total = 0
    for item, topic, situation in zip(items, predicted_topics, predicted_situations, strict=True):
        if item["intent"] not in knowledge.topics or topic != item["intent"]:
            continue
        total += 1
        right += (situation or None) == (item.get("situation") or None)
    return {"macro_f1": round(f1, 3), "situation_accuracy": round(right / max(total, 1), 3), "n_situation": total}


def parse_all(model: Path, folder: Path, items: list[dict]) -> list[tuple[dict, dict]]:
    """Each held-out message with the parse result of ``model``'s Rasa server."""
    stack = stack_for(folder, model)
    try:
        stack.start_rasa()
        stack.wait_rasa()
        parse = rasa_parser(stack.url, stack.api_token)
        return [(item, parse(item["text"])) for item in items]
    finally:
        stack.stop()


def main() -> None:
    sealed = "--sealed" in sys.argv
    knowledge = load_knowledge(PROJECT_ROOT / "knowledge")
    items = heldout.load_messages(heldout.set_folder(PROJECT_ROOT, sealed))
    scored = evaluation.scored_intents(PROJECT_ROOT)
    rules = KeywordRules(knowledge.topics, Lemmatiser(Settings.load({}).spacy_path))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # A: the shipped model.
        topics, situations = [], []
        for item, parsed in parse_all(Settings.load({}).model, tmp / "a", items):
            name = parsed["intent"]["name"]
            topics.append(name)
            topic = knowledge.topics.get(name)
            values = [str(e.get("value")) for e in parsed.get("entities") or [] if e.get("entity") == "situation"]
            reading = read_situation(topic, values, rules, item["text"], parsed.get("situations")) if topic else None
            situations.append(reading.key if reading else None)
        results["A: intent + situation model + keywords"] = score(knowledge, items, topics, situations, scored)
        # B: situation-level intents.
        data = tmp / "data"
        data.mkdir()
        relabelled_training_data(knowledge, data)
        import subprocess

        rasa = str(Path(sys.executable).with_name("rasa"))
        subprocess.run(
            [
                rasa,
                "train",
                "nlu",
                "--nlu",
                str(data),
                "--config",
                str(config_without_situation_model(tmp)),
                "--out",
                str(tmp / "b"),
                "--fixed-model-name",
                "b",
            ],
            cwd=PROJECT_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        topics, situations = [], []
        for _, parsed in parse_all(tmp / "b" / "b.tar.gz", tmp / "bs", items):
            topic, _, situation = parsed["intent"]["name"].partition(SEP)
            topics.append(topic)
            situations.append(situation or None)
        results["B: situation-level intents"] = score(knowledge, items, topics, situations, scored)
    print(f"{'approach':<42} {'macro-F1':>8} {'situation acc':>13} {'n':>4}  ({'sealed' if sealed else 'open'} set)")
    for name, r in results.items():
        print(f"{name:<42} {r['macro_f1']:>8.3f} {r['situation_accuracy']:>13.3f} {r['n_situation']:>4}")


if __name__ == "__main__":
    main()
