"""knowledge/callback_guidance.yml (issue 28 item 2): suggested next steps
per callback category and errand, validated like every knowledge file,
compiled into the knowledge base and shown on the callback page."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.chat.sensitive import DETECTOR_CATEGORIES
from bot.cli import main as cli
from bot.console.summary import next_steps
from bot.content.check import check
from bot.knowledge.build import build_database
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import BUILT_IN_CATEGORIES, CASE_CATEGORY
from bot.knowledge.problems import KnowledgeError
from bot.knowledge.store import open_knowledge
from tests.conftest import copy_content
from tests.support.knowledge_copy import edit


def test_every_category_a_callback_can_carry_and_every_errand_has_guidance(knowledge):
    guidance = knowledge.guidance
    assert set(guidance.categories) == {*knowledge.sensitive, *BUILT_IN_CATEGORIES}
    assert set(guidance.errands) == set(knowledge.topics)
    assert set(DETECTOR_CATEGORIES) <= set(BUILT_IN_CATEGORIES)  # the detector's keys are the ones checked
    assert any("§ 81" in line for line in guidance.categories["economy"])
    assert any("Begravelseshjælp" in line for line in guidance.categories["bereavement"])


def test_guidance_survives_the_build(knowledge, tmp_path):
    read = open_knowledge(build_database(knowledge, tmp_path / "knowledge.db")).guidance
    assert read == knowledge.guidance


def test_an_unknown_category_names_file_field_and_line(kdir):
    edit(kdir / "callback_guidance.yml", "  bereavement:\n", "  beravement:\n")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kdir)
    found = [p for p in info.value.problems if p.file.endswith("callback_guidance.yml")]
    assert [(p.field, p.line > 0) for p in found] == [("categories.beravement", True)], found
    assert "unknown category 'beravement'" in found[0].message


@pytest.mark.parametrize(
    "old,new,field,message",
    [
        ("errands:\n  affald:\n", "errands:\n  affaldd:\n", "errands.affaldd", "unknown errand"),
        ("  cpr:\n    - Borgeren", "  cpr:\n    - 42\n    - Borgeren", "categories.cpr[0]", "non-empty text"),
        ("  cpr:\n", "  cpr: Ring\n  cpr_old:\n", "categories.cpr", "must be a list"),
        ("errands:\n", "errand:\n  pas: [x]\nerrands:\n", "errand", "unknown field"),
        ("  cpr:\n    - Borgeren", "  cpr:\n    - " + "x" * 301 + "\n    - Borgeren", "categories.cpr[0]", "too long"),
    ],
)
def test_guidance_problems_name_file_field_and_line(kdir, old, new, field, message):
    edit(kdir / "callback_guidance.yml", old, new)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kdir)
    found = [p for p in info.value.problems if p.file.endswith("callback_guidance.yml")]
    assert any(p.field == field and message in p.message and p.line for p in found), found


def test_kommunebot_check_reports_an_unknown_category(tmp_path):
    root = copy_content(tmp_path)
    edit(root / "knowledge" / "callback_guidance.yml", "  economy:\n", "  oekonomi:\n")
    problems = [str(p) for p in check(root, with_rasa=False)]
    assert any("callback_guidance.yml" in p and "categories.oekonomi" in p for p in problems), problems
    result = CliRunner().invoke(cli, ["check", "--skip-rasa", "--root", str(root)])
    assert result.exit_code != 0 and "oekonomi" in result.output


def test_next_steps_for_a_case_give_the_errand_first(knowledge):
    guidance = knowledge.guidance
    case = next_steps(guidance, CASE_CATEGORY, "boligstoette")
    assert case == (*guidance.errands["boligstoette"], *guidance.categories[CASE_CATEGORY])
    # A callback booked from an errand's callback situation has no category: the errand's lines.
    assert next_steps(guidance, None, "pas") == guidance.errands["pas"]
    # A sensitive category stands on its own: a leftover topic adds nothing.
    assert next_steps(guidance, "bereavement", "sundhedskort") == guidance.categories["bereavement"]
    assert next_steps(guidance, "no-such-category", None) == ()
