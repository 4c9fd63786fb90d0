"""`kommunebot eval`: the blind test editors know from other assistants.

The trained model is served by a real Rasa server on a free port and every
held-out example (tests/nlu_heldout/, never trained on) is parsed through
it, so the figures are those of the model citizens meet.
"""
from __future__ import annotations

import socket
from pathlib import Path

from bot.nlu_eval import errand_intents, evaluate, format_report, load_heldout

MODEL = Path("models") / "kommunebot.tar.gz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
                axes.text(j, i, str(matrix[i, j]), ha="center", va="center",
                          color="white" if matrix[i, j] > top / 2 else "black")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def run_evaluation(root: Path, out: Path) -> dict:
    from bot.stack import Stack

    model = root / MODEL
    if not model.is_file():
        raise FileNotFoundError(f"{model}: no trained model; run `kommunebot train` first")
    examples = load_heldout(root / "tests" / "nlu_heldout")
    out.mkdir(parents=True, exist_ok=True)
    env = {"KOMMUNEBOT_TRACKER_URL": f"sqlite:///{out / 'tracker.db'}"}
    stack = Stack(_free_port(), _free_port(), env=env, log_dir=out / "logs", model=model)
    try:
        stack.start_rasa()
        stack.wait_rasa()
        data = evaluate(stack.url, examples, errand_intents(root))
    finally:
        stack.stop()
    confusion_png(data.pop("gold"), data.pop("predicted"), out / "confusion.png")
    text = format_report(data)
    (out / "report.txt").write_text(text + "\n", encoding="utf-8")
    return {"text": text, "data": data}
