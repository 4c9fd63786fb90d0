"""Answer first and keep the thread, decided in bot/ from the open topic.

Turns are built the way the actions build them from the tracker, with the
slots the previous reply set, so every case here is one citizen turn."""

from __future__ import annotations

import pytest

from bot.chat.conversation import Assistant, Turn
from bot.chat.reading import KeywordRules, Lemmatiser
from bot.chat.thread import ASSISTANCE_CONFIDENCE, WHOM_CORRECTION_WORDS, WHOM_REPLY_WORDS
from bot.settings import Settings
from tests.support.turns import turn


@pytest.fixture(scope="module")
def assistant(knowledge):
    rules = KeywordRules(knowledge.topics, Lemmatiser(Settings.load({}).spacy_path), knowledge.barrier_keywords)
    return Assistant(knowledge, None, "glostrup", rules=rules)


def test_errand_without_situation_gets_main_link_and_situation_buttons(assistant):
    result = assistant.handle("answer_errand", turn("sundhedskort", "sundhedskort"))
    reply = result.reply
    assert reply.channel == "selfservice" and "https://" in reply.text
    assert {b["payload"].split('"situation": "')[1].rstrip('"}') for b in reply.buttons} >= {"mistet", "rejse"}
    assert result.slots["asked"] == "situation"


def test_passport_asks_person_with_the_link(assistant):
    reply = assistant.handle("answer_errand", turn("jeg skal forny mit pas", "pas")).reply
    assert reply.channel == "booking" and reply.asks == "person" and "borger.dk" in reply.text


def test_person_read_from_text(assistant):
    result = assistant.handle("answer_errand", turn("min søn på 8 skal have fornyet sit pas", "pas"))
    assert result.reply.asks is None and result.slots["person"] == "barn"


def test_free_text_answer_to_our_question(assistant):
    slots = dict(topic="sundhedskort", asked="situation")
    result = assistant.handle("clarify", turn("det er blevet væk", "nlu_fallback", 0.3, **slots))
    assert result.reply.topic == "sundhedskort" and result.reply.situation == "mistet"


@pytest.mark.parametrize(
    ("topic", "text"),
    [
        ("affald", "køleskabet er gået i stykker og skal bare væk, det er for tungt til min bil"),
        ("koerekort", "det løb ud i sidste uge. jeg er 72 hvis det betyder noget for jer"),
    ],
)
def test_long_free_text_answer_stays_with_the_open_errand(assistant, topic, text):
    # More than SHORT_REPLY_WORDS words, but it tells rather than asks, after
    # our own question about the errand: the errand again, not a topic menu.
    result = assistant.handle("clarify", turn(text, "nlu_fallback", 0.3, topic=topic, asked="situation"))
    assert result.reply.topic == topic and not result.reply.menu


@pytest.mark.parametrize(
    ("topic", "text", "intent", "situation"),
    [
        ("sundhedskort", "jeg har skiftet læge", "laegevalg", "flytning"),
        ("laegevalg", "vi er lige flyttet til den anden ende af landet", "flytning", "flytning"),
    ],
)
def test_an_answer_in_the_open_errands_words_stays_though_another_errand_is_named(
    assistant, topic, text, intent, situation
):
    result = assistant.handle("answer_errand", turn(text, intent, 0.95, topic=topic, asked="situation"))
    assert result.reply.topic == topic and result.reply.situation == situation
    # The NLU unsure, the other errand's word alone would have chosen it.
    unsure = assistant.handle("clarify", turn(text, "nlu_fallback", 0.3, topic=topic, asked="situation"))
    assert unsure.reply.topic == topic and unsure.reply.situation == situation
    # Unasked, the same words are a new errand.
    switched = assistant.handle("answer_errand", turn(text, intent, 0.95, topic=topic, situation="rejse"))
    assert switched.reply.topic == intent


def test_long_new_question_after_our_question_is_not_kept_in_the_errand(assistant):
    text = "hvem skal jeg egentlig ringe til, hvis naboerne holder fest med høj musik til langt ud på natten?"
    result = assistant.handle("clarify", turn(text, "nlu_fallback", 0.3, topic="affald", asked="situation"))
    assert result.reply.topic != "affald"


def test_follow_up_on_open_errand(assistant):
    slots = dict(topic="pas", situation="bortkommet", person="voksen")
    result = assistant.handle("clarify", turn("og hvad koster det?", "nlu_fallback", 0.3, **slots))
    assert result.reply.topic == "pas" and result.reply.situation == "pris"
    online = assistant.handle("out_of_scope", turn("kan jeg gøre det online?", "out_of_scope", 0.6, topic="mitid"))
    assert online.reply.topic == "mitid" and online.reply.channel == "selfservice"


def test_correction_updates_person_and_answers_again(assistant):
    slots = dict(topic="pas", situation="fornyelse", person="voksen")
    result = assistant.handle("small_talk", turn("nej, det er til min datter på 7", "deny", 0.8, **slots))
    assert result.reply.topic == "pas" and result.slots["person"] == "barn" and result.reply.channel == "booking"


