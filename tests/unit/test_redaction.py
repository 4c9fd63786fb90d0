import pytest

from bot.privacy.redaction import PLACEHOLDER, cpr_century, redact


@pytest.mark.parametrize(
    "text",
    [
        "mit cpr er 010203-1234",
        "mit cpr er 010203 1234",
        "mit cpr er 0102031234",
        "cpr: 010203–1234 tak",  # en dash, as phones and Word write it
        "010203-1234",
        "(0102031234)",
        "cpr.nr.010203-1234.",
        "290200-4123 er min datters",  # 29 Feb 2000: digit 7 = 4, year 00 -> 2000
        "311299-9999",  # 31 Dec 1999 (digit 9, year 99 -> 1900s)
        "150558-5123",  # digit 5, year 58 -> 1858
    ],
)
def test_cpr_forms_are_removed(text):
    result = redact(text)
    assert PLACEHOLDER in result.text and result.counts == {"cpr": 1}
    assert not any(ch.isdigit() for ch in result.text.replace(PLACEHOLDER, "").replace("1858", ""))


def test_several_numbers_and_modulus_11_not_required():
    # 010203-1234 fails modulus 11; it is still a CPR number since 2007.
    result = redact("mig 010203-1234 og min søn 1512154321")
    assert result.text == f"mig {PLACEHOLDER} og min søn {PLACEHOLDER}"
    assert result.counts == {"cpr": 2}


@pytest.mark.parametrize(
    "text",
    [
        "ring på 12 34 56 78",
        "tlf +45 12345678",
        "mit nummer er 20 30 40 50",
        "den 24-12-2026",
        "den 24.12.26 kl 10",
        "fra 01.02.2024 til 31.12.2024",
        "det koster 1.234.567 kr",
        "beløbet var 15000 kr",
        "postnummer 5800 Nyborg",
        "sag nr. 2024-123456",
        "journalnummer 12.34.56-A00-1-24",
        "konto 1234 0123456789",
        "320103-1234",  # day 32 does not exist
        "011303-1234",  # month 13 does not exist
        "290201-1234",  # 29 Feb 1901 (digit 1 -> 1900s) does not exist
        "12345678901",  # eleven digits: not a CPR number
        "CB-2026-000123",
    ],
)
def test_look_alikes_survive(text):
    result = redact(text)
    assert result.text == text and not result.changed


def test_century_rules():
    assert cpr_century(0, 99) == 1900
    assert cpr_century(4, 36) == 2000 and cpr_century(4, 37) == 1900
    assert cpr_century(6, 57) == 2000 and cpr_century(6, 58) == 1800
    assert cpr_century(9, 10) == 2000 and cpr_century(9, 50) == 1900
