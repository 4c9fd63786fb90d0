"""Issue 27, items 3, 5 and 7, as a citizen sees them in the widget, in real
headless Chromium against the running assistant: the quiet "Opdateret
<måned år>" under an answer (and "Updated <Month year>" in English), the
callback's topic list operated by keyboard, and an urgent housing matter
offered today's times or told what to do today."""

from __future__ import annotations

import datetime as dt
import re

from bot.callbacks.hours import DANISH_MONTHS, DANISH_WEEKDAYS
from bot.knowledge.store import open_knowledge
from bot.knowledge.texts import month_year
from bot.settings import PROJECT_ROOT
from tests.browser import test_widget_browser as widget
from tests.browser.test_widget_browser import BOT, ask, click_choice, wait_reply
from tests.conftest import phone_number

# The widget tests' browser fixtures: a 1280 px Danish page with the widget.
context, page = widget.context, widget.page


def _knowledge():
    return open_knowledge(PROJECT_ROOT / "build" / "knowledge.db")


def _updated(topic: str, word: str, language: str) -> set[str]:
    """The review lines the errand's answers can show: "Opdateret november 2026"."""
    found = _knowledge().topics[topic]
    answers = [found.general, *found.answers] if found.general else found.answers
    return {f"{word} {month_year(a.reviewed, language)}" for a in answers}


def _body(message) -> str:
    """A message's text without the screen readers' "Assistent:" label."""
    return message.inner_text().removeprefix("Assistent:").strip()


def _lines(reply) -> list[str]:
    return [line.strip() for line in reply.inner_text().splitlines()]


def test_an_answer_shows_when_it_was_last_checked_in_danish_and_english(page, stack):
    page.locator(".kb-launcher").click()
    # The waste answer's general facts, as the first reply (an errand answer).
    reply = ask(page, "hvornår bliver skraldet hentet")
    shown = [line for line in _lines(reply) if line.startswith("Opdateret")]
    # One line, with the review date of one of the errand's answers.
    assert len(shown) == 1 and shown[0] in _updated("affald", "Opdateret", "da"), reply.inner_text()

    assert "adult or a child" in ask(page, "how do I renew my passport").inner_text()
    english = click_choice(page, "Adult")
    marked = [m for m in english.messages if m.get_attribute("lang") == "en"]
    updated = [line for m in marked for line in m.inner_text().splitlines() if line.strip().startswith("Updated ")]
    assert updated, english.inner_text()
    assert all(line.strip() in _updated("pas", "Updated", "en") for line in updated), updated
    # Never the Danish line inside the English reply.
    assert not any(line.startswith("Opdateret") for line in _lines(english)), english.inner_text()


def _focus_choice_by_keyboard(page, message, name: str) -> list[str]:
    """Shift+Tab from the input until the choice ``name`` of ``message`` has
    focus; the names of the message's choices that had focus on the way."""
    page.locator("#kb-input").focus()
    seen = []
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        focused = message.locator(".kb-choice:focus")
        if focused.count():
            seen.append(focused.inner_text())
            if focused.inner_text() == name:
                return seen
    raise AssertionError(f"{name!r} not reached by keyboard; reached {seen}")


def test_a_callback_with_no_errand_known_chooses_its_topic_by_keyboard(page, stack):
    page.locator(".kb-launcher").click()
    assert "Hvad er dit navn?" in ask(page, "jeg vil gerne ringes op").inner_text()
    assert "telefonnummer" in ask(page, "Karen Hansen").inner_text()
    topic = ask(page, phone_number())
    assert "Hvad drejer opringningen sig om?" in topic.inner_text()
    message = page.locator(".kb-msg").last
    choices = message.locator(".kb-choice")
    names = choices.all_inner_texts()
    assert "Pas" in names and names[-1] == "Noget andet", names
    assert all(choices.nth(i).evaluate("e => e.tagName") == "BUTTON" for i in range(choices.count()))
    # Reached backwards from the input: every choice after "Pas" is passed on the way.
    seen = _focus_choice_by_keyboard(page, message, "Pas")
    assert seen == list(reversed(names[names.index("Pas") :])), seen
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")
    offer = wait_reply(page, before)
    assert page.locator(".kb-user").last.inner_text().endswith("Pas")
    assert "Hvornår passer det dig at blive ringet op?" in offer.inner_text(), offer.inner_text()
    slots = page.locator(".kb-msg").last.locator(".kb-choice").all_inner_texts()
    assert slots and " kl. " in slots[0], slots
    assert page.errors == []


def test_an_urgent_housing_matter_gets_a_time_today_or_the_same_day_line(page, stack):
    page.locator(".kb-launcher").click()
    sensitive = ask(page, "vi bliver sat ud af lejligheden på fredag og har ingen steder at bo")
    assert "sikker kanal" in sensitive.inner_text(), sensitive.inner_text()
    assert "Hvad er dit navn?" in click_choice(page, re.compile("ring mig op")).inner_text()
    assert "telefonnummer" in ask(page, "Karen Hansen").inner_text()
    topic = ask(page, phone_number())
    assert "Drejer det sig om bolig, mad eller medicin i fare?" in topic.inner_text(), topic.inner_text()
    offer = click_choice(page, "Ja")
    text = offer.inner_text()
    slots = page.locator(".kb-msg").last.locator(".kb-choice").all_inner_texts()
    # Today by the clock of the municipality's callback hours: weekends,
    # holidays and late hours have no time today.
    nyborg = _knowledge().municipalities["nyborg"]
    today = dt.datetime.now(dt.timezone.utc).astimezone(nyborg.callback_hours.tz).date()
    today_label = f"{DANISH_WEEKDAYS[today.weekday()]} {today.day}. {DANISH_MONTHS[today.month - 1]} kl. "
    same_day = "Det haster, og der er ingen ledig tid i dag."
    if slots and slots[0].startswith(today_label):
        # Today's times: only today's, and no same-day line.
        assert all(s.startswith(today_label) for s in slots if " kl. " in s), slots
        assert same_day not in text
    else:
        # No time today: the same-day line first, pointing to the website
        # (Nyborg's number is not verified), before the later times.
        assert _body(offer.messages[0]).startswith(same_day), (today_label, slots, text)
        assert text.index(same_day) < text.index("Hvornår passer det dig"), text
        assert "hovednummeret, som står på https://www.nyborg.dk" in text
    assert page.errors == []