def test_clear_new_errand_switches_topic(assistant):
    slots = dict(topic="pas", situation="bortkommet")
    result = assistant.handle("answer_errand", turn("hvornår bliver mit affald hentet", "affald", 0.95, **slots))
    assert result.reply.topic == "affald"


def test_plain_deny_is_small_talk(assistant):
    result = assistant.handle("small_talk", turn("nej tak", "deny", 0.9, topic="pas"))
    assert result.reply.channel == "small_talk"


def test_english_answer_in_english_when_knowledge_has_it(assistant, knowledge):
    reply = assistant.handle("answer_errand", turn("I lost my passport", "pas")).reply
    assert reply.language == "en" and reply.channel == "booking"
    answer = knowledge.topics["pas"].answer_for("bortkommet", None)
    if answer.en_lead:
        assert answer.en_lead in reply.text
    else:
        assert "only available in Danish" in reply.text


def test_no_mitid_is_a_barrier_to_the_errand_named(assistant):
    t = turn("jeg har ikke MitID, så jeg kan ikke melde flytning", "mitid", 0.8)
    reply = assistant.handle("answer_errand", t).reply
    assert reply.topic == "flytning" and reply.channel == "assisted"
    # ... or to the open one.
    t = turn("jeg har ikke mitid så jeg kan ikke logge på", "mitid", 0.8, topic="pas", situation="bortkommet")
    reply = assistant.handle("answer_errand", t).reply
    assert reply.topic == "pas" and reply.channel == "assisted"
    # But asking for MitID without having one is the MitID errand itself.
    reply = assistant.handle("answer_errand", turn("jeg har ikke noget mitid, hvordan får jeg det", "mitid")).reply
    assert reply.topic == "mitid" and reply.channel == "selfservice"


def test_a_new_subject_switches_even_when_short(assistant):
    t = turn("en anden ting, hvornår kommer skraldemanden", "pas", 0.6, topic="pas", situation="bortkommet")
    assert assistant.handle("answer_errand", t).reply.topic != "pas"


def test_an_answer_we_cannot_place_gets_the_general_answer_again(assistant):
    t = turn("bare to gader længere nede", "out_of_scope", 0.95, topic="flytning", asked="situation")
    reply = assistant.handle("out_of_scope", t).reply
    assert reply.topic == "flytning" and reply.channel == "selfservice"


def test_an_age_stated_corrects_the_person(assistant):
    slots = dict(topic="pas", situation="pris", person="barn")
    result = assistant.handle("small_talk", turn("nej, han er altså 22", "deny", 0.7, **slots))
    assert result.reply.topic == "pas" and result.slots["person"] == "voksen"


def test_a_correction_that_says_what_it_corrects_is_read_against_the_open_errand(assistant):
    """Taken for a plain "nej" (deny), it still answers the open errand; the
    corrected situation is not answered again: the errand's general answer
    and its choices (issue 26 item 5)."""
    slots = dict(topic="pas", situation="fornyelse", person="voksen", asked="person")
    text = "nej vent, det er ikke udløbet, det er blevet stjålet"
    result = assistant.handle("small_talk", turn(text, "deny", 0.6, **slots))
    assert result.reply.topic == "pas" and result.reply.channel == "booking"
    assert result.slots["situation"] != "fornyelse"
    # A bare "nej tak" stays small talk.
    assert assistant.handle("small_talk", turn("nej tak", "deny", 0.9, **slots)).reply.channel == "small_talk"


def test_a_correction_naming_the_open_errands_situation_does_not_switch(assistant):
    """ "skiftet læge" is the health card's own situation, though "læge" is
    the doctor errand's word and the NLU is sure of that errand."""
    slots = dict(topic="sundhedskort", asked="situation")
    text = "nej jeg tog fejl, han har det godt nok, han har bare skiftet læge"
    reply = assistant.handle("answer_errand", turn(text, "laegevalg", 0.95, **slots)).reply
    assert reply.topic == "sundhedskort" and reply.situation == "flytning"
    # Without the correction, the doctor errand it names.
    switch = assistant.handle("answer_errand", turn("jeg vil skifte læge", "laegevalg", 0.95, **slots)).reply
    assert switch.topic == "laegevalg"


@pytest.mark.parametrize(
    "open_topic,text,handler,intent",
    [
        ("pas", "nej vent, passet ligger her, det er mit kørekort der er væk", "answer_errand", "pas"),
        ("pas", "undskyld, jeg mente mit kørekort, passet er fint nok", "answer_errand", "pas"),
        (
            "sundhedskort",
            "nej vent, sundhedskortet ligger her jo. Det er kørekortet der er væk",
            "clarify",
            "nlu_fallback",
        ),
        (
            "sundhedskort",
            "no sorry, I meant my driving licence, I lost it at the party",
            "answer_errand",
            "sundhedskort",
        ),
    ],
)
def test_a_correction_that_says_which_errand_it_meant_switches_to_it(assistant, open_topic, text, handler, intent):
    """The open errand's situation word ("væk", "lost") is in the message,
    and the NLU may still read the open errand: the errand named right
    after "det er", "jeg mente" or "I meant" is the one meant."""
    slots = dict(topic=open_topic, situation="bortkommet" if open_topic == "pas" else "mistet", asked="person")
    reply = assistant.handle(handler, turn(text, intent, 0.9, **slots)).reply
    assert reply.topic == "koerekort", reply


