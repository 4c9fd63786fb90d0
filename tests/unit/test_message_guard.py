from bot.privacy.message_guard import check_message


def test_empty_and_blank():
    for raw in (None, "", "   ", "\n\t", "\u200b\u200b"):
        result = check_message(raw, 2000)
        assert result.problem == "empty_message" and result.text is None


def test_too_long_is_refused_with_its_length():
    result = check_message("a" * 10_000, 2000)
    assert (result.problem, result.length, result.text) == ("too_long", 10_000, None)


def test_ordinary_text_emoji_and_html_pass_unchanged():
    for raw in ("hvornår tømmes skraldet?", "😀😀😀", "<script>alert(1)</script>", "kørekort\nfornyelse"):
        assert check_message(raw, 2000).text == raw


def test_control_characters_removed_and_unicode_normalised():
    assert check_message("pas\x00\x07 ", 2000).text == "pas"
    # "ø" typed as o + combining stroke is not NFC-composable, but "å" as a + ring is.
    assert check_message("ha\u030andbog", 2000).text == "håndbog"
