"""The fallback inbox is scoped per municipality (issue 22): a caller sees,
reads and decides only the messages of the municipalities it is given; any
other message is "not found" and deciding it journals nothing."""

from __future__ import annotations

import pytest

from bot.callbacks.store import CallbackStore
from bot.console.accounts import ALL, User
from bot.records.inbox import Inbox, InboxError


@pytest.fixture
def inbox(tmp_path):
    return Inbox(tmp_path / "kommunebot.db")


def _user(municipality):
    return User(1, "eva", "Eva", "editor", False, "2026-01-01T00:00:00+00:00", municipality)


def test_each_municipality_lists_only_its_own(inbox):
    nyborg = inbox.add("nyborg", "hvornår tømmes min container", "fallback")
    glostrup = inbox.add("glostrup", "må jeg fodre ænderne", "out_of_scope")
    assert [m.id for m in inbox.list(municipalities=("nyborg",))] == [nyborg]
    assert [m.id for m in inbox.list(municipalities=("glostrup",))] == [glostrup]
    assert inbox.list(municipalities=()) == []
    assert {m.id for m in inbox.list()} == {nyborg, glostrup}  # no scope: the command line and admins


def test_another_municipalitys_message_is_not_found_and_not_decided(inbox, tmp_path):
    glostrup = inbox.add("glostrup", "må jeg fodre ænderne", "out_of_scope")
    with pytest.raises(InboxError) as err:
        inbox.get(glostrup, municipalities=("nyborg",))
    assert err.value.reason == "not_found"
    for status in ("dismissed", "assigned"):
        with pytest.raises(InboxError) as err:
            inbox.decide(glostrup, status, "eva", intent="affald", municipalities=("nyborg",))
        assert err.value.reason == "not_found"  # the same answer as an id that does not exist
    assert inbox.get(glostrup).status == "new"
    assert not [e for e in CallbackStore(tmp_path / "kommunebot.db").events() if e["action"].startswith("inbox_")]
    inbox.decide(glostrup, "dismissed", "gina", municipalities=("glostrup",))
    assert inbox.get(glostrup, municipalities=("glostrup",)).status == "dismissed"


def test_a_users_scope_follows_the_municipality(inbox):
    assert _user("nyborg").scope == ("nyborg",)
    assert _user(ALL).scope is None  # an admin of all municipalities
    assert _user(None).scope == ()  # an account from before municipalities sees nothing