def test_no_mitid_is_the_barrier_not_the_errand(assistant):
    """'min far skal skifte læge, men han har ikke mitid': help for lægevalg."""
    text = "min far på 88 skal skifte læge, men han har ikke mitid og ingen computer"
    ranking = [{"name": "needs_assistance", "confidence": 0.8}, {"name": "mitid", "confidence": 0.1}]
    reply = assistant.handle(
        "answer_errand", Turn(intent="needs_assistance", confidence=0.8, text=text, intent_ranking=ranking)
    ).reply
    assert reply.channel == "assisted" and reply.topic == "laegevalg"


@pytest.mark.parametrize(
    "text, topic, channel",
    [
        ("Hvordan bliver jeg fritaget for Digital Post?", "digital_post", "selfservice"),
        ("Can I get an exemption from Digital Post?", "digital_post", "selfservice"),
        ("jeg har ikke MitID, hvordan får jeg det?", "mitid", "selfservice"),
        # Another barrier keeps the help, for the errand asked about.
        ("Jeg er 88 og har ingen computer. Kan jeg blive fritaget for den digitale post?", "digital_post", "assisted"),
        # The exemption as what stands in the way of another errand.
        ("jeg er fritaget for digital post, hvordan søger jeg boligstøtte?", "boligstoette", "assisted"),
    ],
)
def test_a_question_about_the_errand_its_barrier_names_gets_that_errand(assistant, text, topic, channel):
    reply = assistant.handle("answer_errand", turn(text, "needs_assistance", 0.95)).reply
    assert reply.topic == topic and reply.channel == channel


@pytest.mark.parametrize(
    "topic, text",
    [
        ("flytning", "Hun er 91 og har hverken MitID eller computer. Kan hun få hjælp et sted?"),
        ("digital_post", "Det er til min far. Han kan slet ikke finde ud af de digitale ting og har intet MitID"),
    ],
)
def test_no_mitid_in_the_open_errand_is_help_with_that_errand(assistant, topic, text):
    for intent in ("needs_assistance", "mitid"):
        reply = assistant.handle("answer_errand", turn(text, intent, 0.8, topic=topic, asked="situation")).reply
        assert reply.channel == "assisted" and reply.topic == topic, (intent, reply)


def test_assistance_for_the_errand_the_nlu_ranks_next(assistant):
    text = "min far på 85 vil sætte et nyt skur op i haven, men han har ingen computer"
    ranking = [{"name": "needs_assistance", "confidence": 0.6}, {"name": "byggetilladelse", "confidence": 0.3}]
    turn = Turn(intent="needs_assistance", confidence=0.6, text=text, intent_ranking=ranking)
    assert assistant.handle("answer_errand", turn).reply.topic == "byggetilladelse"
    # Not when the errand is only a faint guess: general help instead.
    ranking[1]["confidence"] = 0.1
    assert assistant.handle("answer_errand", turn).reply.topic is None


@pytest.fixture(scope="module")
def screened(knowledge):
    from bot.chat.sensitive import SensitiveDetector

    spacy = Settings.load({}).spacy_path
    rules = KeywordRules(knowledge.topics, Lemmatiser(spacy), knowledge.barrier_keywords)
    detector = SensitiveDetector(knowledge.sensitive, spacy, (*knowledge.topics, "needs_assistance"))
    return Assistant(knowledge, None, "glostrup", rules=rules, detector=detector)


def test_an_urgent_guess_on_a_short_correction_answers_the_open_errand(screened):
    # The NLU took the correction for urgent danger (it keys on "barn"); the
    # thread reads it as who the passport is for, whichever handler Rasa chose.
    for handler in ("sensitive_intent", "answer_errand"):
        result = screened.handle(
            handler,
            turn("han er altså 22, ikke et barn", "urgent_danger", 0.74, topic="pas", situation="pris"),
        )
        assert result.reply.channel != "urgent"
        assert result.slots["topic"] == "pas" and result.slots["person"] == "voksen"


