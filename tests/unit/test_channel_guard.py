"""The one channel guard both input channels use."""

from __future__ import annotations

import pytest

from bot.knowledge.build import build_database
from bot.privacy.channel_guard import SETUP_ERROR, ChannelGuard
from bot.settings import Settings
from glue.guard import build_guard


@pytest.fixture
def guard(tmp_path, knowledge):
    db = build_database(knowledge, tmp_path / "knowledge.db")
    return build_guard(Settings.load({"KOMMUNEBOT_KNOWLEDGE_DB": str(db), "KOMMUNEBOT_MAX_MESSAGE_CHARS": "50"}))


def test_accepted_text_is_redacted_before_rasa(guard):
    prepared = guard.prepare("mit cpr er 010190-1234", {"kommune": "nyborg"}, "s1")
    assert prepared.refusal is None and "010190" not in prepared.text
    assert prepared.metadata == {"kommune": "nyborg", "redacted": {"cpr": 1}}


def test_refusals_are_the_municipality_texts(guard):
    empty = guard.prepare("   ", {}, "s1")
    assert empty.text is None and empty.refusal == "Din besked var tom. Skriv dit spørgsmål, så hjælper jeg gerne."
    long = guard.prepare("x" * 51, {"kommune": "glostrup"}, "s1")
    assert long.text is None and "(51 tegn)" in long.refusal


def test_error_reply_names_the_municipality_phone(guard):
    assert "54 73 10 00" in guard.error_reply("guldborgsund")


def test_without_knowledge_the_citizen_still_gets_danish(tmp_path, caplog):
    broken = build_guard(Settings.load({"KOMMUNEBOT_KNOWLEDGE_DB": str(tmp_path / "missing.db")}))
    assert broken.prepare("", {}, "s1").refusal.startswith("Din besked var tom")
    assert broken.error_reply(None) == SETUP_ERROR
    assert "could not render the technical_error message" in caplog.text


def test_guard_never_sees_more_than_a_message_function():
    seen = []

    def messages(key, municipality, /, **values):
        seen.append((key, municipality, values))
        return "ok"

    guard = ChannelGuard(messages, max_chars=5)
    assert guard.prepare("for lang tekst", {"kommune": "ikast-brande"}, "s").refusal == "ok"
    assert seen == [("too_long", "ikast-brande", {"length": 14})]


@pytest.mark.parametrize("message", [{"text": "pas"}, ["pas"], 42, None, True])
def test_a_message_that_is_not_text_gets_a_danish_400(guard, message):
    prepared = guard.prepare(message, {}, "s1")
    assert (prepared.text, prepared.status) == (None, 400)
    assert prepared.refusal.startswith("Beskeden kunne ikke læses")


@pytest.mark.parametrize("metadata", ["nyborg", ["kommune"], 7])
def test_metadata_that_is_not_an_object_gets_a_danish_400(guard, metadata):
    prepared = guard.prepare("pas", metadata, "s1")
    assert (prepared.text, prepared.status) == (None, 400)
    assert "metadata" not in prepared.refusal and "message" not in prepared.refusal


def test_the_client_pseudonym_travels_with_the_message(guard):
    prepared = guard.prepare("pas", {"kommune": "nyborg", "client": "forged"}, "s1", client="0123456789abcdef")
    # Only the channel's own pseudonym passes; a client's "client" key is dropped.
    assert prepared.metadata == {"kommune": "nyborg", "client": "0123456789abcdef"}


def test_the_phone_field_is_only_the_next_message(guard):
    guard.expect_phone("s1")
    assert guard.phone_fields.take("s1") is True
    assert guard.phone_fields.take("s1") is False
