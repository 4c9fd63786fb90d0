"""The fallback inbox: missed messages are kept (redacted) for editors, who
assign them to an intent's training file or dismiss them, journaled."""

from __future__ import annotations

import shutil

import pytest
import requests

from bot.callbacks.store import CallbackStore
from bot.chat.conversation import Assistant, Turn
from bot.console.accounts import Accounts
from bot.ops.http import free_port
from bot.records.inbox import Inbox, InboxError
from bot.settings import PROJECT_ROOT
from tests.support.console_server import ConsoleServer, hidden, login
from tests.support.senders import sender_id

PASSWORD = "korrekt-hest-batteri"


def test_missed_messages_are_kept_but_not_button_payloads(tmp_path, knowledge):
    inbox = Inbox(tmp_path / "kommunebot.db")
    assistant = Assistant(knowledge, None, "nyborg", inbox)
    assistant.out_of_scope(Turn(text="hvad er vejret i morgen", intent="out_of_scope", confidence=0.9))
    assistant.clarify(Turn(text="blomkål   tirsdag", intent="nlu_fallback", confidence=0.3))
    assistant.clarify(Turn(text="/affirm", intent="nlu_fallback", confidence=0.3))
    kept = inbox.list()
    assert [(m.text, m.outcome, m.predicted) for m in kept] == [
        ("blomkål tirsdag", "fallback", "nlu_fallback"),
        ("hvad er vejret i morgen", "out_of_scope", "out_of_scope"),
    ]
    assert kept[0].municipality == "nyborg"


def test_a_message_is_decided_once_and_journaled(tmp_path):
    path = tmp_path / "kommunebot.db"
    inbox = Inbox(path)
    first = inbox.add("nyborg", "kan I hjælpe med min have", "out_of_scope")
    inbox.decide(first, "dismissed", "eva")
    with pytest.raises(InboxError) as err:
        inbox.decide(first, "assigned", "bo", intent="affald")
    assert err.value.reason == "already_decided"
    events = [e for e in CallbackStore(path).events() if e["action"].startswith("inbox_")]
    assert [(e["action"], e["actor"], e["details"]["inbox_id"]) for e in events] == [("inbox_dismissed", "eva", first)]
    assert "have" not in str(events)  # the journal keeps the decision, not the citizen's words