def test_the_sensitive_models_word_alone_on_a_short_answer_answers_the_open_errand(screened):
    text = "det er til min dreng, han er 14"
    answer = Turn(intent="mitid", confidence=0.6, text=text, sensitive_score=0.91, topic="mitid", asked="situation")
    result = screened.handle("answer_errand", answer)
    assert result.reply.channel == "selfservice" and result.slots["topic"] == "mitid"
    # The same words with no errand open: the model's word stands.
    alone = Turn(intent="mitid", confidence=0.6, text=text, sensitive_score=0.91)
    assert screened.handle("answer_errand", alone).reply.channel == "callback"
    # A case in the answer is never explained away.
    case = "det er til min dreng, han er 14 og anbragt uden for hjemmet"
    told = Turn(intent="mitid", confidence=0.6, text=case, sensitive_score=0.91, topic="mitid", asked="situation")
    assert screened.handle("answer_errand", told).reply.channel == "callback"


def test_a_longer_reply_that_says_whom_the_errand_is_for_answers_the_open_errand(screened):
    text = "Nej, det er slet ikke til mig, det er til min datter, som lige er fyldt 15"
    assert 12 < len(text.split()) <= WHOM_REPLY_WORDS
    result = screened.handle("sensitive_intent", turn(text, "urgent_danger", 0.45, topic="mitid"))
    assert result.reply.channel != "urgent" and result.slots["topic"] == "mitid"
    # Without an open errand the guess stands; longer than WHOM_REPLY_WORDS,
    # too: unsure, it is a callback with the 112 line after the offer.
    alone = screened.handle("sensitive_intent", turn(text, "urgent_danger", 0.45)).reply
    assert alone.channel == "callback" and alone.text.split("\n")[-1].endswith("ring 112 nu.")
    longer = text + " og hun har brug for det til sin nye konto i banken her i byen"
    assert len(longer.split()) > WHOM_REPLY_WORDS
    assert (
        screened.handle("sensitive_intent", turn(longer, "urgent_danger", 0.45, topic="mitid")).reply.channel
        == "callback"
    )


def test_a_correction_may_say_whom_the_errand_is_for_at_greater_length(screened):
    text = "Rettelse: det bliver først 1. juni, og min mand bliver boende her lidt endnu, så det er kun mig og børnene"
    assert WHOM_REPLY_WORDS < len(text.split()) <= WHOM_CORRECTION_WORDS
    result = screened.handle("sensitive_intent", turn(text, "personal_matter", 0.76, topic="flytning"))
    assert result.reply.channel == "selfservice" and result.slots["topic"] == "flytning"
    # The same length without the correction's words is the model's matter.
    told = (
        "Det bliver først 1. juni, og min mand bliver boende her lidt endnu, så det er kun mig og børnene der flytter"
    )
    assert not told.lower().startswith(("rettelse", "nej")) and len(told.split()) > WHOM_REPLY_WORDS
    reply = screened.handle("sensitive_intent", turn(told, "personal_matter", 0.76, topic="flytning")).reply
    assert reply.channel == "callback"


def test_a_real_emergency_in_an_open_errand_still_gets_112(screened):
    result = screened.handle(
        "sensitive_intent",
        turn("min søn på 3 har slugt nogle piller og reagerer ikke", "urgent_danger", 0.9, topic="pas"),
    )
    assert result.reply.channel == "urgent"


def next_turn(result, text, intent, confidence=0.95):
    """The citizen's next message, with the slots the previous reply set."""
    slots = {k: result.slots.get(k) for k in ("topic", "situation", "person", "asked", "language", "answered")}
    return turn(text, intent, confidence, barriers=list(result.slots.get("barriers") or []), **slots)


def test_barrier_lines_stay_with_the_errand_and_the_turn_they_were_said_in(assistant, knowledge):
    """Issue 26: the 'no MitID / helping a relative' lines of one question
    appeared in the next, unrelated answer."""
    no_mitid, relative = knowledge.barriers["ingen_mitid"], knowledge.barriers["paaroerende"]
    first = assistant.handle(
        "answer_errand", turn("jeg hjælper min mor med at søge om pas, hun har ikke mitid", "pas", 0.9)
    )
    assert first.reply.channel == "assisted" and first.reply.topic == "pas"
    assert "digital fuldmagt" in first.reply.text and no_mitid.split(",")[0] in first.reply.text
    # An unrelated errand next: its own answer, with none of those lines.
    other = assistant.handle("answer_errand", next_turn(first, "hvornår bliver mit affald hentet", "affald"))
    assert other.reply.topic == "affald" and other.reply.channel == "selfservice"
    assert "fuldmagt" not in other.reply.text and "Uden MitID" not in other.reply.text
    assert relative.split(":")[0] not in other.reply.text
    # A follow-up in the same errand keeps the assisted way, without saying the lines again.
    same = assistant.handle("answer_errand", next_turn(first, "hvad koster det", "pas", 0.8))
    assert same.reply.channel == "assisted" and same.reply.topic == "pas"
    assert "fuldmagt" not in same.reply.text and "Uden MitID" not in same.reply.text


