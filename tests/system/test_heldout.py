"""The open held-out set through the real Rasa and action servers, scored
once, with floors.

bot.ops.evaluate.evaluate_set scores tests/heldout/open/ on the session's
servers exactly as `kommunebot eval` does, and every check below reads
that one report (also written to results/heldout/). The headline figures
are the items written apart from the training data; the older items
written beside it (written: beside-training) are scored on their own,
as they always were, and have floors of their own. The sealed set is
only run by `kommunebot eval --sealed`. Targets are reported by
`kommunebot eval`; these tests fail below the floors.
"""

from __future__ import annotations

import pytest

from bot.content import evaluation, heldout
from bot.ops.evaluate import PARTS, converser, evaluate_set, write_report
from bot.ops.http import rasa_parser
from tests.conftest import PROJECT_ROOT

OPEN = PROJECT_ROOT / heldout.OPEN
# Floors against regressions, below the figures `kommunebot eval` measured
# on the open set with the model of 2026-12-04: macro-F1 0.934, first reply
# 95.8 % of 260 conversations, false escalation 0.8 % of 132, search 55.1 %
# of 127 near questions; the older set 0.970 macro-F1, every one of 61
# sensitive matters detected, 1.3 % of 80 plain questions detected anyway.
F1_FLOOR = 0.90
FIRST_REPLY_FLOOR = 0.90
MIN_CONVERSATIONS = 150  # the set had 260; fewer means files went missing
FALSE_ESCALATION_CEILING = 0.02
NEAR_FLOOR = 0.5
BESIDE_TRAINING_F1_FLOOR = 0.90
BESIDE_TRAINING_FALSE_DETECTION_CEILING = 0.05
# Per-intent F1 of the four original errands on the older set before
# flytning, sundhedskort, mitid and digital_post were added (kommunebot
# eval, 2026-11-22). New errands may cost each of them at most 0.02.
BEFORE_NEW_ERRANDS = {"pas": 1.000, "koerekort": 1.000, "affald": 0.939, "sygemelding": 0.958}
NEW_ERRAND_COST = 0.02
# cases.yml (issue 25), floors under the targets (case matters reach the
# callback >= 97 %, sensitive recall 100 %, plain false escalation <= 2 %).
# Measured on the open set (220 case matters, 63 sensitive, 140 plain since
# the first writer's former sealed part joined it): 98.6 %, 100 % and 0.7 %
# with the case model (issue 25, second session); with the signal phrases
# alone 91.8 % of the case matters; before any case reading, on the first
# 160/43/100, 47.5 %, 65.1 % and 6.0 %.
# Issue 26: the first reply gives the channel the errand requires (target
# 97 %, floor 92 %) and few conversations get a topic menu (target and
# ceiling 3 %). Measured on the open set (260 conversations) with the model
# of 2026-12-05: first reply's channel 96.9 % before and after answering
# first; a topic menu in 1.5 % (4) before, 0.8 % (2) after.
FIRST_REPLY_CHANNEL_FLOOR = 0.92
# Issue 26: out-of-scope recall at precision >= 0.90 (target), floor 0.80,
# scored by the first reply, which is what the citizen meets. Measured on the
# open set (174 out-of-scope messages, 2026-12-05, second session): precision
# 0.850, recall 0.879; by the NLU's intent alone 0.837 / 0.828.
OUT_OF_SCOPE_FLOOR = 0.80
MENU_CEILING = 0.03
# Issue 25, plain questions stay plain: errand messages whose first reply
# escalated (a callback as a case or sensitive matter, or 112) although no
# callback situation labels them. Measured on the open set (2,944 errand
# messages, 2026-12-06): 5.5 % before the training round of stories and
# questions about relatives, 3.3 % after; an upper bound, since a few older
# messages tell of a case without a callback label. The ceiling keeps that
# round's gain.
ERRAND_ESCALATION_CEILING = 0.05
CASE_CALLBACK_FLOOR = 0.90
CASE_SENSITIVE_RECALL = 1.0
CASE_PLAIN_CEILING = 0.03


@pytest.fixture(scope="module")
def report(stack):
    """The one evaluation of the open set, shared by every check."""
    report = evaluate_set(PROJECT_ROOT, False, set(PARTS), rasa_parser(stack.url, stack.api_token), converser(stack))
    write_report(PROJECT_ROOT / "results" / "heldout", report)
    print("\n" + report["text"])
    return report["data"]


def test_heldout_texts_identical_to_training_are_left_out():
    """Short messages ("pas", "hej") were written on both sides
    independently; the evaluation leaves them out and says how many."""
    trained = evaluation.training_texts(PROJECT_ROOT)
    items = heldout.load_messages(OPEN)
    kept, skipped = evaluation.unseen(items, trained)
    assert len(kept) + skipped == len(items) and skipped < len(items) * 0.1
    assert not {evaluation.normalise(m["text"]) for m in kept} & trained


