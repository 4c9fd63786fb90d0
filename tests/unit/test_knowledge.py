"""Knowledge base: validation with file/line/field, build, round trip."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from bot.cli import main as cli
from bot.knowledge.build import build_database
from bot.knowledge.loader import load_knowledge
from bot.knowledge.problems import KnowledgeError
from bot.knowledge.store import KnowledgeDatabaseError, open_knowledge
from tests.support.knowledge_copy import edit


def problems_of(kdir):
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kdir)
    return info.value.problems


def test_real_knowledge_is_valid(knowledge):
    assert set(knowledge.topics) == {
        "pas",
        "koerekort",
        "affald",
        "sygemelding",
        "flytning",
        "sundhedskort",
        "mitid",
        "digital_post",
        # issue 15
        "laegevalg",
        "navneaendring",
        "folkepension",
        "boligstoette",
        "nemkonto",
        "vielse",
        "beboerparkering",
        "byggetilladelse",
        "ejendomsskat",
        "pladsanvisning",
        "skoleindskrivning",
        "valg",
    }
    assert set(knowledge.municipalities) == {"nyborg", "guldborgsund", "ikast-brande", "glostrup"}


def test_every_fact_has_source_and_review_date_and_every_fee_a_year(knowledge):
    for topic in knowledge.topics.values():
        for answer in topic.answers:
            assert answer.sources and all(s.startswith("https://") for s in answer.sources)
            assert answer.reviewed
            for fee in answer.fees:
                assert 2000 <= fee.year <= 2100 and fee.source.startswith("https://")
                # A fee quoted to citizens always says which year it is from.
                assert str(fee.year) in answer.text


def test_bad_yaml_names_file_and_line(kdir):
    path = kdir / "national" / "pas.yml"
    edit(path, "name: pas", "name: [pas")
    (problem,) = problems_of(kdir)
    assert problem.file.endswith("national/pas.yml")
    assert problem.line is not None and "invalid YAML" in problem.message


def test_missing_field_names_file_field_and_line(kdir):
    edit(
        kdir / "national" / "koerekort.yml",
        "    reviewed: 2026-11-22\n",
        "",
    )
    problems = problems_of(kdir)
    assert any(p.field == "answers[0].reviewed" and p.file.endswith("koerekort.yml") and p.line for p in problems)
    assert "koerekort.yml" in str(problems[0]) and "answers[0].reviewed" in str(problems[0])


def test_unknown_field_is_reported_not_ignored(kdir):
    edit(kdir / "national" / "affald.yml", "  - situation: storskrald\n", "  - situation: storskrald\n    lnik: x\n")
    problems = problems_of(kdir)
    assert any("lnik" in p.field and "unknown field" in p.message for p in problems)


def test_bad_link_and_future_review_date(kdir):
    path = kdir / "national" / "sygemelding.yml"
    edit(path, "link: https://info.jobnet.dk/sygemeldt/medlem-af-a-kasse-og-syg/", "link: jobnet.dk")
    edit(path, "reviewed: 2026-11-22", "reviewed: 2999-01-01")
    messages = [str(p) for p in problems_of(kdir)]
    assert any("link" in m and "https://" in m for m in messages)
    assert any("in the future" in m for m in messages)


def test_fee_without_year_is_rejected(kdir):
    edit(kdir / "national" / "pas.yml", "kr: 893, year: 2024,", "kr: 893,")
    assert any(p.field.endswith("fees[0].year") for p in problems_of(kdir))


def test_situation_without_answer(kdir):
    edit(
        kdir / "national" / "affald.yml",
        "  - key: sortering\n",
        "  - key: batterier\n    label: Batterier\n    channel: selfservice\n  - key: sortering\n",
    )
    assert any("no answer for situation 'batterier'" in p.message for p in problems_of(kdir))


def test_template_typo_is_caught_at_build(kdir):
    edit(kdir / "national" / "messages.yml", "{{ kommune.website_url }}", "{{ kommune.websit_url }}")
    problems = problems_of(kdir)
    assert any("template error" in p.message and p.field.startswith("messages.") for p in problems)


def test_municipality_problems(kdir):
    path = kdir / "municipalities" / "glostrup.yml"
    edit(path, 'number: "+45 43 23 61 00"', 'number: "ring til os"')
    edit(path, "key: glostrup", "key: glostrop")
    messages = [str(p) for p in problems_of(kdir)]
    assert any("phone.number" in m and "not a Danish phone number" in m for m in messages)
    assert any("must match the file name" in m for m in messages)


def test_unverified_values_are_never_used(knowledge):
    nyborg = knowledge.municipalities["nyborg"]
    # The YAML holds Torvet 1 but marks the group unverified.
    assert nyborg.address is None and "borgerservice" in nyborg.unverified
    assert nyborg.phone_number is None and "phone" in nyborg.unverified


def test_build_round_trip(tmp_path, knowledge):
    db = build_database(knowledge, tmp_path / "k.db")
    assert open_knowledge(db) == knowledge


def test_failed_build_keeps_the_previous_database(tmp_path, kdir):
    out = tmp_path / "build" / "knowledge.db"
    build = ["build", "--root", str(tmp_path)]
    assert CliRunner().invoke(cli, build).exit_code == 0
    before = out.read_bytes()
    edit(kdir / "national" / "pas.yml", "topic: pas", "topic: [")
    result = CliRunner().invoke(cli, build)
    assert result.exit_code == 1
    assert "national/pas.yml" in result.output and "invalid YAML" in result.output
    assert out.read_bytes() == before
    assert not list(out.parent.glob(".knowledge-*"))


def test_missing_or_broken_database_is_a_clear_error(tmp_path):
    with pytest.raises(KnowledgeDatabaseError, match="not found"):
        open_knowledge(tmp_path / "nope.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(KnowledgeDatabaseError, match="unreadable"):
        open_knowledge(junk)
    old = tmp_path / "old.db"
    sqlite3.connect(old).execute("create table build_info (key text, value text)").connection.commit()
    with pytest.raises(KnowledgeDatabaseError):
        open_knowledge(old)


def test_case_signals_are_read(knowledge):
    signals = knowledge.case_signals
    assert signals.label and "afslag" in signals.signals and signals.hints and signals.general and signals.persons
    assert "fået … afslag" in signals.signals["afslag"]


@pytest.mark.parametrize(
    "old,new,field,message",
    [
        ("  afslag:\n    - fået … afslag\n", "  afslag:\n    - … afslag\n", "signals.afslag[0]", "between two words"),
        ("  afslag:\n    - fået … afslag\n", "  afslag:\n    - 42\n", "signals.afslag[0]", "non-empty text"),
        ("label: Egen sag\n", "label: Egen sag\nsignal:\n  x: [y]\n", "signal", "unknown field"),
        ("persons:\n", "persons: mig\npersons_old:\n", "persons", "must be a list"),
        ("  afslag:\n    - fået … afslag\n", "  afslag:\n    - fået = afslag\n", "signals.afslag[0]", "before a word"),
        ("  afslag:\n    - fået … afslag\n", "  afslag:\n    - fået ^afslag\n", "signals.afslag[0]", "only opens"),
        ("  afslag:\n    - fået … afslag\n", "  afslag:\n    - ^fået … afslag\n", "signals.afslag[0]", "only opens"),
    ],
)
def test_case_signal_problems_name_file_field_and_line(kdir, old, new, field, message):
    edit(kdir / "case_signals.yml", old, new)
    problems = [p for p in problems_of(kdir) if p.file.endswith("case_signals.yml")]
    assert any(p.field == field and message in p.message and p.line for p in problems), problems


@pytest.mark.parametrize(
    "name,old,new,field",
    [
        ("national/pas.yml", "keywords: [forny,", "keywords: [forny ...,", "situations[0].keywords[0]"),
        ("national/assistance.yml", "ingen_mitid: [", "ingen_mitid: [… mitid, ", "keywords.ingen_mitid[0]"),
        ("national/assistance.yml", "ingen_mitid: [", "ingen_mitid: [har ... … mitid, ", "keywords.ingen_mitid[0]"),
    ],
)
def test_a_keyword_gap_must_stand_between_two_words(kdir, name, old, new, field):
    # The same rule as a case phrase's gap and an outside subject's words.
    edit(kdir / name, old, new)
    problems = [p for p in problems_of(kdir) if p.file.endswith(name.split("/")[-1])]
    assert any(p.field == field and "between two words" in p.message for p in problems), problems


@pytest.mark.parametrize("key", ["nyborg", "guldborgsund"])
def test_the_out_of_scope_reply_is_short_and_gives_the_municipalitys_contact(knowledge, key):
    # Issue 26: a screen reader read all twenty errand names aloud here.
    from bot.knowledge.texts import Texts

    municipality = knowledge.municipalities[key]
    for text in (
        Texts(knowledge).message("out_of_scope", municipality),
        Texts(knowledge).render(knowledge.messages_en["out_of_scope"], municipality, language="en"),
    ):
        named = [t.name for t in knowledge.topics.values() if t.name in text or (t.en.get("name") or "") in text]
        assert str(len(knowledge.topics)) in text and len(named) <= 6, text
        assert municipality.website_url in text
        assert municipality.phone_number is None or municipality.phone_number in text
        assert len(text) < 320  # the list of all twenty made it about 470


def test_the_did_you_mean_message_is_required(kdir, knowledge):
    """The line after an answer given first (bot/chat/answering.py) is an
    editor's text like every other; without it the build names the field."""
    assert knowledge.messages["did_you_mean"] == "Mente du noget andet?"
    assert knowledge.messages_en["did_you_mean"] == "Did you mean something else?"
    edit(kdir / "national" / "messages.yml", "  did_you_mean: >-\n    Mente du noget andet?\n", "")
    assert ("messages.did_you_mean", "missing (required)") in [(p.field, p.message) for p in problems_of(kdir)]