def test_a_barrier_said_before_any_errand_applies_to_the_errand_named_next(assistant):
    first = assistant.handle("answer_errand", turn("jeg har ingen computer", "needs_assistance", 0.9))
    assert first.reply.channel == "assisted" and first.reply.topic is None
    then = assistant.handle("answer_errand", next_turn(first, "jeg skal have nyt sundhedskort", "sundhedskort"))
    assert then.reply.channel == "assisted" and then.reply.topic == "sundhedskort"
    # ... but not to a third, unrelated errand.
    third = assistant.handle("answer_errand", next_turn(then, "hvornår bliver mit affald hentet", "affald"))
    assert third.reply.channel == "selfservice"


@pytest.fixture(scope="module")
def with_cases(knowledge):
    from bot.chat.case_matter import CaseReader

    spacy = Settings.load({}).spacy_path
    rules = KeywordRules(knowledge.topics, Lemmatiser(spacy), knowledge.barrier_keywords)
    return Assistant(knowledge, None, "glostrup", rules=rules, case_reader=CaseReader(knowledge.case_signals, spacy))


def test_an_answer_to_our_situation_question_is_not_a_case_on_the_case_models_word_alone(with_cases):
    text = "min skraldespand er ikke blevet tømt i dag"
    answer = turn(text, "affald", 0.6, topic="affald", asked="situation", case_score=0.8)
    result = with_cases.handle("answer_errand", answer)
    assert result.reply.channel != "callback"
    assert result.reply.topic == "affald" and result.reply.situation == "manglende_toemning"
    # Told on its own, the missed collection is still the self-service's
    # (knowledge ``own_matter``); another matter of one's own bin is a case
    # on the model's word.
    alone = with_cases.handle("answer_errand", turn(text, "affald", 0.6, case_score=0.8))
    assert alone.reply.channel == "selfservice"
    bill = "vi har fået en forkert regning for vores skraldespand"
    alone = with_cases.handle("answer_errand", turn(bill, "affald", 0.6, case_score=0.8))
    assert alone.reply.channel == "callback" and alone.reply.topic == "affald"
    # A signal phrase is a case however it answers.
    refused = turn("vi har fået afslag på en ekstra spand", "affald", 0.6, topic="affald", asked="situation")
    assert with_cases.handle("answer_errand", refused).reply.channel == "callback"


def test_an_answer_naming_another_errand_is_not_a_case_on_the_case_models_word_alone(with_cases):
    text = "har fået ny læge fordi min gamle gik på pension"
    answer = turn(text, "laegevalg", 0.6, topic="sundhedskort", asked="situation", case_score=0.8)
    # No callback on the model's word; which errand answers is the thread's
    # matter (the verb first reads as a question, so the doctor errand).
    assert with_cases.handle("answer_errand", answer).reply.channel == "selfservice"


def test_a_correction_in_the_open_errands_words_is_not_a_case_on_the_case_models_word_alone(with_cases):
    text = "nej jeg mener, den skulle være tømt i går men det blev den ikke"
    slots = dict(topic="affald", situation="toemningsdag")
    result = with_cases.handle("answer_errand", turn(text, "affald", 0.6, case_score=0.8, **slots))
    assert result.reply.channel == "selfservice" and result.reply.situation == "manglende_toemning"
    # Not a correction, but the missed collection is the citizen's own
    # matter that its self-service reports (knowledge ``own_matter``): no
    # case on the model's word; a case phrase still makes one.
    told = "min spand skulle være tømt i går men det blev den ikke"
    result = with_cases.handle("answer_errand", turn(told, "affald", 0.6, case_score=0.8))
    assert result.reply.channel == "selfservice" and result.reply.situation == "manglende_toemning"
    complained = "jeg har klaget over det tre gange, men min spand bliver stadig ikke tømt"
    assert (
        with_cases.handle("answer_errand", turn(complained, "affald", 0.6, case_score=0.8)).reply.channel == "callback"
    )
    # An errand's other situations keep the model's word.
    fee = "min regning for affald er forkert, jeg har kun en lille spand"
    assert with_cases.handle("answer_errand", turn(fee, "affald", 0.6, case_score=0.8)).reply.channel == "callback"


def test_a_barrier_is_not_a_case_on_the_case_models_word_alone(with_cases):
    text = "min kone vil søge om prøvelsesattest, men hun har ikke MitID og ingen computer"
    result = with_cases.handle("answer_errand", turn(text, "vielse", 0.7, case_score=0.7))
    assert result.reply.channel == "assisted" and result.reply.topic == "vielse"
    # With a signal phrase it is her case, barrier or not.
    refused = "min kone har fået afslag på prøvelsesattest, og hun har ikke MitID"
    assert with_cases.handle("answer_errand", turn(refused, "vielse", 0.7, case_score=0.7)).reply.channel == "callback"