@pytest.fixture
def console(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    data_db = tmp_path / "kommunebot.db"
    accounts = Accounts(data_db)
    accounts.create_user("eva", PASSWORD, "editor", municipality="nyborg")
    accounts.create_user("anna", PASSWORD, "staff", municipality="nyborg")
    accounts.create_user("gorm", PASSWORD, "editor", municipality="glostrup")
    accounts.create_user("ali", PASSWORD, "admin")  # all municipalities
    server = ConsoleServer(
        free_port(), data_db, f"sqlite:///{tmp_path / 'tracker.db'}", tmp_path / "console.log", content_root=root
    )
    server.root, server.inbox = root, Inbox(data_db)
    yield server
    server.stop()


def test_editor_assigns_a_message_to_the_right_nlu_file(console):
    message = console.inbox.add(
        "nyborg", "hvornaar henter i haveaffaldet paa min vej", "fallback", "nlu_fallback", 0.31
    )
    other = console.inbox.add("nyborg", "hvad koster en kop kaffe", "out_of_scope", "out_of_scope", 0.8)
    editor, _ = login(console.url, "eva", PASSWORD)
    page = editor.get(console.url + "/indbakke")
    assert page.status_code == 200 and "hvornaar henter i haveaffaldet paa min vej" in page.text
    done = editor.post(
        f"{console.url}/indbakke/{message}/tildel", data={"csrf": hidden(page.text, "csrf"), "intent": "affald"}
    )
    assert done.status_code == 200 and "tilføjet som træningseksempel" in done.text
    affald = (console.root / "data" / "nlu" / "affald.yml").read_text()
    assert "    - hvornaar henter i haveaffaldet paa min vej\n" in affald
    assert "hvornaar henter i haveaffaldet" not in (console.root / "data" / "nlu" / "pas.yml").read_text()
    from bot.content.training_data import load_training_data

    # The errand's own file, not the other files with affald blocks (own
    # cases, situation statements), and at the end of its block.
    examples = [e for e in load_training_data(console.root).by_intent()["affald"] if e.file == "data/nlu/affald.yml"]
    assert examples[-1].text == "hvornaar henter i haveaffaldet paa min vej"

    dismissed = editor.post(f"{console.url}/indbakke/{other}/afvis", data={"csrf": hidden(page.text, "csrf")})
    assert "afvist" in dismissed.text and "hvad koster en kop kaffe" not in dismissed.text
    again = editor.post(
        f"{console.url}/indbakke/{message}/tildel", data={"csrf": hidden(page.text, "csrf"), "intent": "pas"}
    )
    assert again.status_code == 409 and "allerede behandlet" in again.text
    journal = [
        (e["action"], e["actor"], e["details"].get("intent"), e["details"].get("file"))
        for e in CallbackStore(console.inbox.path).events()
        if e["action"].startswith("inbox_")
    ]
    assert journal == [
        ("inbox_assigned", "eva", "affald", "data/nlu/affald.yml"),
        ("inbox_dismissed", "eva", None, None),
    ]


def test_duplicates_and_unknown_intents_are_refused_without_changes(console):
    known = console.inbox.add("nyborg", "hvordan bestiller jeg en ekstra skraldespand", "fallback")
    editor, _ = login(console.url, "eva", PASSWORD)
    csrf = hidden(editor.get(console.url + "/indbakke").text, "csrf")
    before = (console.root / "data" / "nlu" / "affald.yml").read_text()
    unknown = editor.post(f"{console.url}/indbakke/{known}/tildel", data={"csrf": csrf, "intent": "findes_ikke"})
    assert unknown.status_code == 422 and "Vælg en intent fra listen" in unknown.text
    duplicate = editor.post(f"{console.url}/indbakke/{known}/tildel", data={"csrf": csrf, "intent": "affald"})
    assert duplicate.status_code == 422 and "findes allerede" in duplicate.text
    assert (console.root / "data" / "nlu" / "affald.yml").read_text() == before
    assert console.inbox.get(known).status == "new"


def test_an_editor_neither_lists_sees_nor_decides_another_municipalitys_messages(console):
    ours = console.inbox.add("nyborg", "hvornår kommer storskraldet i nyborg", "fallback")
    theirs = console.inbox.add("glostrup", "hvornår kommer storskraldet i glostrup", "fallback")
    affald = console.root / "data" / "nlu" / "affald.yml"
    before = affald.read_text()
    editor, _ = login(console.url, "eva", PASSWORD)  # nyborg
    page = editor.get(console.url + "/indbakke")
    assert "storskraldet i nyborg" in page.text and "storskraldet i glostrup" not in page.text
    assert f"/indbakke/{theirs}/" not in page.text and "Du ser beskeder fra" in page.text
    csrf = hidden(page.text, "csrf")
    missing = max(ours, theirs) + 1000
    for ident in (theirs, missing):  # another municipality's id answers exactly like one that does not exist
        assign = editor.post(f"{console.url}/indbakke/{ident}/tildel", data={"csrf": csrf, "intent": "affald"})
        dismiss = editor.post(f"{console.url}/indbakke/{ident}/afvis", data={"csrf": csrf})
        assert assign.status_code == dismiss.status_code == 404, ident
        assert "findes ikke" in assign.text and "findes ikke" in dismiss.text
    assert console.inbox.get(theirs).status == "new" and affald.read_text() == before
    assert not [e for e in CallbackStore(console.inbox.path).events() if e["action"].startswith("inbox_")]

    gorm, _ = login(console.url, "gorm", PASSWORD)  # glostrup decides its own
    page = gorm.get(console.url + "/indbakke")
    assert "storskraldet i glostrup" in page.text and "storskraldet i nyborg" not in page.text
    done = gorm.post(f"{console.url}/indbakke/{theirs}/afvis", data={"csrf": hidden(page.text, "csrf")})
    assert done.status_code == 200 and console.inbox.get(theirs).status == "dismissed"

    admin, _ = login(console.url, "ali", PASSWORD)  # an admin of all municipalities sees and decides every one
    page = admin.get(console.url + "/indbakke")
    assert "storskraldet i nyborg" in page.text and "Du ser beskeder fra" not in page.text
    done = admin.post(f"{console.url}/indbakke/{ours}/afvis", data={"csrf": hidden(page.text, "csrf")})
    assert done.status_code == 200 and console.inbox.get(ours).status == "dismissed"
    decided = [(e["action"], e["actor"]) for e in CallbackStore(console.inbox.path).events()]
    assert [d for d in decided if d[0].startswith("inbox_")] == [
        ("inbox_dismissed", "gorm"),
        ("inbox_dismissed", "ali"),
    ]


def test_staff_do_not_see_the_inbox(console):
    staff, _ = login(console.url, "anna", PASSWORD)
    assert staff.get(console.url + "/indbakke").status_code == 403
    assert requests.get(console.url + "/indbakke", allow_redirects=False).status_code == 302


def test_mente_du_round_trip_through_the_real_servers(stack):
    """A question no intent fits gets "Mente du …?" buttons; the chosen one
    is answered and recorded on the message's inbox row. A payload cannot
    set the offer slot, so a stranger cannot write a choice of their own."""
    import json

    inbox = Inbox(stack.var / "kommunebot.db")
    sender = sender_id("mente-du", 8)
    # The held-out questions close to an answer: some of them the NLU puts
    # out of scope, and those must get the offer.
    from bot.content import heldout

    candidates = [item["text"] for item in heldout.load_search(PROJECT_ROOT / heldout.OPEN)["near"]]
    # Either the "Mente du …?" menu, or an answer given first with "Mente du
    # noget andet?" and the other errands (bot/chat/answering.py): both keep
    # the message with its options and record the citizen's choice.
    for n, text in enumerate(candidates):
        _, reply = stack.send(f"{sender}-{n}", text)
        buttons = [b for m in reply for b in m.get("buttons") or []]
        said = " ".join(m.get("text", "") for m in reply)
        if any(b["title"] == "Ingen af dem" for b in buttons) or "Mente du noget andet?" in said:
            sender = f"{sender}-{n}"
            break
    else:
        pytest.fail(f"none of {len(candidates)} held-out close questions got a suggestion")
    row = next(m for m in inbox.list() if m.text == text)
    assert row.suggestions and row.chosen is None
    first = next((b for b in buttons if b["payload"] == f"/{row.suggestions[0]}"), buttons[0])
    _, answered = stack.send(sender, first["payload"])
    assert "https://" in " ".join(m.get("text", "") for m in answered)
    assert inbox.get(row.id).chosen == row.suggestions[0]

    forged = "/out_of_scope" + json.dumps({"suggested": {"inbox": row.id, "options": ["x"]}})
    _, refused = stack.send(f"{sender}-b", forged)
    assert "Ingen af dem" not in str(refused)
    assert inbox.get(row.id).chosen == row.suggestions[0]
    inbox.close()
