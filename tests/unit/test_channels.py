"""The channel is a property of each situation in knowledge: selfservice,
booking or callback. A callback situation gets an explanation and the offer
of a booked call, never a link; the dashboard counts the referral."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from zoneinfo import ZoneInfo

import pytest

from bot.chat.answers import CALLBACK_OFFERED, Responder
from bot.console.dashboard import OUTCOME_LABELS, RESOLVED, dashboard
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import CHANNELS
from bot.knowledge.problems import KnowledgeError
from bot.records.outcomes import OUTCOMES, OutcomeLog
from tests.conftest import KNOWLEDGE_DIR


def test_every_situation_has_a_known_channel(knowledge):
    channels = {s.channel for t in knowledge.topics.values() for s in t.situations}
    assert channels <= set(CHANNELS) and "callback" in channels


def callback_situations(knowledge):
    return [(t, s) for t in knowledge.topics.values() for s in t.situations if s.channel == "callback"]


def test_a_callback_situation_offers_a_call_and_no_link(knowledge):
    responder = Responder(knowledge)
    municipality = knowledge.municipalities["nyborg"]
    assert callback_situations(knowledge)
    for topic, situation in callback_situations(knowledge):
        reply = responder.errand(topic, situation.key, None, municipality)
        assert reply.channel == "callback" and reply.outcome == CALLBACK_OFFERED, (topic.key, situation.key)
        assert not re.search(r"https?://", reply.text), reply.text
        assert [b["payload"] for b in reply.buttons] == ["/callback_request", "/deny"]
        assert "ringer dig op" in reply.text


def test_booking_and_selfservice_situations_keep_their_links(knowledge):
    responder = Responder(knowledge)
    municipality = knowledge.municipalities["nyborg"]
    for topic in knowledge.topics.values():
        for situation in topic.situations:
            if situation.channel == "callback" or situation.ask_person:
                continue
            reply = responder.errand(topic, situation.key, None, municipality)
            assert reply.channel == situation.channel and "https://" in reply.text, (topic.key, situation.key)
            assert ("møde personligt op" in reply.text) == (situation.channel == "booking"), (topic.key, situation.key)


def _topic_file(tmp_path, situation_lines: str, answer_lines: str = "link: https://www.borger.dk"):
    root = tmp_path / "knowledge"
    (root / "national").mkdir(parents=True)
    for name in ("messages.yml", "assistance.yml", "callbacks.yml"):
        (root / "national" / name).write_text((KNOWLEDGE_DIR / "national" / name).read_text(encoding="utf-8"))
    (root / "municipalities").mkdir()
    (root / "municipalities" / "nyborg.yml").write_text(
        (KNOWLEDGE_DIR / "municipalities" / "nyborg.yml").read_text(encoding="utf-8")
    )
    (root / "sensitive_terms.yml").write_text((KNOWLEDGE_DIR / "sensitive_terms.yml").read_text(encoding="utf-8"))
    text = textwrap.dedent(
        """\
        topic: klage
        name: klage
        attendance: false
        question: Hvad drejer det sig om?
        assisted: Ring til os.
        situations:
          - key: afgoerelse
            label: Jeg vil klage over en afgørelse
        {situation}
        answers:
          - situation: afgoerelse
            lead: En medarbejder skal se på din sag
            text: Det kræver en samtale.
            {answer}
            sources: [https://www.borger.dk]
            reviewed: 2026-12-02
        """
    ).format(situation=situation_lines, answer=answer_lines)
    (root / "national" / "klage.yml").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "situation, message",
    [
        ("    channel: telefon", "situations[0].channel: must be one of selfservice, booking, callback, got 'telefon'"),
        ("    keywords: [klage]", "situations[0].channel: missing"),
        ("    channel: [callback]", "situations[0].channel"),
    ],
)
def test_a_wrong_or_missing_channel_names_file_and_field(tmp_path, situation, message):
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(_topic_file(tmp_path, situation))
    assert "klage.yml" in str(raised.value) and message in str(raised.value)


@pytest.mark.parametrize(
    "situation, message",
    [
        ("    channel: callback\n    own_matter: true", "own_matter: a callback situation is a case already"),
        ("    channel: selfservice\n    own_matter: ja", "situations[0].own_matter"),
    ],
)
def test_own_matter_is_a_flag_of_a_situation_that_is_no_case(tmp_path, situation, message):
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(_topic_file(tmp_path, situation, "link: https://www.borger.dk"))
    assert "klage.yml" in str(raised.value) and message in str(raised.value)


def test_own_matter_survives_the_build(tmp_path):
    from bot.knowledge.build import build_database
    from bot.knowledge.store import open_knowledge

    built = open_knowledge(build_database(load_knowledge(KNOWLEDGE_DIR), tmp_path / "knowledge.db"))
    assert built.topics["affald"].situation("manglende_toemning").own_matter
    assert not built.topics["affald"].situation("sortering").own_matter


def test_a_callback_answer_needs_no_link_but_others_do(tmp_path):
    topic = load_knowledge(_topic_file(tmp_path, "    channel: callback", "")).topics["klage"]
    assert topic.situations[0].channel == "callback" and topic.answers[0].link is None
    with pytest.raises(KnowledgeError, match="needs a link"):
        load_knowledge(_topic_file(tmp_path / "b", "    channel: selfservice", ""))


def test_the_dashboard_counts_referrals_to_a_callback(tmp_path):
    assert "callback_offered" in OUTCOMES and "callback_offered" in OUTCOME_LABELS and "callback_offered" in RESOLVED
    log = OutcomeLog(tmp_path / "data.db")
    now = dt.datetime.now(dt.timezone.utc)
    log.record("nyborg", "callback_offered", "boligstoette", "tilbagebetaling", at=now)
    log.record("nyborg", "selfservice", "pas", "pris", at=now)
    log.close()
    # The dashboard's days are Danish days: between 23:00 and 00:00 UTC the
    # UTC date is yesterday in Copenhagen.
    today = now.astimezone(ZoneInfo("Europe/Copenhagen")).date()
    board = dashboard(tmp_path / "data.db", "nyborg", today, today)
    assert board.per_outcome["callback_offered"] == 1 and board.first_contact_resolution == 1.0
