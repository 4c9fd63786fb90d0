"""The editor's whole path, with the real tools: scaffold an errand, see
`check` refuse the TODOs, fill them in, pass `check`, train a real model,
and talk to the new errand through the real Rasa and action servers.

It trains a model (about three minutes), so it runs once, on a copy of
the content; the training time is written to results/editor_workflow.json."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from bot.cli import main as cli
from bot.content.heldout import messages_file
from bot.ops.http import free_port
from bot.settings import DEFAULT_MODEL, PROJECT_ROOT
from tests.conftest import copy_content
from tests.support.senders import sender_id

PLACES = (
    "til efteråret",
    "i år",
    "for første gang",
    "som pensionist",
    "til min søn",
    "til jagt på harer",
    "til bukkejagten",
    "før sæsonen",
)
ASKS = (
    "hvordan får jeg et jagttegn",
    "kan jeg forny mit jagttegn",
    "hvad koster jagttegnet",
    "jeg skal have jagttegn",
    "hvor betaler man jagttegn",
    "må jeg gå på jagt uden jagttegn",
    "jeg vil løse jagttegn",
    "jagttegn til jagten",
)
EXAMPLES = [f"{ask} {place}" for ask in ASKS for place in PLACES]


OWN_CASES = [
    "jeg har betalt jagttegnsafgiften to gange i år",
    "mit jagttegn er ikke kommet selvom jeg betalte i marts",
    "politiet har inddraget mit jagttegn og jeg forstår ikke hvorfor",
    "jeg fik afslag på at gå op til jægerprøven igen",
    "min far har fået en bøde for at jage uden gyldigt tegn men han havde betalt",
    "I charged me twice for my hunting licence fee",
    "naturstyrelsen har spærret mit jagttegn, det må være en fejl",
    "jeg har ventet ti uger på svar om refusion af jagttegnsafgiften",
    "de vil ikke udstede jagttegn til min søn selvom han bestod prøven",
    "hvorfor har jeg fået en opkrævning på et jagttegn jeg har opsagt",
]


def fill_jagttegn(root) -> None:
    (root / "knowledge" / "national" / "jagttegn.yml").write_text(
        "topic: jagttegn\nname: jagttegn\nattendance: false\n"
        "question: Hvad drejer dit jagttegn sig om?\n"
        "assisted: >-\n  Kan du ikke betale digitalt, kan Borgerservice hjælpe dig.\n"
        "situations:\n  - key: loese\n    label: Jeg vil løse jagttegn\n    channel: selfservice\n"
        "    keywords: [løse, forny, betale]\n"
        "answers:\n  - situation: loese\n    lead: Løs jagttegn digitalt\n"
        "    link: https://www.borger.dk/fritid-kultur-og-sport/jagt/jagttegn\n"
        "    text: >-\n      Du betaler digitalt og får jagttegnet i din digitale postkasse.\n"
        "    sources:\n      - https://www.borger.dk\n    reviewed: 2026-12-02\n",
        encoding="utf-8",
    )
    (root / "data" / "nlu" / "jagttegn.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: jagttegn\n  examples: |\n'
        + "".join(f"    - {e}\n" for e in EXAMPLES)
        # The citizen's own case about it, which the case model learns.
        + "- intent: jagttegn\n  metadata:\n    case: true\n  examples: |\n"
        + "".join(f"    - {e}\n" for e in OWN_CASES),
        encoding="utf-8",
    )
    # What the editor does next: the old out_of_scope examples about it go.
    out_of_scope = root / "data" / "nlu" / "out_of_scope.yml"
    lines = out_of_scope.read_text(encoding="utf-8").splitlines(keepends=True)
    out_of_scope.write_text("".join(line for line in lines if "jagttegn" not in line), encoding="utf-8")
    for path in (root / "tests" / "stories" / "test_jagttegn.yml", messages_file(root, "jagttegn")):
        path.write_text(re.sub(r"TODO: [^\"]*", "hvordan løser jeg jagttegn i år", path.read_text()))


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
    assert runner.invoke(cli, ["topic", "new", "jagttegn", *root]).exit_code == 0

    refused = runner.invoke(cli, ["check", "--skip-rasa", *root])
    assert refused.exit_code == 1
    assert re.search(r"knowledge/national/jagttegn\.yml:\d+: unfinished", refused.output)
    assert re.search(r"data/nlu/jagttegn\.yml:\d+: unfinished", refused.output)

    fill_jagttegn(content)
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
        _, reply = stack.send(sender_id("editor", 8), "hvordan løser jeg jagttegn i år")
        text = "\n".join(m.get("text", "") for m in reply)
        assert "Løs jagttegn digitalt" in text, text

        _, parsed = stack.api("/model/parse", {"text": "skal min datter have jagttegn for at gå på jagt"})
        assert parsed["intent"]["name"] == "jagttegn"
    finally:
        stack.stop()
