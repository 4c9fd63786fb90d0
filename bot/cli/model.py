"""The model: `train` (only when its fingerprint changed) and `eval` (the
held-out sets through the real servers)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.common import ROOT_OPTION, current_settings, exit_with_problems
from bot.content.check import check as check_content
from bot.ops.training import TrainingFailed, model_for
from bot.ops.training import train as train_model


def _model(root: Path) -> Path:
    return model_for(root, current_settings().model)


@click.command("train")
@click.option("--force", is_flag=True, help="train even when nothing changed")
@ROOT_OPTION
def train(force: bool, root: Path) -> None:
    """Train the model when content changed; reports the time it took."""
    problems = check_content(root, with_rasa=False)
    if problems:
        exit_with_problems(problems)
    try:
        training = train_model(root, _model(root), force)
    except TrainingFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if training.seconds is None:
        click.echo(f"Nothing changed since the last training; {training.model} is up to date.")
    else:
        click.echo(f"Trained {training.model} in {training.seconds:.1f} s.")


@click.command("eval")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results") / "eval",
    show_default=True,
    help="folder for the reports (heldout-open.txt/.json; report.txt and confusion.png for the messages written "
    "beside the training data)",
)
@click.option(
    "--messages",
    "parts",
    flag_value="messages",
    multiple=True,
    help="evaluate held-out messages: the NLU's intents, and the first reply of a fresh conversation per message",
)
@click.option(
    "--sensitive", "parts", flag_value="sensitive", multiple=True, help="evaluate personal versus plain matters"
)
@click.option(
    "--conversations",
    "parts",
    flag_value="conversations",
    multiple=True,
    help="run the held-out conversations through the real servers; pass rate per kind",
)
@click.option(
    "--search",
    "parts",
    flag_value="search",
    multiple=True,
    help='the search fallback ("Mente du …?"): near questions, nonsense and unrelated questions',
)
@click.option(
    "--cases",
    "parts",
    flag_value="cases",
    multiple=True,
    help="case matters (callback rate), sensitive matters per kind (recall) and plain questions that mention "
    "money, age, health or a relative (false escalation)",
)
@click.option("--sealed", is_flag=True, help="use the sealed set (tests/heldout/sealed/); run it only at the end")
@click.option(
    "--baseline", is_flag=True, help="also train Rasa's default pipeline on the same data and compare the messages"
)
@ROOT_OPTION
def evaluate(out: Path, parts: tuple[str, ...], sealed: bool, baseline: bool, root: Path) -> None:
    """Held-out evaluation through the real Rasa and action servers: intent
    F1 per errand (and against Rasa's default pipeline with --baseline),
    false escalation and recall for personal matters, and the channel of
    every reply in the held-out conversations, the search fallback's
    suggestions, and case matters, sensitive kinds and plain questions
    that mention money, age, health or a relative (cases.yml). Without
    --messages, --sensitive, --conversations, --search or --cases, all
    five run. Messages and sensitive matters written beside
    the training data are reported on their own.

    The open set is tests/heldout/open/ (its layout in
    tests/heldout/README.md); the search fallback runs in process, without
    servers."""
    from bot.content.heldout import HeldOutError
    from bot.ops import evaluate as runner

    out = out if out.is_absolute() else root / out
    model = _model(root)
    if not model.is_file():
        click.echo(f"error: {model}: no trained model; run `kommunebot train` first", err=True)
        sys.exit(1)
    chosen = set(parts) or set(runner.PARTS)
    if baseline:
        chosen.add("messages")
    try:
        report = runner.run(root, out, model, chosen, sealed, baseline)
        click.echo(report["text"])
    except (HeldOutError, RuntimeError, TimeoutError, FileNotFoundError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    label = "sealed" if sealed else "open"
    click.echo(f"\nReport: {out / f'heldout-{label}.txt'} and .json")


COMMANDS = (train, evaluate)
