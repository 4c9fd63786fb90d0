"""The inbox's counts per kind, its filters by kind and errand, and its
pages (issue 28 item 6), on a real SQLite database."""

from __future__ import annotations

import pytest

from bot.records.inbox import KINDS, Inbox


@pytest.fixture
def inbox(tmp_path):
    store = Inbox(tmp_path / "data.db")
    store.add("nyborg", "hvornår kommer skraldebilen", "fallback", "nlu_fallback", 0.3, ["affald/toemning"])
    store.add("nyborg", "hvordan fornyer jeg det", "corrected", "pas", 0.6, chosen="koerekort")
    store.add("nyborg", "min mor er syg og skal have sundhedskort", "declined", "personal_matter", 0.7)
    store.add("nyborg", "kan jeg få et nyt digitalt kort", "corrected", "sundhedskort", 0.5, chosen="digital_post")
    store.add("glostrup", "hvad er vejret", "out_of_scope", "out_of_scope", 0.9)
    yield store
    store.close()


def texts(messages):
    return [m.text for m in messages]


def test_counts_per_kind_in_scope(inbox):
    assert inbox.counts(municipalities=["nyborg"]) == {
        "fallback": 1,
        "out_of_scope": 0,
        "declined": 1,
        "corrected": 2,
    }
    assert sum(inbox.counts().values()) == 5 and tuple(inbox.counts()) == KINDS


def test_filter_by_kind_and_errand(inbox):
    assert texts(inbox.list(kind="declined")) == ["min mor er syg og skal have sundhedskort"]
    # An errand the assistant guessed, or the one the citizen corrected to.
    assert texts(inbox.list(errand="koerekort")) == ["hvordan fornyer jeg det"]
    assert texts(inbox.list(errand="pas")) == ["hvordan fornyer jeg det"]
    assert texts(inbox.list(errand="affald")) == []  # a suggestion not chosen is no errand of the message
    assert inbox.counts(errand="digital_post")["corrected"] == 1
    assert inbox.list(errand="digital%post") == [] and inbox.list(errand="digitalxpost") == []  # no wildcards
    inbox.choose(1, "affald/toemning")
    assert texts(inbox.list(errand="affald")) == ["hvornår kommer skraldebilen"]
    # The filter's choices: what was guessed and what was chosen (the console keeps the errands).
    assert set(inbox.errands(municipalities=["nyborg"])) == {
        *("nlu_fallback", "pas", "personal_matter", "sundhedskort"),
        *("affald", "koerekort", "digital_post"),
    }


def test_pages_are_newest_first_and_do_not_overlap(tmp_path):
    store = Inbox(tmp_path / "data.db")
    for i in range(60):
        store.add("nyborg", f"besked nummer {i}", "fallback")
    pages = [texts(store.list(limit=25, offset=offset)) for offset in (0, 25, 50)]
    assert [len(p) for p in pages] == [25, 25, 10]
    assert pages[0][0] == "besked nummer 59" and pages[2][-1] == "besked nummer 0"
    assert len({t for p in pages for t in p}) == 60


def test_an_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError):
        Inbox(tmp_path / "data.db").add("nyborg", "hej", "something")