@pytest.mark.parametrize(
    "text,handler,intent,ranking",
    [
        # Exempt from Digital Post: the obstacle; the move is the errand.
        (
            "jeg er fritaget for digital post og skal melde flytning, hvordan gør jeg så",
            "answer_errand",
            "needs_assistance",
            [("needs_assistance", 0.5), ("flytning", 0.38)],
        ),
        # An unsure NLU between MitID and the errand it blocks.
        (
            "I don't have MitID so I can't register my move online, what can I do",
            "clarify",
            "nlu_fallback",
            [("mitid", 0.34), ("flytning", 0.29)],
        ),
    ],
)
def test_the_errand_a_barrier_stands_in_the_way_of_gets_the_help(assistant, text, handler, intent, ranking):
    ranked = [{"name": name, "confidence": sure} for name, sure in ranking]
    t = Turn(intent=intent, confidence=ranking[0][1], text=text, intent_ranking=ranked)
    reply = assistant.handle(handler, t).reply
    assert reply.channel == "assisted" and reply.topic == "flytning"


@pytest.mark.parametrize(
    "text,slots,channel",
    [
        ("kan jeg gøre det online?", dict(topic="koerekort", situation="fornyelse"), "booking"),
        ("can I do it online?", dict(topic="flytning", situation="indland"), "selfservice"),
        ("kan jeg bestille det online", dict(topic="sundhedskort", situation="rejse"), "selfservice"),
        ("skal jeg gøre det på nettet eller komme ind til jer?", dict(topic="flytning"), "selfservice"),
    ],
)
def test_asking_whether_it_can_be_done_online_gets_the_errands_answer(assistant, text, slots, channel):
    """The NLU reads these as needs_assistance (issue 26): they ask for the
    self-service way, so the open errand's own answer, not the assisted one."""
    reply = assistant.handle("answer_errand", turn(text, "needs_assistance", 0.8, **slots)).reply
    assert reply.topic == slots["topic"] and reply.channel == channel


@pytest.mark.parametrize(
    "text",
    [
        "kan jeg ikke få hjælp til at gøre det online?",
        "jeg kan ikke gøre det på nettet",
        "can someone help me do it online?",
        "jeg har ingen computer, kan jeg gøre det på mobilen?",
    ],
)
def test_a_barrier_or_a_plea_for_help_stays_assisted(assistant, text):
    reply = assistant.handle("answer_errand", turn(text, "needs_assistance", 0.8, topic="flytning")).reply
    assert reply.topic == "flytning" and reply.channel == "assisted"


def test_a_question_about_another_errand_the_nlu_is_sure_of_leaves_the_open_one(assistant):
    # The move's word ("adresse") is the reason; the question is about the
    # health card, which the NLU is sure of and which finds its situation.
    t = turn(
        "skal min datter også have et nyt sundhedskort med den nye adresse?", "sundhedskort", 0.97, topic="flytning"
    )
    reply = assistant.handle("answer_errand", t).reply
    assert (reply.topic, reply.situation) == ("sundhedskort", "flytning")
    # Unsure, the NLU does not take it away from the move.
    t = turn(
        "skal min datter også have et nyt sundhedskort med den nye adresse?", "sundhedskort", 0.6, topic="flytning"
    )
    assert assistant.handle("answer_errand", t).reply.topic == "flytning"


def test_the_nlu_agreeing_with_the_open_errand_outweighs_another_errands_word(assistant):
    # "brev" is Digital Post's word, but the NLU and the form's keyword say sick leave.
    t = turn("jeg har fået et brev om at jeg skal udfylde et skema", "sygemelding", 0.7, topic="sygemelding")
    reply = assistant.handle("answer_errand", t).reply
    assert (reply.topic, reply.situation) == ("sygemelding", "oplysningsskema")
    # Opened as a new subject, the other errand's word still switches.
    t = turn("en anden ting: hvor læser jeg mit brev fra kommunen", "sygemelding", 0.7, topic="sygemelding")
    assert assistant.handle("answer_errand", t).reply.topic == "digital_post"


def test_an_open_errands_phrase_counts_though_the_situation_model_outweighs_it(assistant):
    # The model's general reading wins the answer, but the phrase still says
    # the words belong to housing benefit, not to the move ("flyttet").
    general = {"boligstoette": [{"name": "general", "confidence": 0.95}]}
    t = turn("min kæreste er flyttet ind hos mig", "boligstoette", 0.7, topic="boligstoette", situation_scores=general)
    assert assistant.handle("answer_errand", t).reply.topic == "boligstoette"


@pytest.fixture(scope="module")
def guarded(knowledge):
    from tests.support.assistants import guarded_assistant

    return guarded_assistant(knowledge)


@pytest.mark.parametrize(
    "text",
    [
        # A death told as why: the one who did the digital things is gone.
        "Goddag. Min mand ordnede altid alt det med computeren, men han er gået bort. Er der nogen, der kan vise mig"
        " det?",
        # Failing sight, the case model or the sensitive model alone.
        "Mit syn er blevet for dårligt til at bruge en skærm. Hvem kan hjælpe mig med de ting, der skal klares"
        " digitalt?",
    ],
)
def test_help_without_the_digital_solutions_told_with_why_gets_the_booked_help(guarded, text):
    result = guarded.handle("answer_errand", turn(text, "needs_assistance", ASSISTANCE_CONFIDENCE))
    assert result.reply.channel == "assisted", result.reply
    # The NLU unsure of the request: the matter it tells of reaches a caseworker.
    unsure = guarded.handle("answer_errand", turn(text, "needs_assistance", ASSISTANCE_CONFIDENCE - 0.2))
    assert unsure.reply.channel == "callback", unsure.reply


