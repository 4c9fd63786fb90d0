"""The editor guide's worked example, fast: the steps up to a passing
`kommunebot check`, read from docs/editor-guide.md and run on a copy of
today's content (training, evaluation and the chat are in
tests/process/test_editor_workflow.py). And the guide, the scaffold and
`check` state one rule for the held-out sentences."""

from __future__ import annotations

import re

from bot.content.heldout import MIN_ERRAND_MESSAGES, OPEN, load_messages, messages_file
from bot.settings import PROJECT_ROOT
from tests.conftest import copy_content
from tests.support import editor_guide

GUIDE_TEXT = (PROJECT_ROOT / "docs" / "editor-guide.md").read_text(encoding="utf-8")


def test_the_worked_example_runs_as_written_up_to_a_clean_check(tmp_path):
    root = copy_content(tmp_path)
    section, blocks = editor_guide.worked_example()
    key = editor_guide.topic_key(blocks)
    assert not (PROJECT_ROOT / "knowledge" / "national" / f"{key}.yml").exists(), "the example must be a new errand"
    ran = list(editor_guide.run(root, blocks, skip=("build", "train", "eval"), rasa_check=False))
    assert [line for line, _ in ran] == [f"kommunebot topic new {key}", "kommunebot check", "kommunebot check"]
    assert ran[-1][1].output == "Alt indhold er i orden.\n"
    assert "`Alt indhold er i orden.`" in section
    written = [m for m in load_messages(root / OPEN, None) if m["intent"] == key]
    assert len(written) >= MIN_ERRAND_MESSAGES


def test_guide_scaffold_and_check_agree_on_the_held_out_sentences(tmp_path):
    root = copy_content(tmp_path)
    from click.testing import CliRunner

    from bot.cli import main as cli

    made = CliRunner().invoke(cli, ["topic", "new", "fiskekort", "--root", str(root)])
    scaffold = messages_file(root, "fiskekort").read_text(encoding="utf-8")
    folder = str(OPEN / "messages")
    # Where: the folder the default `kommunebot eval` reads, named alike everywhere.
    assert f"{folder}/fiskekort.yml" in made.output
    assert f"`{folder}/<emne>.yml`" in GUIDE_TEXT
    # How many: the same number in the guide, the scaffold and the check.
    assert f"mindst {MIN_ERRAND_MESSAGES} NYE sætninger" in scaffold
    assert scaffold.count("  - text: ") == MIN_ERRAND_MESSAGES
    assert f"Skriv mindst {MIN_ERRAND_MESSAGES} sætninger til blindtesten" in made.output
    counts = set(re.findall(r"mindst (\d+) (?:nye )?sætninger til blindtesten", GUIDE_TEXT))
    assert counts == {str(MIN_ERRAND_MESSAGES)}, counts
    assert f"færre end {MIN_ERRAND_MESSAGES}" in GUIDE_TEXT