def test_messages_written_beside_the_training_data_are_never_in_it():
    trained = evaluation.training_texts(PROJECT_ROOT)
    leaked = [
        m["text"]
        for m in heldout.load_messages(OPEN, heldout.BESIDE_TRAINING)
        if evaluation.normalise(m["text"]) in trained
    ]
    assert not leaked, leaked


def test_messages_macro_f1(report):
    messages = report["messages"]
    assert messages["macro_f1"] >= F1_FLOOR, evaluation.format_report(messages)


def test_out_of_scope_is_said_and_not_said_wrongly(report):
    scope = report["replies"]["per_intent"]["out_of_scope"]
    text = evaluation.format_replies(report["replies"])
    assert scope["precision"] >= OUT_OF_SCOPE_FLOOR and scope["recall"] >= OUT_OF_SCOPE_FLOOR, text


def test_errand_questions_are_not_escalated(report):
    replies = report["replies"]
    assert replies["errand_escalated"] <= ERRAND_ESCALATION_CEILING, evaluation.format_replies(replies)


def test_personal_versus_plain(report):
    sensitive = report["sensitive"]
    text = evaluation.format_sensitive(sensitive)
    assert sensitive["false_escalation"] <= FALSE_ESCALATION_CEILING, text
    assert sensitive["personal_recall"] == 1.0, text
    assert sensitive["urgent_recall"] == 1.0, text


def test_conversations_first_reply_right_channel(report):
    conversations = report["conversations"]
    total = conversations["total"]
    text = evaluation.format_conversations(conversations)
    assert total["conversations"] >= MIN_CONVERSATIONS
    assert total["first"] / total["conversations"] >= FIRST_REPLY_FLOOR, text


def test_conversations_first_reply_gives_the_required_channel(report):
    total = report["conversations"]["total"]
    text = evaluation.format_conversations(report["conversations"])
    assert total["first_channel"] / total["conversations"] >= FIRST_REPLY_CHANNEL_FLOOR, text


def test_few_conversations_get_a_topic_menu(report):
    total = report["conversations"]["total"]
    text = evaluation.format_conversations(report["conversations"])
    assert total["menus"] / total["conversations"] <= MENU_CEILING, text


def test_search_suggests_for_close_questions(report):
    assert report["search"]["near_hit"] >= NEAR_FLOOR, evaluation.format_search(report["search"])


def test_search_stays_away_from_nonsense(report):
    assert report["search"]["nonsense_suggested"] == [], evaluation.format_search(report["search"])


def test_messages_written_beside_the_training_data_macro_f1(report):
    older = report["messages_beside_training"]
    assert older["macro_f1_errands"] >= BESIDE_TRAINING_F1_FLOOR, evaluation.format_report(older)


def test_original_errands_lose_at_most_002_f1(report):
    per_intent = report["messages_beside_training"]["per_intent"]
    lost = {
        intent: (before, per_intent[intent]["f1"])
        for intent, before in BEFORE_NEW_ERRANDS.items()
        if per_intent[intent]["f1"] < before - NEW_ERRAND_COST
    }
    assert not lost, evaluation.format_report(report["messages_beside_training"])


def test_sensitive_matters_written_beside_the_training_data_are_detected(report):
    """Every personal or urgent one is detected by the NLU and the term
    list alone (recall 100 %); few plain errand questions are."""
    detection = report["sensitive_beside_training"]
    text = evaluation.format_detection(detection)
    assert not detection["missed"], text
    assert detection["false_escalation"] <= BESIDE_TRAINING_FALSE_DETECTION_CEILING, text


def test_heldout_nonsense_gets_no_suggestion_through_the_servers(stack):
    """What the citizen sees: held-out nonsense typed into the real chat
    never gets "Mente du …?" buttons, whatever the NLU made of it."""
    sets = heldout.load_search(OPEN)
    offered = []
    for n, item in enumerate(sets["nonsense"]):
        _, reply = stack.send(f"nonsense-{n}", item["text"])
        buttons = [b.get("title") for m in reply for b in m.get("buttons") or []]
        if "Ingen af dem" in buttons or any("Mente du" in (m.get("text") or "") for m in reply):
            offered.append(item["text"])
    assert offered == []


def test_case_matters_reach_the_callback(report):
    cases = report["cases"]
    assert cases["case"] >= 150 and cases["case_callback"] >= CASE_CALLBACK_FLOOR, evaluation.format_cases(cases)


def test_every_sensitive_kind_reaches_the_callback_and_urgent_gets_112(report):
    cases = report["cases"]
    assert cases["sensitive_recall"] >= CASE_SENSITIVE_RECALL, evaluation.format_cases(cases)


def test_plain_questions_that_mention_money_age_health_or_a_relative_stay_plain(report):
    cases = report["cases"]
    assert cases["plain_false_escalation"] <= CASE_PLAIN_CEILING, evaluation.format_cases(cases)