@pytest.mark.parametrize(
    "text",
    [
        # An errand's word as part of the why: the one who helped has moved.
        "Jeg har ingen computer. Min søn hjalp mig altid, men han er flyttet til Norge, og han døde i sommer."
        " Hvem kan hjælpe mig nu?",
        # The citizen's affairs ("mine sager"), which are no case of theirs.
        "Jeg er 83 og min hukommelse svigter. Kan en medarbejder hjælpe mig med mine sager på computeren?",
    ],
)
def test_help_without_the_digital_solutions_is_not_stopped_by_an_errands_word_or_affairs(guarded, text):
    result = guarded.handle("answer_errand", turn(text, "needs_assistance", ASSISTANCE_CONFIDENCE))
    assert result.reply.channel == "assisted", result.reply


@pytest.mark.parametrize(
    "text",
    [
        # Violence is never only the reason.
        "Min mand slår mig, og det er ham der har koden til computeren. Hvem kan hjælpe mig med det digitale?",
        # A case phrase: the citizen's own decision.
        "Jeg har fået afslag på fritagelse for digital post, men jeg kan ikke bruge en computer. Hvad gør jeg?",
    ],
)
def test_help_without_the_digital_solutions_keeps_a_matter_beyond_the_reason(guarded, text):
    result = guarded.handle("answer_errand", turn(text, "needs_assistance", 0.95))
    assert result.reply.channel in ("callback", "urgent"), result.reply


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("og hvis min kæreste flytter ind til januar, skal jeg så sige det til nogen?", None),
        ("Men hvis min kaereste flytter ind om et halvt aar, skal jeg saa melde det?", None),
        ("Min kæreste flytter ind hos mig efter nytår, skal det meldes et sted?", "situation"),
    ],
)
def test_a_condition_on_the_open_errand_in_its_own_phrase_stays(assistant, text, asked):
    # "flytter" names the move, the NLU reads the move; "flytter ind" is
    # housing benefit's own phrase for a change in the household.
    slots = dict(topic="boligstoette", situation=None if asked else "ansoeg", asked=asked)
    reply = assistant.handle("answer_errand", turn(text, "flytning", 0.8, **slots)).reply
    assert (reply.topic, reply.situation) == ("boligstoette", "aendring")


@pytest.mark.parametrize(
    "text",
    [
        # A condition in the move's own words, no phrase of housing benefit.
        "og hvis jeg flytter til Aarhus, hvordan melder jeg så flytning?",
        # Housing benefit's phrase, but neither a condition nor an answer to our question.
        "min kæreste flytter ind hos mig efter nytår, hvordan melder hun flytning?",
        # A new subject announced.
        "en anden ting: og hvis min kæreste flytter ind, skal hun så melde flytning?",
    ],
)
def test_a_question_in_the_other_errands_words_still_switches(assistant, text):
    slots = dict(topic="boligstoette", situation="ansoeg")
    assert assistant.handle("answer_errand", turn(text, "flytning", 0.9, **slots)).reply.topic == "flytning"


def test_a_condition_that_names_a_second_errand_beside_the_shared_word_switches_to_it(assistant):
    # "flytter ind" is housing benefit's phrase and "flytter" the move's
    # word, but "skifte læge" names a third errand: the NLU's.
    text = "og hvis min kæreste flytter ind, skal hun så skifte læge?"
    slots = dict(topic="boligstoette", situation="ansoeg")
    assert assistant.handle("answer_errand", turn(text, "laegevalg", 0.85, **slots)).reply.topic == "laegevalg"


def test_a_sure_question_about_the_other_errand_in_its_words_switches_though_the_open_phrase_is_there(assistant):
    # "den nye adresse" is the move's phrase, the NLU is sure of the health card.
    text = "skal jeg også selv bestille et nyt sundhedskort med den nye adresse?"
    t = turn(text, "sundhedskort", 1.0, topic="flytning", asked="situation")
    assert assistant.handle("answer_errand", t).reply.topic == "sundhedskort"


@pytest.mark.parametrize(
    ("text", "intent", "channel"),
    [
        # The illness is why the screen cannot be used: the booked help with the errand.
        (
            "mit syn er blevet meget dårligt efter en blodprop, og jeg kan ikke se skærmen. Jeg skal søge folkepension",
            "folkepension",
            "assisted",
        ),
        # A relative's illness is their matter for a caseworker, though the barrier is there.
        ("min mor har kræft og kan ikke bruge computeren, hun skal have nyt sundhedskort", "sundhedskort", "callback"),
        # A case told with the barrier stays a case.
        ("jeg er blind efter en blodprop og har fået afslag på folkepension", "folkepension", "callback"),
    ],
)
def test_an_illness_that_is_why_the_self_service_cannot_be_used_gets_the_booked_help(guarded, text, intent, channel):
    assert guarded.handle("answer_errand", turn(text, intent, 0.9)).reply.channel == channel


