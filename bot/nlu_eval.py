"""Held-out NLU evaluation against a running Rasa server.

The held-out examples (tests/nlu_heldout/) are never trained on; parsing
them through the server's /model/parse measures the model citizens meet.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT
from bot.stack import http_json

HELDOUT = PROJECT_ROOT / "tests" / "nlu_heldout"


def errand_intents(root: Path = PROJECT_ROOT) -> tuple[str, ...]:
    """Every errand in the knowledge base, plus out_of_scope: what the macro-F1 covers."""
    from bot.knowledge.loader import load_knowledge

    return (*sorted(load_knowledge(root / "knowledge").topics), "out_of_scope")


def load_heldout(folder: Path = HELDOUT) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(folder))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def evaluate(url: str, examples: list[tuple[str, str]], errands: tuple[str, ...] = ()) -> dict:
    from sklearn.metrics import precision_recall_fscore_support

    gold, predicted, misses = [], [], []
    for text, intent in examples:
        status, parsed = http_json(f"{url}/model/parse", {"text": text})
        if status != 200:
            raise RuntimeError(f"/model/parse answered {status}: {parsed}")
        name = parsed["intent"]["name"]
        gold.append(intent)
        predicted.append(name)
        if name != intent:
            misses.append({"text": text, "gold": intent, "predicted": name, "confidence": parsed["intent"]["confidence"]})
    labels = sorted(set(gold))
    p, r, f, n = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_intent = {
        label: {"precision": round(float(p[i]), 3), "recall": round(float(r[i]), 3), "f1": round(float(f[i]), 3), "n": int(n[i])}
        for i, label in enumerate(labels)
    }
    scored = [per_intent[i]["f1"] for i in (errands or errand_intents()) if i in per_intent]
    return {
        "examples": len(gold),
        "accuracy": round(sum(g == q for g, q in zip(gold, predicted)) / max(len(gold), 1), 3),
        "macro_f1_errands": round(sum(scored) / max(len(scored), 1), 3),
        "per_intent": per_intent,
        "misclassified": misses,
        "gold": gold,
        "predicted": predicted,
    }


def format_report(report: dict) -> str:
    lines = [f"{'intent':<18} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}"]
    for label, m in report["per_intent"].items():
        lines.append(f"{label:<18} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} {m['n']:>4}")
    lines.append(f"accuracy {report['accuracy']:.3f}; macro-F1 (errands + out_of_scope) {report['macro_f1_errands']:.3f}")
    for miss in report["misclassified"]:
        lines.append(f"  miss: {miss['text']!r}: {miss['gold']} -> {miss['predicted']} ({miss['confidence']:.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args(argv)
    report = evaluate(args.url, load_heldout())
    print(format_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
