"""The editors' content commands: `topic new`, `municipality new`, `check`,
`build` (the knowledge base) and `spacy` (the Danish lemma folder)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.common import ROOT_OPTION, current_settings, exit_with_problems
from bot.content.check import check as check_content
from bot.content.heldout import MIN_ERRAND_MESSAGES, messages_file
from bot.content.scaffold import ScaffoldError, new_municipality, new_topic

ALL_FINE = "Alt indhold er i orden."


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
    """Scaffold everything one errand needs, with UDFYLD markers to fill in."""
    try:
        paths = new_topic(root, name, title)
    except ScaffoldError as exc:
        # The editor reads Danish; the reason names the field in English, as the logs do.
        click.echo(f"fejl: ærindet blev ikke oprettet ({exc})", err=True)
        sys.exit(2)
    click.echo(f"Ærindet '{name}' er oprettet. Udfyld alle steder, der står UDFYLD, i:")
    _created(root, paths)
    heldout = messages_file(root, name.strip().lower()).relative_to(root)
    click.echo(
        f"Skriv mindst {MIN_ERRAND_MESSAGES} sætninger til blindtesten i {heldout}.\n"
        "Kør derefter `kommunebot check`, `kommunebot build`, `kommunebot train` og `kommunebot eval`."
    )


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
        click.echo(f"fejl: kommunen blev ikke oprettet ({exc})", err=True)
        sys.exit(2)
    click.echo(f"Kommunen '{name}' er oprettet. Udfyld UDFYLD-felterne, og angiv en kilde for hver værdi:")
    _created(root, paths)


@click.command("check")
@click.option("--skip-rasa", is_flag=True, help="leave out Rasa's own `data validate` (faster)")
@ROOT_OPTION
def check(skip_rasa: bool, root: Path) -> None:
    """Check all content: knowledge, training data, domain and test stories."""
    problems = check_content(root, with_rasa=not skip_rasa, review_days=current_settings().review_days)
    if problems:
        exit_with_problems(problems)
    click.echo(ALL_FINE)


@click.command("build")
@ROOT_OPTION
def build(root: Path) -> None:
    """Validate knowledge/ and compile it into build/knowledge.db."""
    from bot.knowledge.build import build_database
    from bot.knowledge.loader import load_knowledge
    from bot.knowledge.problems import KnowledgeError

    output = root / "build" / "knowledge.db"
    try:
        knowledge = load_knowledge(root / "knowledge")
    except KnowledgeError as exc:
        click.echo(f"error: the knowledge base has {len(exc.problems)} problem(s):", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    build_database(knowledge, output)
    answers = sum(len(t.answers) for t in knowledge.topics.values())
    click.echo(
        f"Knowledge base written to {output}: {len(knowledge.topics)} topics, "
        f"{answers} answers, {len(knowledge.municipalities)} municipalities"
    )
    for m in knowledge.municipalities.values():
        if m.unverified:
            click.echo(f"note: {m.key}: unverified or incomplete: {', '.join(m.unverified)}")


@click.command("spacy")
@ROOT_OPTION
def spacy_pipeline(root: Path) -> None:
    """Build the blank Danish spaCy pipeline with lookup lemmas (build/spacy-da).

    The same lemmas go there as SQLite too (lemmas.sqlite), which both
    servers read instead of loading spaCy: the Rasa pipeline's tokenizer
    and the action server's keyword matching."""
    from bot.ops.spacy_pipeline import write_pipeline

    output = root / "build" / "spacy-da"
    try:
        write_pipeline(output)
    except RuntimeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Danish spaCy pipeline written to {output}")


COMMANDS = (topic, municipality, check, build, spacy_pipeline)
