"""The editor's whole path as docs/editor-guide.md's worked example writes
it, with the real tools: the guide's own commands and files, read from its
code blocks (tests/support/editor_guide.py), run on a copy of the content:
scaffold an errand, see `check` refuse the markers with the output the
guide shows, write the files, pass `check` with Rasa's own validation,
build, train a real model, evaluate the held-out messages, and say the
guide's sentence to the new errand through the real Rasa and action servers.

It trains a model (about two minutes), so it runs once; the training time
and the new errand's F1 go to results/editor_workflow.json."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from bot.cli import main as cli
from bot.ops.http import free_port
from bot.settings import DEFAULT_MODEL, PROJECT_ROOT
from tests.conftest import copy_content
from tests.support import editor_guide
from tests.support.senders import sender_id


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    root = copy_content(tmp_path_factory.mktemp("editor"))
    # config.yml loads the Danish spaCy folder by a path relative to the project.
    (root / "build").mkdir()
    (root / "build" / "spacy-da").symlink_to(PROJECT_ROOT / "build" / "spacy-da")
    return root


def test_editor_follows_the_guide_and_talks_to_the_new_errand(content):
    _, blocks = editor_guide.worked_example()
    key = editor_guide.topic_key(blocks)
    outputs = dict(editor_guide.run(content, blocks))
    assert outputs["kommunebot check"].output.endswith("Alt indhold er i orden.\n")

    seconds = float(re.search(r"Trained \S+ in ([\d.]+) s", outputs["kommunebot train"].output).group(1))
    report = outputs["kommunebot eval --messages"].output
    row = re.search(rf"^\s*{key}\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", report, re.M)
    assert row, report
    (PROJECT_ROOT / "results").mkdir(exist_ok=True)
    (PROJECT_ROOT / "results" / "editor_workflow.json").write_text(
        json.dumps(
            {"errand": key, "training_seconds_after_one_new_errand": seconds, "eval_row_for_the_errand": row.group(0)},
            indent=2,
        )
    )
    assert "Nothing changed" in CliRunner().invoke(cli, ["train", "--root", str(content)]).output

    from bot.ops.processes import Stack

    citizen = next(b.body.strip() for b in blocks if b.lang == "text" and b.info == "borger")
    knowledge = next(b.body for b in blocks if b.info == f"fil=knowledge/national/{key}.yml")
    lead = re.search(r"lead: (.+)", knowledge).group(1).strip()
    var = content / "var"
    env = {
        "KOMMUNEBOT_TRACKER_URL": f"sqlite:///{var / 'tracker.db'}",
        "KOMMUNEBOT_DATA_DB": str(var / "kommunebot.db"),
        "KOMMUNEBOT_KNOWLEDGE_DB": str(content / "build" / "knowledge.db"),
        "KOMMUNEBOT_MUNICIPALITY": "nyborg",
    }
    stack = Stack(free_port(), free_port(), env=env, log_dir=var / "logs", model=content / DEFAULT_MODEL)
    try:
        stack.start()
        _, reply = stack.send(sender_id("editor", 8), citizen)
        text = "\n".join(m.get("text", "") for m in reply)
        assert lead in text, text
        _, parsed = stack.api("/model/parse", {"text": citizen})
        assert parsed["intent"]["name"] == key
    finally:
        stack.stop()
