"""Held-out evaluation (`kommunebot eval` and the suite's held-out test).

The held-out examples (tests/nlu_heldout/) are never trained on; parsing
them through a real Rasa server's /model/parse measures the model
citizens meet. Starting that server is the caller's part: this module gets
a ``parse`` function, so it needs no process runner.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.knowledge.loader import load_knowledge

# text -> Rasa's parse result ({"intent": {"name", "confidence"}, ...})
Parse = Callable[[str], dict]
HELDOUT = Path("tests") / "nlu_heldout"


def errand_intents(root: Path) -> tuple[str, ...]:
    """Every errand in the knowledge base, plus out_of_scope: what the macro-F1 covers."""
    return (*sorted(load_knowledge(root / "knowledge").topics), "out_of_scope")


def load_heldout(folder: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(folder))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def evaluate(parse: Parse, examples: list[tuple[str, str]], errands: tuple[str, ...]) -> dict:
    """Per-intent precision, recall and F1 and the macro-F1 over ``errands``;
    ``parse`` returns Rasa's parse result for one text."""
    from sklearn.metrics import precision_recall_fscore_support

    gold, predicted, misses = [], [], []
    for text, intent in examples:
        parsed = parse(text)
        name = parsed["intent"]["name"]
        gold.append(intent)
        predicted.append(name)
        if name != intent:
            misses.append(
                {"text": text, "gold": intent, "predicted": name, "confidence": parsed["intent"]["confidence"]}
            )
    labels = sorted(set(gold))
    p, r, f, n = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    per_intent = {
        label: {
            "precision": round(float(p[i]), 3),
            "recall": round(float(r[i]), 3),
            "f1": round(float(f[i]), 3),
            "n": int(n[i]),
        }
        for i, label in enumerate(labels)
    }
    scored = [per_intent[i]["f1"] for i in errands if i in per_intent]
    return {
        "examples": len(gold),
        "accuracy": round(sum(g == q for g, q in zip(gold, predicted, strict=True)) / max(len(gold), 1), 3),
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
    lines.append(
        f"accuracy {report['accuracy']:.3f}; macro-F1 (errands + out_of_scope) {report['macro_f1_errands']:.3f}"
    )
    for miss in report["misclassified"]:
        lines.append(f"  miss: {miss['text']!r}: {miss['gold']} -> {miss['predicted']} ({miss['confidence']:.2f})")
    return "\n".join(lines)


def confusion_png(gold: list[str], predicted: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no screen on servers
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold) | set(predicted))
    matrix = confusion_matrix(gold, predicted, labels=labels)
    size = max(6, 0.55 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("forudsagt intent")
    axes.set_ylabel("rigtig intent")
    axes.set_title("Blindtest: forvekslinger")
    top = matrix.max() or 1
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                axes.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    color="white" if matrix[i, j] > top / 2 else "black",
                )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def run_evaluation(root: Path, out: Path, parse: Parse) -> dict:
    """The blind test on ``root``'s held-out set: report.txt and confusion.png in ``out``."""
    examples = load_heldout(root / HELDOUT)
    out.mkdir(parents=True, exist_ok=True)
    data = evaluate(parse, examples, errand_intents(root))
    confusion_png(data.pop("gold"), data.pop("predicted"), out / "confusion.png")
    text = format_report(data)
    (out / "report.txt").write_text(text + "\n", encoding="utf-8")
    return {"text": text, "data": data}