@pytest.mark.parametrize("intent,confidence", [("urgent_danger", 0.59), ("personal_matter", 0.5)])
def test_a_follow_up_the_detector_did_not_confirm_as_sensitive_stays_in_the_open_errand(guarded, intent, confidence):
    text = "og hvor længe tager det så, før det er klar til afhentning?"
    follow_up = turn(text, intent, confidence, topic="pas", situation="fornyelse")
    result = guarded.handle("sensitive_intent", follow_up)
    assert result.reply.topic == "pas" and result.reply.channel == "booking", result.reply
    # Without an open errand it is no errand's.
    assert guarded.handle("sensitive_intent", turn(text, intent, confidence)).reply.topic is None


@pytest.mark.parametrize("text", ["okay tak", "cheers", "cheers, that helped", "super, tusind tak for svaret"])
@pytest.mark.parametrize("handler,intent", [("clarify", "nlu_fallback"), ("out_of_scope", "out_of_scope")])
def test_a_thank_you_the_nlu_was_unsure_of_is_small_talk(guarded, text, handler, intent):
    result = guarded.handle(handler, turn(text, intent, 0.5, topic="mitid", situation="ny"))
    assert result.reply.channel == "small_talk", result.reply
    # "ja tak" is a yes, and a question after the thanks is a question.
    assert guarded.handle("clarify", turn("ja tak", "nlu_fallback", 0.3)).reply.channel != "small_talk"
    asks = guarded.handle("clarify", turn("tak, men hvad med mit pas?", "nlu_fallback", 0.3))
    assert asks.reply.channel != "small_talk"


def test_a_longer_question_in_the_open_errands_situation_words_stays_in_it(assistant):
    text = "Fint. Hvor stort et beløb bliver udbetalt, og på hvilken dato står det på kontoen?"
    follow_up = turn(text, "out_of_scope", 0.55, topic="folkepension", situation="ansoeg")
    reply = assistant.handle("out_of_scope", follow_up).reply
    assert reply.topic == "folkepension" and reply.situation == "udbetaling", reply
    # Without the errand's words it is a new question.
    other = "Okay. Ved du også, hvornår svømmehallen har åbent i weekenden og hvad det koster?"
    assert assistant.handle("out_of_scope", turn(other, "out_of_scope", 0.55, topic="folkepension")).reply.topic is None


@pytest.mark.parametrize(
    ("topic", "situation", "text", "intent", "confidence"),
    [
        # Longer than a short follow-up, naming no errand, pointing back.
        (
            "flytning",
            "udlandet",
            "Skal vi gøre det inden vi tager af sted, eller kan det klares når vi er derovre?",
            "vielse",
            0.4,
        ),
        (
            "mitid",
            "unge",
            "Hov, hun er faktisk kun 12 endnu og fylder først til sommer. Gælder det samme for hende?",
            "navneaendring",
            0.35,
        ),
        (
            "pas",
            "fornyelse",
            "Does the same apply if he only stays for a few months and comes back in the spring?",
            "flytning",
            0.5,
        ),
    ],
)
def test_a_longer_question_pointing_back_stays_with_the_open_errand(
    assistant, topic, situation, text, intent, confidence
):
    reply = assistant.handle("answer_errand", turn(text, intent, confidence, topic=topic, situation=situation)).reply
    assert reply.topic == topic, reply
    # The NLU sure of the other errand, or the other errand named, takes it there.
    sure = assistant.handle("answer_errand", turn(text, intent, 0.95, topic=topic, situation=situation)).reply
    assert sure.topic == intent, sure


def test_words_that_point_back_are_read_and_a_plain_question_has_none():
    from bot.chat.reading import refers_back

    assert refers_back("Gælder det samme for børn?") and refers_back("can he do it online?")
    assert not refers_back("Hvordan søger man om hjælp til huslejen?")


def test_a_correction_that_denies_the_open_errand_leaves_it(assistant):
    text = "Nej vent, det var ikke lægen, jeg ville spørge om. Mit gule kort er blevet væk i toget."
    reply = assistant.handle("answer_errand", turn(text, "sundhedskort", 0.97, topic="laegevalg")).reply
    assert reply.topic == "sundhedskort", reply
    # Without the denial, a statement naming the doctor keeps the open errand.
    kept = "Jeg tænkte på lægen. Mit gule kort er blevet væk i toget."
    assert (
        assistant.handle("answer_errand", turn(kept, "sundhedskort", 0.97, topic="laegevalg")).reply.topic
        == "laegevalg"
    )


def test_a_denied_errand_is_never_the_one_meant():
    from bot.chat.reading import _MEANT

    assert _MEANT.search("det var ikke passet") is None
    assert _MEANT.search("det var passet").group(1) == "passet"
