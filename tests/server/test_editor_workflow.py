"""The editor's whole path, with the real tools: scaffold an errand, see
`check` refuse the TODOs, fill them in, pass `check`, train a real model,
and talk to the new errand through the real Rasa and action servers.

It trains a model (about three minutes), so it runs once, on a copy of
the content; the training time is written to results/editor_workflow.json."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from click.testing import CliRunner

from bot.cli import main as cli
from bot.ops.http import free_port
from bot.settings import DEFAULT_MODEL, PROJECT_ROOT
from tests.conftest import copy_content

PLACES = (
    "foran mit hus",
    "i min gade",
    "i centrum",
    "ved stationen",
    "i boligområdet",
    "hos min kæreste",
    "til min firmabil",
    "til min campingvogn",
)
ASKS = (
    "hvordan får jeg en beboerlicens",
    "kan jeg søge om p-tilladelse",
    "hvad koster en parkeringslicens",
    "jeg skal have beboerparkering",
    "hvor ansøger man om parkeringstilladelse",
    "må jeg få en p-licens",
    "jeg vil søge parkeringslicens",
    "beboerlicens til bilen",
)
EXAMPLES = [f"{ask} {place}" for ask in ASKS for place in PLACES]


def fill_parkering(root) -> None:
    (root / "knowledge" / "national" / "parkering.yml").write_text(
        "topic: parkering\nname: parkering\nattendance: false\n"
        "question: Hvad drejer din parkering sig om?\n"
        "assisted: >-\n  Kan du ikke søge digitalt, kan Borgerservice hjælpe dig med ansøgningen.\n"
        "situations:\n  - key: beboerlicens\n    label: Jeg vil søge beboerlicens\n"
        "    keywords: [beboerlicens, licens, tilladelse]\n"
        "answers:\n  - situation: beboerlicens\n    lead: Søg beboerlicens på kommunens hjemmeside\n"
        "    link: https://www.borger.dk\n"
        "    text: >-\n      Du søger digitalt og får svar i din digitale postkasse.\n"
        "    sources:\n      - https://www.borger.dk\n    reviewed: 2026-11-22\n",
        encoding="utf-8",
    )
    (root / "data" / "nlu" / "parkering.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: parkering\n  examples: |\n' + "".join(f"    - {e}\n" for e in EXAMPLES),
        encoding="utf-8",
    )
    for name in ("tests/stories/test_parkering.yml", "tests/nlu_heldout/parkering.yml"):
        path = root / name
        path.write_text(re.sub(r"TODO: .*", "hvordan søger jeg beboerlicens til min bil", path.read_text()))


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    root = copy_content(tmp_path_factory.mktemp("editor"))
    # config.yml loads the Danish spaCy folder by a path relative to the project.
    (root / "build").mkdir()
    (root / "build" / "spacy-da").symlink_to(PROJECT_ROOT / "build" / "spacy-da")
    return root


def test_editor_adds_an_errand_and_talks_to_it(content):
    runner = CliRunner()
    root = ["--root", str(content)]
    assert runner.invoke(cli, ["topic", "new", "parkering", *root]).exit_code == 0

    refused = runner.invoke(cli, ["check", "--skip-rasa", *root])
    assert refused.exit_code == 1
    assert re.search(r"knowledge/national/parkering\.yml:\d+: unfinished", refused.output)
    assert re.search(r"data/nlu/parkering\.yml:\d+: unfinished", refused.output)

    fill_parkering(content)
    passed = runner.invoke(cli, ["check", *root])  # with Rasa's own data validation
    assert passed.exit_code == 0, passed.output

    trained = runner.invoke(cli, ["train", *root])
    assert trained.exit_code == 0, trained.output
    seconds = float(re.search(r"Trained \S+ in ([\d.]+) s", trained.output).group(1))
    (PROJECT_ROOT / "results").mkdir(exist_ok=True)
    (PROJECT_ROOT / "results" / "editor_workflow.json").write_text(
        json.dumps({"training_seconds_after_one_new_errand": seconds}, indent=2)
    )
    assert "Nothing changed" in runner.invoke(cli, ["train", *root]).output
    assert runner.invoke(cli, ["build", *root]).exit_code == 0

    from bot.ops.processes import Stack

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
        _, reply = stack.send(f"editor-{uuid.uuid4().hex[:8]}", "hvordan søger jeg beboerlicens til min bil")
        text = "\n".join(m.get("text", "") for m in reply)
        assert "Søg beboerlicens på kommunens hjemmeside" in text, text

        _, parsed = stack.api("/model/parse", {"text": "kan jeg få p-tilladelse til min bil"})
        assert parsed["intent"]["name"] == "parkering"
    finally:
        stack.stop()
