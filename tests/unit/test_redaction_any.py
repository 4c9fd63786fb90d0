"""CPR numbers in any grouping, a birth date with the last four, e-mail
addresses and phone numbers; and a corpus of ordinary numbers citizens
write, whose false-redaction rate is reported and held at its floor."""

from __future__ import annotations

import time

import pytest

from bot.privacy.redaction import EMAIL_PLACEHOLDER, PHONE_PLACEHOLDER, PLACEHOLDER, redact, redact_message
from tests.cpr_forms import GROUP_SEPARATORS, any_leak_pattern, grouped, groupings

# Valid numbers from three centuries (digit 7 and the year give it).
NUMBERS = ("0102031234", "3112994321", "2902004123", "1505585123", "0707071007")


def test_there_are_492_groupings_of_ten_digits():
    assert len(groupings()) == 492 and all(sum(g) == 10 and max(g) <= 6 for g in groupings())


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("separator", GROUP_SEPARATORS)
def test_every_grouping_with_every_separator_is_removed(number, separator):
    missed = []
    for sizes in groupings():
        written = grouped(number, sizes, separator)
        for text in (f"mit cpr er {written} tak", written, f"https://x.dk/side?cpr={written}&id=a"):
            result = redact_message(text)
            if any_leak_pattern(number).search(result.text) or result.counts.get("cpr") != 1:
                missed.append((sizes, text, result.text))
    assert not missed, f"{len(missed)} missed, e.g. {missed[:3]}"


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
        "pas nr. 1234, udløber 12.03.2027 og de sidste fire er 1234",  # no such birth date
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


# Ordinary numbers citizens and staff write. None of them is a CPR number;
# the phone numbers may only ever count as phone numbers.
ORDINARY = [
    *[
        f"ring på {n}"
        for n in ("20 12 34 56", "20123456", "+45 20 12 34 56", "33 44 55 66", "70 10 18 81", "4040 4040")
    ],
    *[
        f"tlf. {n}"
        for n in ("+45 33 12 34 56", "0045 40404040", "(+45) 20123456", "+44 20 7946 0958", "+1 415 555 2671")
    ],
    "ring 12 34 56 78 eller 87 65 43 21",
    *[f"den {d}" for d in ("24-12-2026", "24.12.2026", "24/12/2026", "1.3.2027", "12-03-85", "01.02.03", "31.12.1999")],
    *[f"fra {a} til {b}" for a, b in (("01.02.2024", "31.12.2024"), ("1/1", "31/3"), ("12.03.25", "14.03.25"))],
    "d. 12.03.2025 kl. 10.30",
    "12/3 kl. 10.30",
    "mødet er 24.12.26 kl 10",
    "åbent 8.00-15.30",
    "kl. 10.30-12.30",
    "uge 12-14 i 2026",
    "2026-12-07T09:00:00+00:00",
    "2026-03-02T10:00:00+01:00",
    *[f"det koster {p}" for p in ("1.234,50 kr", "kr. 12.345", "12.345.678 kr", "1.234.567 kr", "15000 kr", "360 kr.")],
    "mellem 20.000 og 30.000 kr",
    "husleje 6.500 kr. om måneden og 1.200 kr. i varme",
    "boligstøtte 1.850 kr",
    *[f"sagsnr. {c}" for c in ("2024-012345", "2012-000123", "2024-123456", "24/12345")],
    "sag nr. 2012-000123",
    "J.nr. 27.12.04-P20-1-24",
    "journalnummer 12.34.56-A00-1-24",
    *[f"min reference er CB-{y}-{n:06d}" for y in (2012, 2026, 2027) for n in (1, 123, 10203, 999999)],
    *[f"postnummer {p}" for p in ("5800 Nyborg", "4800 Nykøbing F", "7430 Ikast", "2600 Glostrup")],
    "Nyborg 5800, Vestergade 12, 2. tv",
    "Østergade 112, 1. sal",
    *[f"i {y}" for y in ("2024", "1985", "2026")],
    "konto 1234 0123456789",
    "reg.nr 1234 kontonr 1234567890",
    "12345678901",
    "ordrenummer 12345678",
    "pasnummer 212345678",
    "kørekortnummer 12345678",
    "matrikel 12a, ejendomsnummer 123456",
    "ejendomsværdi 2.450.000 kr og grundværdi 850.000 kr",
    "3 børn på 2, 5 og 8 år",
    "jeg er 67 år og født i 1959",
    "version 3.6.21",
    "IP 192.168.1.10",
    "ISBN 978-87-02-12345-6",
    "1-2-3-4-5-6",
    "10 11 12 13",
    "hus nr. 12, 3. sal th.",
    "tlf. tid 9-12",
    "kl 8-16 mandag til torsdag",
    "320103-1234",
    "011303-1234",
    "290201-1234",
    "det koster 40.100.000 kr",
    "ejendomsvurdering 3.250.000",
    "grundskyld 12.480 kr. for 2025",
    "jeg har ventet siden 03.10.2025",
    "afgørelsen er dateret 14. november 2025",
    "brevet kom d. 2/11-25",
    "født 12.03.1985",
    "min datter er født 01.02.2019",
    "vi blev gift 12.06.2010 kl. 11.00",
    "valget er 18.11.2025",
    "mellem kl. 9.00 og 15.00",
    "betalt 2 x 1.250 kr",
    "restance på 23.400 kr siden 01.09.2025",
    "lejemål nr. 12-345",
    "cvr 12345678",
    "p-nummer 1012345678",
    "EAN 5790000123456",
    "faktura 2025-10-0042",
    "bilag 1, 2 og 3",
    "side 12 af 34",
    "kvittering 000123456789",
    "2 x 20 min",
    "1 2 3 4 5 6 7 8",
]


def false_redaction_rate() -> tuple[int, int]:
    """(how many ordinary texts lost digits to the CPR redactor, how many there are)."""
    wrong = sum(1 for text in ORDINARY if redact_message(text).counts.get("cpr"))
    return wrong, len(ORDINARY)


# Measured on this corpus when the any-grouping rule was written: 1 of 111,
# the production-unit number (p-nummer), ten digits whose first six are a
# real date. Ten such digits are read as a CPR number on purpose: the two
# cannot be told apart, and a removed p-nummer costs less than a kept CPR.
MAX_FALSE_REDACTIONS = 1


def test_false_redaction_rate_of_ordinary_numbers():
    wrong, total = false_redaction_rate()
    print(f"\nfalse CPR redactions: {wrong} of {total} ordinary texts")
    assert total >= 100
    assert wrong <= MAX_FALSE_REDACTIONS, [t for t in ORDINARY if redact_message(t).counts.get("cpr")]


@pytest.mark.parametrize("text", [t for t in ORDINARY if "ring" not in t and "tlf" not in t])
def test_dates_prices_and_case_numbers_are_not_phone_numbers(text):
    if any(word in text for word in ("ordrenummer", "kørekortnummer")):
        pytest.skip("eight digits alone read as a Danish phone number; see the docs")
    assert "phone" not in redact_message(text).counts, redact_message(text)


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
def test_redaction_stays_fast_on_adversarial_input(text):
    start = time.perf_counter()
    redact_message(text[:2000])
    assert time.perf_counter() - start < 0.5
