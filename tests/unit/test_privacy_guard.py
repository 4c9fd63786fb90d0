"""What of a message the channel guard lets through to Rasa: sender ids,
metadata, button payloads and CPR numbers split over two messages."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.knowledge.build import build_database
from bot.privacy.channel_guard import BAD_SENDER, SETUP_ERROR, UNKNOWN_BUTTON, ChannelGuard
from bot.privacy.payloads import Vocabulary, check_payload
from bot.privacy.redaction import PLACEHOLDER
from bot.privacy.split import SplitNumbers
from bot.settings import Settings
from glue.guard import build_guard
from tests.cpr_forms import escaped, random_numbers


@pytest.fixture(scope="module")
def settings(tmp_path_factory, knowledge):
    db = build_database(knowledge, tmp_path_factory.mktemp("knowledge") / "knowledge.db")
    return Settings.load({"KOMMUNEBOT_KNOWLEDGE_DB": str(db)})


def fresh_guard(settings) -> ChannelGuard:
    # build_guard shares one guard (and its split memory) per settings.
    shared = build_guard(settings)
    return ChannelGuard(shared.messages, shared.max_chars, vocabulary=shared.vocabulary)


@pytest.fixture
def guard(settings):
    return fresh_guard(settings)


# -- sender ids ---------------------------------------------------------------


@pytest.mark.parametrize(
    "sender",
    ["0102031234", "test-010203-1234", "01.02.03-1234", "01:02:03:1234", "a" * 65, "", "hans jensen", "ø", None, 17],
)
def test_bad_or_cpr_looking_sender_ids_are_refused_with_400(guard, sender, caplog):
    prepared = guard.prepare("hej", {"kommune": "nyborg"}, sender)
    assert (prepared.text, prepared.refusal, prepared.status) == (None, BAD_SENDER, 400)
    assert "010203" not in caplog.text and "1234" not in caplog.text


@pytest.mark.parametrize(
    "sender", ["test-1a2b3c4d5e", "a" * 64, "f3c1e0b2a4d6c8e0f1a3b5c7d9e1f3a5", "abc.def_ghi:jkl-0", "bench-12345678"]
)
def test_plain_sender_ids_pass(guard, sender):
    prepared = guard.prepare("hej", {}, sender)
    assert prepared.text == "hej" and prepared.status == 200


# -- metadata -------------------------------------------------------------------


def test_only_a_known_municipality_key_passes(guard, caplog):
    caplog.set_level("INFO")
    prepared = guard.prepare("hej", {"kommune": " Glostrup ", "cpr": "010203-1234", "note": {"x": 1}}, "s1")
    assert prepared.metadata == {"kommune": "glostrup"}
    assert "'cpr'" in caplog.text and "'note'" in caplog.text and "010203" not in caplog.text


@pytest.mark.parametrize("kommune", ["atlantis", "0102031234", "nyborg 010203-1234", "x" * 41, 42, ["nyborg"]])
def test_an_unknown_municipality_gets_the_setup_error(guard, kommune, caplog):
    prepared = guard.prepare("hvordan fornyer jeg mit pas", {"kommune": kommune}, "s1")
    assert prepared.text is None and prepared.refusal == SETUP_ERROR and prepared.status == 200
    assert "010203" not in caplog.text


def test_a_metadata_key_that_is_a_cpr_number_is_logged_redacted(guard, caplog):
    caplog.set_level("INFO")
    prepared = guard.prepare("hej", {"0102031234": "x", "kommune": ""}, "s1")
    assert prepared.metadata == {} and "0102031234" not in caplog.text and PLACEHOLDER in caplog.text


def test_metadata_of_a_refused_message_is_clean_too(guard):
    prepared = guard.prepare("", {"kommune": "nyborg", "cpr": "0102031234"}, "s1")
    assert prepared.refusal and prepared.metadata == {"kommune": "nyborg"}


def test_error_reply_uses_only_a_known_municipality(guard):
    assert "54 73 10 00" in guard.error_reply("guldborgsund")
    assert guard.error_reply("0102031234") == SETUP_ERROR


def test_without_the_knowledge_base_no_key_can_be_confirmed(tmp_path, caplog):
    broken = build_guard(Settings.load({"KOMMUNEBOT_KNOWLEDGE_DB": str(tmp_path / "missing.db")}))
    assert broken.prepare("hej", {"kommune": "nyborg"}, "s1").refusal == SETUP_ERROR
    assert broken.prepare("/pas", {}, "s1").refusal == UNKNOWN_BUTTON
    assert broken.prepare("/affirm", {}, "s1").text == "/affirm"
    assert "channel guard without its vocabulary" in caplog.text


# -- button payloads ------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "/pas",
        '/pas{"situation": "fornyelse"}',
        '/pas{"situation": "pris", "person": "barn"}',
        '/koerekort{"situation": "fornyelse", "person": "voksen"}',
        "/affald",
        "/callback_request",
        "/deny",
        "/affirm",
        "/out_of_scope",
    ],
)
def test_the_buttons_the_assistant_offers_pass_unchanged(guard, payload):
    prepared = guard.prepare(payload, {"kommune": "nyborg"}, "s1")
    assert prepared.text == payload and prepared.metadata == {"kommune": "nyborg"}


def test_every_button_the_responder_offers_passes(guard, knowledge):
    from bot.chat.answers import Responder

    responder = Responder(knowledge)
    municipality = knowledge.municipalities["nyborg"]
    replies = [responder.clarify(list(knowledge.topics), municipality)]
    for topic in knowledge.topics.values():
        replies.append(responder.ask_situation(topic))
        replies += [responder.ask_person(topic, s.key, municipality) for s in topic.situations]
    payloads = {b["payload"] for reply in replies for b in reply.buttons}
    assert len(payloads) > 40
    for payload in payloads:
        assert guard.prepare(payload, {}, "s1").text == payload


def test_payload_entities_are_rewritten_in_the_assistants_form(guard):
    assert guard.prepare('/pas{"person":"barn","situation":"pris"}', {}, "s1").text == (
        '/pas{"situation": "pris", "person": "barn"}'
    )


@pytest.mark.parametrize(
    "payload",
    [
        "/greet",
        "/nlu_fallback",
        "/pas{",
        '/pas{"situation": "ukendt"}',
        '/pas{"situation": "fornyelse", "person": "bedstemor"}',
        '/pas{"barrier": "no_mitid"}',
        '/pas{"situation": ["fornyelse"]}',
        '/affirm{"situation": "fornyelse"}',
        "/pas@0.9",
        '/pas["fornyelse"]',
        "/ hjælp",
        "/0102031234",
        '/pas{"situation": "0102031234"}',
        '/pas{"0102031234": "fornyelse"}',
    ],
)
def test_other_slash_messages_are_refused_in_danish(guard, payload):
    prepared = guard.prepare(payload, {}, "s1")
    assert prepared.text is None and prepared.refusal == UNKNOWN_BUTTON


@hypothesis_settings(deadline=None)  # a busy machine is no failure
@given(st.sampled_from(random_numbers(random.Random(7), 30)), st.sampled_from(["situation", "person"]))
def test_json_escaped_digits_are_decoded_before_redaction(settings, number, entity):
    guard = fresh_guard(settings)
    for payload in (
        f'/pas{{"{entity}": "{escaped(number)}"}}',
        f'/pas{{"situation": "fornyelse", "{entity}": "cpr {escaped(number[:6])}-{escaped(number[6:])}"}}',
        f'/pas{{"situation": "{escaped(number)}"',  # not even JSON
    ):
        assert payload.isascii() and number not in payload
        assert check_payload(payload, guard.vocabulary()).cpr == 1
        prepared = guard.prepare(payload, {}, "s1")
        assert prepared.text is None and prepared.refusal == UNKNOWN_BUTTON


# -- a number split over two messages -------------------------------------------------


def test_split_number_is_removed_from_both_messages(guard):
    first = guard.prepare("mit cpr er 010203", {"kommune": "nyborg"}, "s1")
    other = guard.prepare("1234 kroner", {}, "s2")  # another sender is not affected
    second = guard.prepare("-1234 tak", {"kommune": "nyborg"}, "s1")
    assert first.text == f"mit cpr er {PLACEHOLDER}" and first.metadata["redacted"] == {"cpr": 1}
    assert other.text == "1234 kroner"
    assert second.text == f"{PLACEHOLDER} tak" and second.metadata["redacted"] == {"cpr": 1}
    assert guard.prepare("1234", {}, "s1").text == "1234"  # only the very next message


def test_split_memory_is_bounded_in_time_and_size():
    now = [0.0]
    memory = SplitNumbers(max_senders=2, seconds=60, clock=lambda: now[0])
    for sender in ("a", "b", "c"):
        memory.remember(sender)
    assert len(memory) == 2 and not memory.take("a")
    now[0] = 61
    assert not memory.take("b")
    now[0] = 100
    memory.remember("d")
    assert memory.take("d") and not memory.take("d")


def test_both_channels_share_one_guard_and_its_memory(settings):
    assert build_guard(settings) is build_guard(settings)
    shared = build_guard(settings)
    shared.prepare("min datters er 150212", {}, "widget-1")  # socket.io
    assert shared.prepare("4321", {}, "widget-1").text == PLACEHOLDER  # REST fallback


def test_a_button_between_the_halves_ends_the_wait(guard):
    guard.prepare("010203", {}, "s1")
    assert guard.prepare("/affirm", {}, "s1").text == "/affirm"
    assert guard.prepare("1234", {}, "s1").text == "1234"


def test_callback_slot_buttons_are_plain_text(guard):
    for text in ("2026-03-02T10:00:00+01:00", "andre tider"):
        assert guard.prepare(text, {}, "s1").text == text


def test_guard_passes_normalised_text(guard):
    prepared = guard.prepare("cpr ０１０２０３－１２３４ ﬁnt", {}, "s1")
    assert prepared.text == f"cpr {PLACEHOLDER} fint"


def test_vocabulary_comes_from_the_knowledge_base(settings, knowledge):
    vocabulary = build_guard(settings).vocabulary()
    assert vocabulary.municipalities == frozenset(knowledge.municipalities)
    assert vocabulary.situations["pas"] == frozenset(s.key for s in knowledge.topics["pas"].situations)
    assert Vocabulary().municipalities is None  # a guard without knowledge checks keys by shape
