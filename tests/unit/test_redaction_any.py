"""A birth date with the last four, e-mail addresses and phone numbers in
the forms citizens write them, and adversarial input; the groupings and the
corpus of ordinary numbers are in test_redaction.py."""

from __future__ import annotations

import pytest

from bot.privacy.redaction import EMAIL_PLACEHOLDER, PHONE_PLACEHOLDER, PLACEHOLDER, redact, redact_message
from tests.support.scaling import MAX_SCALING, scaling


@pytest.mark.parametrize(
    "text",
    [
        "født 12.03.1985 og de sidste fire er 1234",
        "fødselsdato 120385, sidste 4 cifre: 1234",
        "min fødselsdag er 12/3-85 og de 4 sidste 1234",
        "Jeg er født den 12. marts 1985, mine fire sidste er 1234",
        "born 12 March 1985, last four 1234",
        "born March 12, 1985 - last 4 digits 1234",
        "løbenummer 1234, født 12-03-1985",
    ],
)
def test_a_birth_date_with_the_last_four_is_a_cpr_number(text):
    result = redact_message(text)
    assert result.counts.get("cpr") == 1, result
    assert "1234" not in result.text and "85" not in result.text and result.text.count(PLACEHOLDER) == 2


@pytest.mark.parametrize(
    "text",
    [
        "jeg er født 12.03.1985, hvornår får jeg folkepension",  # a birth date alone
        "de sidste fire tal i mit telefonnummer er 1234",  # the last four without a date
    ],
)
def test_half_a_number_is_not_a_cpr_number(text):
    assert "cpr" not in redact_message(text).counts


def test_email_addresses_are_replaced():
    result = redact_message("skriv til søren.hansen+kommune@mail.example.dk eller anne_b@firma.dk tak")
    assert result.text == f"skriv til {EMAIL_PLACEHOLDER} eller {EMAIL_PLACEHOLDER} tak"
    assert result.counts == {"email": 2}


@pytest.mark.parametrize(
    "text",
    [
        "ring til mig på 20 12 34 56",
        "mit nr er 20123456",
        "tlf +45 20 12 34 56",
        "0045 2012 3456",
        "call +44 20 7946 0958",
    ],
)
def test_phone_numbers_are_replaced_unless_it_is_the_phone_field(text):
    result = redact_message(text)
    assert PHONE_PLACEHOLDER in result.text and result.counts == {"phone": 1}
    assert not any(ch.isdigit() for ch in result.text.replace("+", ""))
    assert redact_message(text, keep_phone=True).text == text


def test_redact_alone_keeps_contact_details():
    # Sender ids, metadata keys and names are checked for CPR numbers only.
    assert redact("20123456 a@b.dk").text == "20123456 a@b.dk"


@pytest.mark.parametrize(
    "text",
    [
        " ".join("0123456789" * 200),  # 2,000 single-digit groups
        "1-" * 1000,
        "%2D1" * 500,
        "a@" * 1000,
        "+4" * 1000,
        "12.03.1985 sidste fire " * 80,
    ],
)
def test_redaction_stays_linear_on_adversarial_input(text):
    # The ratio of 4x the text to 1x, not an absolute time (tests/support/scaling.py).
    assert scaling(redact_message, lambda chars: (text * 4)[:chars], 500) < MAX_SCALING
