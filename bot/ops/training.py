"""Training the Rasa model, only when something it learns from changed.

`kommunebot train` (and so `make model`) calls ``train``; the fingerprint
of what a model depends on is stored beside it, so editing an answer text
costs a hash, not a three-minute training.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bot.settings import DEFAULT_MODEL, PROJECT_ROOT

# Our components inside the Rasa model; their code is the project's even
# when the content folder is another one.
TRAINED_CODE = (
    "glue/intent_classifier.py",
    "glue/lemma_tokenizer.py",
    "glue/situation_classifier.py",
    "bot/chat/situation_model.py",
)


class TrainingFailed(RuntimeError):
    def __init__(self, seconds: float, returncode: int):
        super().__init__(f"training failed after {seconds:.1f} s (rasa exit code {returncode})")
        self.seconds = seconds
        self.returncode = returncode


@dataclass(frozen=True)
class Training:
    model: Path
    seconds: float | None  # None: nothing had changed, so nothing was trained


def training_fingerprint(root: Path) -> str:
    """What a trained model depends on: config, domain, data, the spaCy
    folder and the code of our own trained components (a changed model
    format must not meet an old archive)."""
    digest = hashlib.sha256()
    files = [
        root / "config.yml",
        root / "domain.yml",
        *sorted((root / "data").rglob("*.yml")),
        # The SQLite lemma table is the pipeline's tokenizer (hashing its
        # 16 MB takes about 50 ms per `make run`).
        *sorted((root / "build" / "spacy-da").rglob("*")),
        *[PROJECT_ROOT / name for name in TRAINED_CODE],
    ]
    for path in files:
        if path.is_file():
            base = root if path.is_relative_to(root) else PROJECT_ROOT
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    digest.update(_situations_digest(root).encode())
    return digest.hexdigest()


def _situations_digest(root: Path) -> str:
    """The part of knowledge the model learns from: each topic's situation
    keys and keywords (the situation classifier labels examples with them)
    and its words (the intent classifier keeps them in the model). Answers,
    links and texts are read at run time, so editing them never retrains."""
    from bot.knowledge.loader import load_knowledge

    try:
        topics = load_knowledge(root / "knowledge").topics
    except Exception as exc:  # noqa: BLE001 - `kommunebot check` reports the content problem itself
        return f"unreadable knowledge: {type(exc).__name__}"
    return repr(sorted((key, t.words, [(s.key, s.keywords) for s in t.situations]) for key, t in topics.items()))


def model_for(root: Path, model: Path) -> Path:
    """The model for the content folder ``root``: ``model`` (KOMMUNEBOT_MODEL)
    in this repository, the same relative place in another content folder."""
    if root.resolve() == PROJECT_ROOT:
        return model
    return root / (model.relative_to(PROJECT_ROOT) if model.is_relative_to(PROJECT_ROOT) else DEFAULT_MODEL)


def fingerprint_file(model: Path) -> Path:
    return model.with_name(model.name.removesuffix(".tar.gz") + ".fingerprint")


def rasa_train_command(model: Path) -> list[str]:
    """`rasa train` writing ``model``; run it with the content folder as the
    working directory. --force: Rasa cannot see a change in the spaCy
    folder itself, and the fingerprint has already decided."""
    return [
        str(Path(sys.executable).parent / "rasa"),
        "train",
        "--fixed-model-name",
        model.name.removesuffix(".tar.gz"),
        "--out",
        str(model.parent),
        "--force",
        # Rasa validates the data before every training (18 s of 118 on this
        # 2-core machine, issue 24, 2026-12-07). `kommunebot check` and
        # tests/process/test_rasa_cli.py already run its `data validate`,
        # stricter (--fail-on-warnings); a real error still stops training.
        "--skip-validation",
    ]


def train(root: Path, model: Path, force: bool = False) -> Training:
    """Train ``model`` from the content in ``root`` unless its stored
    fingerprint says nothing changed (``force`` trains anyway). Raises
    TrainingFailed when Rasa does."""
    fingerprint = training_fingerprint(root)
    stored = fingerprint_file(model)
    if not force and model.is_file() and stored.is_file() and stored.read_text() == fingerprint:
        return Training(model, None)
    started = time.monotonic()
    result = subprocess.run(rasa_train_command(model), cwd=root)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise TrainingFailed(seconds, result.returncode)
    stored.write_text(fingerprint)
    return Training(model, seconds)
