"""`kommunebot check` and the scaffolds: every kind of content mistake is
caught with its file and line, and a scaffolded errand passes once filled."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main as cli
from bot.content.check import check
from bot.content.heldout import BESIDE_TRAINING, OPEN, load_messages, messages_file
from tests.conftest import copy_content


@pytest.fixture
def root(tmp_path):
    """A copy of the repository's content to break on purpose."""
    return copy_content(tmp_path)


def problems(root) -> list[str]:
    return [str(p) for p in check(root, with_rasa=False)]


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_the_repository_content_passes(root):
    assert problems(root) == []


FISKEKORT_EXAMPLES = [
    f"{start} {end}"
    for start in (
        "hvordan køber jeg fiskekort",
        "skal jeg have fiskekort",
        "hvad koster et fiskekort",
        "fisketegn",
        "jeg vil gerne fiske",
        "må min søn fiske uden fiskekort",
        "hvor længe gælder et fisketegn",
        "kan jeg fornye mit lystfiskertegn",
    )
    for end in (
        "i åen",
        "ved kysten",
        "i sommerferien",
        "som pensionist",
        "for en uge",
        "i søen",
        "fra båd",
        "med stang",
    )
]


FISKEKORT_CASES = [
    "jeg har betalt for fisketegn to gange",
    "mit fisketegn er ikke kommet selvom jeg betalte i maj",
    "jeg fik en bøde for at fiske uden tegn men jeg havde købt det",
    "de vil ikke refundere mit årstegn",
    "min far har fået afslag på gratis fisketegn som pensionist",
    "I have paid for a fishing licence that never arrived",
    "jeg vil klage over bøden ved søen",
    "kontrollen tog min stang og jeg har ikke fået den igen",
    "jeg har ventet 8 uger på svar om refusion af fisketegnet",
    "hvorfor har jeg fået en regning på et fisketegn jeg ikke har købt",
]


def fill_fiskekort(root: Path) -> None:
    knowledge = root / "knowledge" / "national" / "fiskekort.yml"
    knowledge.write_text(
        "topic: fiskekort\nname: fiskekort\nattendance: false\nquestion: Hvad drejer det sig om?\n"
        "assisted: >-\n  Kan du ikke købe fisketegn digitalt, kan Borgerservice hjælpe dig.\n"
        "situations:\n  - key: generelt\n    label: Jeg vil købe fisketegn\n    channel: selfservice\n"
        "    keywords: [fisketegn, fiskekort]\n"
        "answers:\n  - situation: generelt\n    lead: Køb fisketegn på borger.dk\n    link: https://www.borger.dk/fritid-kultur-og-sport/fiskeri/fisketegn\n"
        "    text: >-\n      Du køber fisketegnet digitalt og får det med det samme.\n"
        "    sources:\n      - https://www.borger.dk\n    reviewed: 2026-11-22\n",
        encoding="utf-8",
    )
    (root / "data" / "nlu" / "fiskekort.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: fiskekort\n  examples: |\n'
        + "".join(f"    - {e}\n" for e in FISKEKORT_EXAMPLES)
        + "- intent: fiskekort\n  metadata:\n    case: true\n  examples: |\n"
        + "".join(f"    - {e}\n" for e in FISKEKORT_CASES),
        encoding="utf-8",
    )
    story = root / "tests" / "stories" / "test_fiskekort.yml"
    story.write_text(re.sub(r"UDFYLD: .*", "jeg skal købe fiskekort", story.read_text(encoding="utf-8")))
    heldout = messages_file(root, "fiskekort")
    texts = iter(FISKEKORT_HELDOUT)
    heldout.write_text(re.sub(r"UDFYLD: [^\"]*", lambda _: next(texts), heldout.read_text(encoding="utf-8")))


FISKEKORT_HELDOUT = [
    f"hvor får man et lystfiskertegn {where}"
    for where in (
        "til havet",
        "til åen",
        "i ferien",
        "til barnebarnet",
        "til sommer",
        "som turist",
        "på nettet",
        "uden mitid",
        "for en dag",
        "til kysten",
    )
]


