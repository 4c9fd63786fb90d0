"""Editor commands of ``kommunebot``: topic new, municipality new, check,
build, train and eval. Problems are printed as ``file:line: field: what``
and end with exit code 1; wrong use of a command exits with 2."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import click

from bot.content.check import check as check_content
from bot.content.scaffold import ScaffoldError, new_municipality, new_topic
from bot.settings import PROJECT_ROOT

ROOT_OPTION = click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=PROJECT_ROOT,
                           show_default=False, help="the project folder (default: this repository)")
MODEL = Path("models") / "kommunebot.tar.gz"
FINGERPRINT = Path("models") / "kommunebot.fingerprint"


def _report(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(problems)} problem(s): fix them and run `kommunebot check` again.", err=True)
    sys.exit(1)


def _created(root: Path, paths) -> None:
    for path in paths:
        click.echo(f"  {path.relative_to(root)}")


@click.group("topic")
def topic() -> None:
    """Errands (intents with a knowledge entry)."""


@topic.command("new")
@click.argument("name")
@click.option("--title", default=None, help="the name citizens see, e.g. 'flytning' or 'sundhedskort'")
@ROOT_OPTION
def topic_new(name: str, title, root: Path) -> None:
    """Scaffold everything one errand needs, with TODO markers to fill in."""
    try:
        paths = new_topic(root, name, title)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Created errand '{name}'. Fill in every TODO in:")
    _created(root, paths)
    click.echo("Then run `kommunebot check`, `kommunebot train` and `kommunebot eval`.")


@click.group("municipality")
def municipality() -> None:
    """Municipality overlays."""


@municipality.command("new")
@click.argument("name")
@click.option("--title", "display", required=True, help="e.g. 'Odense Kommune'")
@click.option("--website", required=True, help="e.g. https://www.odense.dk")
@ROOT_OPTION
def municipality_new(name: str, display: str, website: str, root: Path) -> None:
    """Scaffold a municipality overlay; unverified values stay null."""
    try:
        paths = new_municipality(root, name, display, website)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Created municipality '{name}'. Fill in the TODOs and cite a source for every value:")
    _created(root, paths)


@click.command("check")
@click.option("--skip-rasa", is_flag=True, help="leave out Rasa's own `data validate` (faster)")
@ROOT_OPTION
def check(skip_rasa: bool, root: Path) -> None:
    """Check all content: knowledge, training data, domain and test stories."""
    problems = check_content(root, with_rasa=not skip_rasa)
    if problems:
        _report(problems)
    click.echo("All content is fine.")


@click.command("build")
@ROOT_OPTION
def build(root: Path) -> None:
    """Validate knowledge/ and compile it into build/knowledge.db."""
    from bot.knowledge.cli import main as knowledge_main

    code = knowledge_main(["build", "--source", str(root / "knowledge"), "--output", str(root / "build" / "knowledge.db")])
    sys.exit(code)


def training_fingerprint(root: Path) -> str:
    """What a trained model depends on: config, domain, data and the spaCy folder."""
    digest = hashlib.sha256()
    files = [root / "config.yml", root / "domain.yml", *sorted((root / "data").rglob("*.yml")),
             *sorted((root / "build" / "spacy-da").rglob("*"))]
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@click.command("train")
@click.option("--force", is_flag=True, help="train even when nothing changed")
@ROOT_OPTION
def train(force: bool, root: Path) -> None:
    """Train the model when content changed; reports the time it took."""
    problems = check_content(root, with_rasa=False)
    if problems:
        _report(problems)
    fingerprint = training_fingerprint(root)
    stored = root / FINGERPRINT
    if not force and (root / MODEL).is_file() and stored.is_file() and stored.read_text() == fingerprint:
        click.echo(f"Nothing changed since the last training; {MODEL} is up to date.")
        return
    rasa = Path(sys.executable).parent / "rasa"
    started = time.monotonic()
    result = subprocess.run([str(rasa), "train", "--fixed-model-name", "kommunebot", "--out", "models", "--force"],
                            cwd=root)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        click.echo(f"error: training failed after {seconds:.1f} s (rasa exit code {result.returncode})", err=True)
        sys.exit(1)
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text(fingerprint)
    click.echo(f"Trained {MODEL} in {seconds:.1f} s.")


@click.command("eval")
@click.option("--out", type=click.Path(path_type=Path), default=Path("results") / "eval",
              help="folder for report.txt, report.json and confusion.png")
@ROOT_OPTION
def evaluate(out: Path, root: Path) -> None:
    """Blind test on tests/nlu_heldout/: per-intent precision, recall and F1,
    a confusion matrix and every misclassified example with its confidence."""
    from bot.content.evaluation import run_evaluation

    out = out if out.is_absolute() else root / out
    try:
        report = run_evaluation(root, out)
    except (RuntimeError, TimeoutError, FileNotFoundError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(report["text"])
    click.echo(f"\nReport: {out / 'report.txt'}; confusion matrix: {out / 'confusion.png'}")
    (out / "report.json").write_text(json.dumps(report["data"], ensure_ascii=False, indent=2))


def register(group: click.Group) -> None:
    for command in (topic, municipality, check, build, train, evaluate):
        group.add_command(command)