def test_scaffold_refused_until_filled_then_passes(root):
    result = CliRunner().invoke(cli, ["topic", "new", "fiskekort", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "- fiskekort" in (root / "domain.yml").read_text()
    found = problems(root)
    knowledge = root / "knowledge" / "national" / "fiskekort.yml"
    assert f"knowledge/national/fiskekort.yml:{line_of(knowledge, 'question:')}: ikke udfyldt: question:" in "\n".join(
        found
    )
    assert any(p.startswith("data/nlu/fiskekort.yml:") and "ikke udfyldt" in p for p in found)
    assert any(p.startswith("tests/stories/test_fiskekort.yml:") for p in found)
    assert any(p.startswith("tests/heldout/open/messages/fiskekort.yml:") and "ikke udfyldt" in p for p in found)
    assert any("intents.fiskekort: has 2 training examples" in p and "at least 60" in p for p in found)
    assert any("intents.fiskekort: has 1 examples of citizens' own cases" in p for p in found)
    check_run = CliRunner().invoke(cli, ["check", "--skip-rasa", "--root", str(root)])
    assert check_run.exit_code == 1 and "problemer: ret dem, og kør `kommunebot check` igen." in check_run.output

    fill_fiskekort(root)
    assert problems(root) == []
    assert CliRunner().invoke(cli, ["check", "--skip-rasa", "--root", str(root)]).exit_code == 0
    # The editor's held-out sentences are read by the default evaluation,
    # on their own since they were written beside the training data.
    written = [m for m in load_messages(root / OPEN, BESIDE_TRAINING) if m["intent"] == "fiskekort"]
    assert [m["text"] for m in written] == FISKEKORT_HELDOUT


def test_scaffold_is_all_or_nothing(root):
    (root / "data" / "rules" / "fiskekort.yml").write_text("# an editor's own file\n")
    domain = (root / "domain.yml").read_text()
    result = CliRunner().invoke(cli, ["topic", "new", "fiskekort", "--root", str(root)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert not (root / "knowledge" / "national" / "fiskekort.yml").exists()
    assert not (root / "data" / "nlu" / "fiskekort.yml").exists()
    assert (root / "domain.yml").read_text() == domain
    for bad in ("Flytning!", "x", "pas"):
        result = CliRunner().invoke(cli, ["topic", "new", bad, "--root", str(root)])
        assert result.exit_code == 2 and result.output.startswith("fejl: ærindet blev ikke oprettet (name:"), bad


def test_municipality_scaffold(root):
    result = CliRunner().invoke(
        cli,
        [
            "municipality",
            "new",
            "odense",
            "--title",
            "Odense Kommune",
            "--website",
            "https://www.odense.dk",
            "--root",
            str(root),
        ],
    )
    assert result.exit_code == 0, result.output
    found = problems(root)
    assert found and all(p.startswith("knowledge/municipalities/odense.yml:") for p in found)
    bad = CliRunner().invoke(
        cli,
        ["municipality", "new", "aarhus", "--title", "Aarhus Kommune", "--website", "aarhus.dk", "--root", str(root)],
    )
    assert bad.exit_code == 2 and "--website" in bad.output


def test_broken_yaml_names_file_and_line(root):
    path = root / "data" / "nlu" / "pas.yml"
    append(path, "- intent: pas\n  examples: [unclosed\n")
    assert any(p.startswith("data/nlu/pas.yml:") and "invalid YAML" in p for p in problems(root))


def test_too_few_examples_and_no_rule(root):
    domain = root / "domain.yml"
    domain.write_text(domain.read_text().replace("intents:\n", "intents:\n  - parkering\n", 1))
    append(root / "data" / "nlu" / "pas.yml", "- intent: parkering\n  examples: |\n    - hvor må jeg parkere\n")
    found = problems(root)
    assert "domain.yml:4: intents.parkering: has 1 training examples in data/nlu/; write at least 20" in found
    assert any(p.startswith("domain.yml:4: intents.parkering: no rule or story") for p in found)


def test_errand_without_knowledge_and_knowledge_without_intent(root):
    append(
        root / "data" / "rules" / "errands.yml",
        "  - rule: greeting answered as an errand by mistake\n    steps:\n      - intent: greet\n"
        "      - action: action_answer_errand\n",
    )
    shutil.copy(root / "knowledge" / "national" / "pas.yml", root / "knowledge" / "national" / "visum.yml")
    visum = root / "knowledge" / "national" / "visum.yml"
    visum.write_text(visum.read_text().replace("topic: pas", "topic: visum"))
    found = problems(root)
    greet_line = line_of(root / "data" / "nlu" / "chitchat.yml", "intent: greet")
    assert (
        f"data/nlu/chitchat.yml:{greet_line}: greet: errand without an entry in knowledge/national/greet.yml" in found
    )
    assert any(p.startswith("knowledge/national/visum.yml:1: topic: no intent 'visum'") for p in found)


def test_bad_link_and_overdue_review(root):
    path = root / "knowledge" / "national" / "affald.yml"
    text = path.read_text()
    first_link = re.search(r"link: (\S+)", text).group(1)
    text = text.replace(f"link: {first_link}", "link: www.ikke-et-link", 1)
    text = text.replace("reviewed: 2026-11-22", "reviewed: 2024-01-15", 1)
    path.write_text(text)
    found = problems(root)
    assert any(p.startswith(f"knowledge/national/affald.yml:{line_of(path, 'www.ikke-et-link')}:") for p in found)
    review = line_of(path, "reviewed: 2024-01-15")
    assert any(
        p.startswith(f"knowledge/national/affald.yml:{review}: reviewed: last reviewed 2024-01-15") for p in found
    )


def test_same_and_nearly_same_examples_under_two_intents(root):
    append(
        root / "data" / "nlu" / "affald.yml",
        "- intent: affald\n  examples: |\n    - hvordan fornyer jeg mit pas\n"
        "    - hvordan kan jeg forny mit gamle pas her i byen\n",
    )
    (root / "data" / "nlu" / "pas.yml").write_text(
        (root / "data" / "nlu" / "pas.yml")
        .read_text()
        .replace("examples: |\n", "examples: |\n    - hvordan kan jeg forny mit gamle pas her i kommunen\n", 1)
    )
    found = problems(root)
    affald_line = line_of(root / "data" / "nlu" / "affald.yml", "- hvordan fornyer jeg mit pas")
    assert any(
        "the same example 'hvordan fornyer jeg mit pas'" in p
        and f"data/nlu/affald.yml:{affald_line}" in p
        and re.match(r"data/nlu/pas\.yml:\d+: pas:", p)
        for p in found
    ), found
    assert any("almost the same as" in p and "the assistant will confuse them" in p for p in found), found


def test_entities_and_slots_must_be_in_the_domain(root):
    append(
        root / "data" / "nlu" / "pas.yml",
        "- intent: pas\n  examples: |\n    - mit pas fra [Tyskland](land) er udløbet\n",
    )
    append(
        root / "data" / "rules" / "errands.yml",
        "  - rule: uses a slot nobody defined\n    steps:\n      - intent: pas\n"
        "      - slot_was_set:\n          - yndlingsfarve: blå\n      - action: action_answer_errand\n",
    )
    found = problems(root)
    assert any(re.match(r"data/nlu/pas\.yml:\d+: pas: entity 'land' is not listed", p) for p in found)
    assert any(re.match(r"data/rules/errands\.yml:\d+: yndlingsfarve: slot is not defined", p) for p in found)


def test_intent_in_training_data_but_not_in_domain(root):
    append(root / "data" / "nlu" / "pas.yml", "- intent: visum\n  examples: |\n    - skal jeg have visum\n")
    line = line_of(root / "data" / "nlu" / "pas.yml", "intent: visum")
    assert f"data/nlu/pas.yml:{line}: visum: this intent is not listed under 'intents:' in domain.yml" in problems(root)


def test_a_word_mapped_to_two_values(root):
    nlu = root / "data" / "nlu"
    append(nlu / "synonyms.yml", "- synonym: bortkommet\n  examples: |\n    - væk\n")
    # An annotation without a value of its own maps the word to itself.
    affald = nlu / "affald.yml"
    affald.write_text(
        affald.read_text().replace("examples: |\n", 'examples: |\n    - spanden er [tabt]{"entity": "situation"}\n', 1)
    )
    found = problems(root)
    synonym_line = len((nlu / "synonyms.yml").read_text().splitlines())
    assert (
        f"data/nlu/synonyms.yml:{synonym_line}: synonym bortkommet: 'væk' is mapped to 'bortkommet' here "
        f"but to 'mistet' in data/nlu/koerekort.yml:{line_of(nlu / 'koerekort.yml', '[væk]')}; Rasa gives a word "
        "one value for every topic, so choose one topic-neutral value and list it in the situation keywords "
        "in knowledge/national/"
    ) in found
    assert any(
        p.startswith(
            f"data/nlu/affald.yml:{line_of(affald, '[tabt]')}: affald: 'tabt' is mapped to 'tabt' here but to "
            f"'mistet' in data/nlu/koerekort.yml:{line_of(nlu / 'koerekort.yml', '[tabt]')};"
        )
        for p in found
    ), found


def test_a_situation_value_its_topic_does_not_know(root):
    path = root / "data" / "nlu" / "pas.yml"
    append(path, '- intent: pas\n  examples: |\n    - mit pas er [ødelagt]{"entity": "situation"}\n')
    line = line_of(path, "mit pas er [ødelagt]")
    assert (
        f"data/nlu/pas.yml:{line}: pas: 'ødelagt' gives situation 'ødelagt', which is neither a situation nor "
        "a keyword in knowledge/national/pas.yml; add it to the keywords of the situation it means"
    ) in problems(root)


def test_a_block_situation_its_errand_does_not_know(root):
    """`metadata: {situation: <key>}` names the situation of every example in
    the block; a key the errand lacks would teach the situation model nothing."""
    path = root / "data" / "nlu" / "pas.yml"
    append(
        path,
        "- intent: pas\n  metadata:\n    situation: fornyelse\n  examples: |\n"
        "    - vi skal til Thailand til februar og datterens pas udløber i januar\n"
        "- intent: pas\n  metadata:\n    situation: ødelagt\n  examples: |\n"
        "    - passet har været i vaskemaskinen\n",
    )
    found = problems(root)
    line = line_of(path, "passet har været i vaskemaskinen")
    assert any(
        p.startswith(
            f"data/nlu/pas.yml:{line}: pas.metadata.situation: 'ødelagt' is not a situation of 'pas' "
            "(knowledge/national/pas.yml: fornyelse, "
        )
        for p in found
    ), found
    assert not any("'fornyelse' is not a situation" in p or "pas.metadata: expected" in p for p in found), found


def test_too_few_own_cases_and_a_mistyped_case_mark(root):
    cases = root / "data" / "nlu" / "cases.yml"
    text = cases.read_text(encoding="utf-8")
    # Every pas block's mark mistyped (the file has more than one block per
    # errand): Rasa would train on them silently, and their examples would
    # teach the case model nothing.
    text, mistyped = re.subn(r"(- intent: pas\n  metadata:\n)    case: true", r"\1    case: yes", text)
    assert mistyped >= 1
    cases.write_text(text, encoding="utf-8")
    found = problems(root)
    line = line_of(cases, "case: yes") - 1
    assert f"data/nlu/cases.yml:{line}: pas.metadata: expected 'case: true'" in "\n".join(found)
    assert any("intents.pas: has 0 examples of citizens' own cases" in p for p in found)


def test_a_bare_front_page_is_refused_as_an_answer_link(root):
    """Issue 26: 29 of 73 answer links were https://www.borger.dk itself."""
    path = root / "knowledge" / "national" / "pas.yml"
    text = path.read_text(encoding="utf-8")
    deep = "https://www.borger.dk/transport-trafik-rejser/Pas/Ansoeg-om-eller-forny-dansk-pas"
    path.write_text(
        text.replace(f"  link: {deep}", "  link: https://www.borger.dk/", 1).replace(
            f"    link: {deep}\n    text: >-\n      Er passet",
            "    link: https://politi.dk\n    text: >-\n      Er passet",
            1,
        ),
        encoding="utf-8",
    )
    found = [p for p in problems(root) if "front page" in p]
    general = line_of(path, "  link: https://www.borger.dk/")
    assert any(
        p.startswith(f"knowledge/national/pas.yml:{general}: general.link: https://www.borger.dk/ is a") for p in found
    )
    # Any site's root, named with its situation.
    assert any("answers[2].link: https://politi.dk is a site's front page" in p and "bortkommet" in p for p in found)
    assert len(found) == 2


def test_a_deep_link_with_only_a_query_or_a_path_passes(root):
    from bot.content.check import _front_page

    assert _front_page("https://www.borger.dk") and _front_page("https://virk.dk/") and _front_page("http://x.dk")
    assert not _front_page("https://www.nemkonto.dk/borger")
    assert not _front_page("https://www.borger.dk/?id=3")


def test_a_situation_whose_first_reply_has_no_answer_is_named(root):
    """Answers only per person, though the assistant does not ask who it is
    for: the first reply would be the 'no answer' message."""
    path = root / "knowledge" / "national" / "pas.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  - situation: bortkommet\n", "  - situation: bortkommet\n    person: voksen\n", 1),
        encoding="utf-8",
    )
    found = [p for p in problems(root) if "first reply" in p]
    line = line_of(path, "- key: bortkommet")
    assert found == [
        f"knowledge/national/pas.yml:{line}: situations.bortkommet: has no answer, so the first reply is the "
        "'no answer' message (seen for glostrup, language da)"
    ]


def test_a_first_reply_that_withholds_the_booked_attendance_is_named(root, monkeypatch):
    """The passport's first reply asked 'voksen eller barn?' after the link
    but never said to book a time and attend (issue 26): the check composes
    the reply as the assistant does, so that composition is caught."""
    from bot.chat.answers import Responder

    def link_and_question_only(self, topic, situation, municipality, language="da"):
        reply = original(self, topic, situation, municipality, language)
        attendance = self.message("attendance", municipality, language)
        reply.text = "\n".join(line for line in reply.text.split("\n") if line != attendance)
        return reply

    original = Responder.ask_person
    monkeypatch.setattr(Responder, "ask_person", link_and_question_only)
    found = [p for p in problems(root) if "first reply" in p]
    path = root / "knowledge" / "national" / "pas.yml"
    assert (
        f"knowledge/national/pas.yml:{line_of(path, '- key: fornyelse')}: situations.fornyelse: the channel is booking"
        in "\n".join(found)
    )
    assert {p.split(": ")[1] for p in found} == {"situations.fornyelse", "situations.pris"}


def test_a_theme_colour_white_text_cannot_be_read_on_is_refused_at_check_time(root):
    """WCAG 2.2 AA: #767676 is the lightest grey with 4.5:1 against white; #777777 falls just short."""
    path = root / "knowledge" / "municipalities" / "nyborg.yml"
    text = path.read_text(encoding="utf-8")
    text = (
        re.sub(r"primary_colour: .*", 'primary_colour: "#777777"', text)
        if "primary_colour" in text
        else (text + 'theme:\n  primary_colour: "#777777"\n')
    )
    path.write_text(text, encoding="utf-8")
    found = [p for p in problems(root) if "theme.primary_colour" in p]
    assert found == [
        f"knowledge/municipalities/nyborg.yml:{line_of(path, 'primary_colour')}: theme.primary_colour: #777777 has "
        "contrast 4.48:1 with white: white text on it needs 4.5:1 (WCAG 2.2 AA); choose a darker colour"
    ]
    path.write_text(text.replace("#777777", "#bbbbbb"), encoding="utf-8")
    assert any("the buttons need 3:1 against the page" in p for p in problems(root))
    path.write_text(text.replace("#777777", "#767676"), encoding="utf-8")
    assert not [p for p in problems(root) if "theme.primary_colour" in p]


def test_an_errand_needs_the_held_out_messages_the_scaffold_asks_for(root):
    from bot.content.heldout import MIN_ERRAND_MESSAGES

    assert CliRunner().invoke(cli, ["topic", "new", "fiskekort", "--root", str(root)]).exit_code == 0
    fill_fiskekort(root)
    heldout = messages_file(root, "fiskekort")
    items = heldout.read_text(encoding="utf-8").split("  - text:")
    heldout.write_text("  - text:".join(items[:-1]), encoding="utf-8")  # one message fewer
    assert [p for p in problems(root) if "held-out" in p] == [
        f"tests/heldout/open/messages/fiskekort.yml:{line_of(heldout, 'messages:')}: messages: has "
        f"{MIN_ERRAND_MESSAGES - 1} held-out messages for the errand fiskekort; write at least "
        f"{MIN_ERRAND_MESSAGES}, none of them in data/nlu/"
    ]


def test_check_and_topic_new_speak_danish_to_the_editor(root):
    made = CliRunner().invoke(cli, ["topic", "new", "fiskekort", "--root", str(root)])
    assert made.output.startswith("Ærindet 'fiskekort' er oprettet. Udfyld alle steder, der står UDFYLD, i:")
    knowledge = (root / "knowledge" / "national" / "fiskekort.yml").read_text(encoding="utf-8")
    assert "UDFYLD: spørgsmålet, assistenten stiller" in knowledge and "TODO" not in knowledge
    fill_fiskekort(root)
    assert CliRunner().invoke(cli, ["check", "--skip-rasa", "--root", str(root)]).output == "Alt indhold er i orden.\n"
    story = root / "tests" / "stories" / "test_fiskekort.yml"
    story.write_text(story.read_text(encoding="utf-8").replace("jeg skal købe fiskekort", "TODO: later"))
    refused = CliRunner().invoke(cli, ["check", "--skip-rasa", "--root", str(root)])
    assert refused.output.endswith("1 problem: ret det, og kør `kommunebot check` igen.\n")
