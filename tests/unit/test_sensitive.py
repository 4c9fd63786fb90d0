"""The detector with the real term list: personal phrases, not topics."""

from __future__ import annotations

import pytest

from bot.chat.sensitive import UNSURE_DANGER_SOURCE, SensitiveDetector, carries_case
from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import SensitiveCategory
from bot.knowledge.problems import KnowledgeError
from bot.privacy.redaction import PLACEHOLDER
from tests.conftest import KNOWLEDGE_DIR, PROJECT_ROOT
from tests.support.knowledge_copy import edit


@pytest.fixture(scope="module")
def detector():
    return SensitiveDetector(load_knowledge(KNOWLEDGE_DIR).sensitive, PROJECT_ROOT / "build" / "spacy-da")


@pytest.mark.parametrize(
    "text",
    [
        "hvordan søger man sygedagpenge?",
        "hvad er reglerne for hemmelig adresse",
        "hvad koster et pas",
        "hvornår bliver skraldet hentet",
        "kan man blive sygemeldt med stress",
        "jeg er gravid, hvornår kan jeg skrive barnet op til vuggestue",
        "min telefon er faldet i vandet, hvordan får jeg MitID på den nye",
        "I'm drowning in paperwork, how do I register my move",
        "skal skraldespanden stå ude i kulden om natten",
        "we only lived there a month, do we still pay the full waste fee",
        "my son is not allowed to eat nuts, does the daycare cook for allergies",
    ],
)
def test_generic_questions_are_not_sensitive_by_terms(detector, text):
    assert detector.detect(text, "sygemelding", 0.9) is None


def test_generic_question_classified_personal_is_not_escalated_without_a_person(detector):
    assert detector.detect("hvad er reglerne for aktindsigt i kommunale sager", "personal_matter", 0.98) is None
    assert detector.detect("min sygedagpengesag er blevet stoppet", "personal_matter", 0.9) is not None
    assert detector.detect("min kone er syg og jeg ved ikke hvad vi skal", "personal_matter", 0.9).source == "nlu"


@pytest.mark.parametrize(
    "text,category",
    [
        ("min nabos datter har blå mærker hver uge", "child_worry"),
        ("I'm worried about the children in the flat above us", "child_worry"),
        ("my nephew says he is scared to go home after school", "child_worry"),
        ("børnene ovenpå er alene hjemme hver aften, hvornår skal de skrives ind i skole", "child_worry"),
        ("jeg har fået konstateret sukkersyge og skal forny kørekort", "health"),
        ("min mand har haft en blodprop og kan ikke arbejde", "health"),
        ("vores datter får panikanfald i bussen, kan hun skifte skole", "health"),
        ("vi mistede vores baby i sidste måned", "bereavement"),
        ("min bror sidder inde, hvad med hans lejlighed", "criminal"),
        ("min far drikker for meget og glemmer sine regninger", "addiction"),
        ("jeg har været ædru i to år og vil gerne have mit kørekort igen", "addiction"),
        ("my ex shows up drunk to collect our son from daycare, can I change who may pick him up", "addiction"),
        ("min kæreste kontrollerer mine penge og mit MitID", "violence"),
        ("vi skal skifte navn, fordi børnenes far har været voldelig", "violence"),
        ("kan jeg skjule min nye adresse for min voldelige ekskæreste", "violence"),
        ("min bror er stofmisbruger og vil bruge min adresse", "addiction"),
        ("jeg så en pædagog ryste en baby voldsomt i morges", "child_worry"),
        ("I need a new surname so my violent ex-husband cannot trace me", "violence"),
        ("naboens søn har ikke været i skole i over en måned", "child_worry"),
        ("vores dreng er anbragt på en institution, hvem søger hans pas", "child_worry"),
        ("my daughter was taken into care, can I still read her post", "child_worry"),
        ("vores far er sovet ind, skal hans læge have besked", "bereavement"),
        ("my dad died suddenly last week, do I cancel his pension", "bereavement"),
        ("vores søn levede kun en uge, hvordan afmelder vi vuggestuen", "bereavement"),
        ("my brother is on parole and wants a passport", "criminal"),
        ("vi bor lige nu på et krisecenter, hvordan melder vi flytning", "violence"),
        ("we are divorcing and need to change the children's address", "family"),
        ("jeg er blevet insulinkrævende, hvad med mit kørekort", "health"),
        ("my nephew hasn't been to school since easter, his mum is never home", "child_worry"),
        ("hun kommer i dagpleje med en ble der ikke er skiftet, kan hun få plads hos os", "child_worry"),
        ("the kids come to school without enough clothes and the baby's nappy not changed", "child_worry"),
        ("my grandson says he is not allowed to eat when he has been naughty", "child_worry"),
        ("my son was picked up by police last night, can he still get his passport", "criminal"),
        ("my flatmate is using a lot of cocaine and needs help", "addiction"),
        ("jeg er i misbrugsbehandling, skal jeg sige det når jeg sygemelder mig", "addiction"),
        # Terms after the twenty-first sealed set's one run.
        ("min mor spiller alle sine penge op, kan jeg få hendes udbetaling", "addiction"),
        ("hans far drikker hver eneste dag, kan drengen bo hos os og gå i skole her", "addiction"),
        ("jeg går i dialyse og skal bruge en læge tæt på sygehuset", "health"),
        ("After a spinal injury (rygmarvsskade) I need a doctor with a lift", "health"),
    ],
)
def test_terms_catch_third_person_and_errand_touching_matters_whatever_the_intent(detector, text, category):
    hit = detector.detect(text, "pas", 0.95)
    assert hit is not None and hit.category == category and not hit.urgent


def test_an_own_case_is_the_case_readings_not_a_term(detector):
    """Own cases are read by bot/chat/case_matter.py, with tense; the terms
    no longer hold them (they matched "får afslag" like "fået afslag")."""
    assert detector.detect("mine sygedagpenge er stoppet og jeg forstår det ikke", "sygemelding", 0.95) is None
    assert detector.detect("hvis jeg får afslag, kan jeg så klage?", "sygemelding", 0.95) is None


def test_a_partner_hitting_anyone_is_violence_now_in_english_too(detector):
    hit = detector.detect("my boyfriend hits the dog and the children when he drinks", "flytning", 0.9)
    assert hit is not None and hit.urgent and hit.category == "violence_now"


def test_urgent_wins_and_cpr_placeholder_counts(detector):
    urgent = detector.detect("jeg vil ikke leve mere", "out_of_scope", 0.9)
    assert urgent is not None and urgent.urgent
    cpr = detector.detect(f"mit nummer er {PLACEHOLDER}", "pas", 0.9)
    assert cpr is not None and cpr.category == "cpr"


@pytest.mark.parametrize(
    "text,category",
    [
        ("der kommer roeg ind under doeren", "medical_emergency"),  # "røg", "døren"
        ("jeg har faaet frakendt koerekortet efter spritkoersel", "criminal"),  # "spritkørsel"
        ("der kommer røg ind under døren", "medical_emergency"),  # as the term is written
        # An inflected word whose lemma the table knows only in Danish
        # spelling: "toer" is "tør" (lemma "tø"), "slaar" is "slår".
        ("jeg sover hos en veninde fordi jeg ikke toer vaere hjemme", "violence"),
        ("min far slaar min mor og jeg er 17", "child_danger"),
    ],
)
def test_terms_match_a_text_written_without_the_danish_letters(detector, text, category):
    found = detector.match_terms(text)
    assert found is not None and found.key == category, found


@pytest.mark.parametrize(
    "text",
    [
        "min niece på 16 skal tvangsgiftes til sommer",
        "Min nabos datter skal sendes til sine forældres hjemland for at blive gift",
        "my neighbour's girl is being forced to marry a man she has never met",
    ],
)
def test_a_forced_marriage_is_a_worry_for_the_child_not_addiction(detector, text):
    """The terms once sat under addiction, which named the wrong matter on
    the caseworker's console."""
    found = detector.match_terms(text)
    assert found is not None and found.key == "child_worry", found


@pytest.mark.parametrize(
    "text, category, urgent",
    [
        ("Min mand har trykken for brystet og sveder, men vil ikke have en ambulance", "medical_emergency", True),
        ("I still have bruises from last week and I'm afraid to go back home", "violence", False),
        ("Vores søn har autisme og kan ikke klare en stor klasse", "health", False),
        ("The court took my licence for three years", "criminal", False),
        ("I smoke weed every day and I need to stop", "addiction", False),
        ("jeg kan høre at han slår hende lige nu, børnene græder", "violence_now", True),
        ("Jeg har besluttet at i dag er min sidste dag", "suicide", True),
        ("Vores datter på 2 har type 1 diabetes. Kan hun være i dagpleje?", "health", False),
        ("min mor faldt lige om i stuen og er helt grå i ansigtet", "medical_emergency", True),
        ("Jeg vil flytte, uden at han kan se min nye adresse. Hvordan melder jeg det?", "violence", False),
        ("min søn stjæler penge for at købe piller", "addiction", False),
        # A possessive or hyphenated diagnosis is a word of its own to the
        # tokenizer; a death told gently; cannabis named as what is smoked.
        ("Min far har Parkinsons og kan ikke skrive under selv", "health", False),
        ("Jeg fik konstateret type 2-diabetes i foråret", "health", False),
        ("Min mor sov stille ind på plejehjemmet i nat", "bereavement", False),
        ("Vores datter ryger joints hver dag og kommer ikke i skole", "addiction", False),
        ("Min voksne søn stjæler penge fra min pung hver uge", "addiction", False),
        ("Min mor har fået en demensdiagnose og skal forny sit kørekort", "health", False),
        ("Drengen er ikke mødt i skole siden efterårsferien", "child_worry", False),
        ("My brother was convicted of drink driving last year", "criminal", False),
        ("Jeg er ved at blive blind og kan snart ikke læse mine breve", "health", False),
    ],
)
def test_matters_told_in_everyday_words(detector, text, category, urgent):
    found = detector.match_terms(text)
    assert found is not None and (found.key, found.urgent) == (category, urgent), found


@pytest.mark.parametrize(
    "text,found",
    [
        ("min hustru er død", True),
        ("min hustru gennem mange år er død", True),  # three words between
        ("min hustru, gennem mange år, er død", True),  # punctuation is no word
        ("min hustru gennem rigtig mange år er død", False),  # four: too far apart
        ("min hustrus telefon er død", False),  # the words as written, not their lemmas
        ("er død min hustru", False),  # the pieces in the term's order only
    ],
)
def test_a_term_with_a_gap_lets_up_to_three_words_stand_between(text, found):
    one = {"b": SensitiveCategory("b", "Dødsfald", False, ("min hustru ... er død",))}
    assert (SensitiveDetector(one, PROJECT_ROOT / "build" / "spacy-da").match_terms(text) is not None) is found


def test_a_spouse_told_with_words_between_is_a_death(detector):
    found = detector.match_terms("Min kone gennem 40 år døde i nat. Skal jeg sige hendes pension op?")
    assert found is not None and found.key == "bereavement"
    assert detector.match_terms("min søns mobil er død, kan han få MitID-appen på en ny?") is None
    assert detector.match_terms("min datters kodeviser er død, hvordan får hun en ny?") is None


def test_a_gap_at_the_start_of_a_term_is_a_problem(kdir):
    edit(kdir / "sensitive_terms.yml", "      - min mand ... er død\n", "      - ... er død\n")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kdir)
    assert any(
        p.file.endswith("sensitive_terms.yml")
        and p.field.startswith("categories.bereavement.terms[")
        and "gap" in p.message
        for p in info.value.problems
    ), info.value.problems


def test_a_last_day_at_work_is_no_emergency(detector):
    assert detector.match_terms("fredag er min sidste dag på arbejdet, hvad så med min pension?") is None


@pytest.mark.parametrize(
    "text",
    [
        "min far faldt om sidste år og bruger nu rollator, kan han stemme hjemme?",  # a fall long ago
        "Der var ild i vores køkken i sidste uge. Skal vi melde flytning?",  # a fire that is over
    ],
)
def test_a_fall_long_ago_or_a_past_fire_is_no_emergency(detector, text):
    found = detector.match_terms(text)
    assert found is None or not found.urgent, found


def test_unsure_nlu_with_a_close_sensitive_intent_escalates_only_with_a_case(detector):
    ranking = [{"name": "nlu_fallback", "confidence": 0.55}, {"name": "personal_matter", "confidence": 0.47}]
    found = detector.detect("vi er midt i en skilsmisse", "nlu_fallback", 0.55, ranking=ranking)
    assert found is not None and found.source == "nlu"
    # A plain first-person question the NLU was unsure of is not diverted.
    plain = "min søn fylder 17, hvornår må han køre med ledsager"
    assert detector.detect(plain, "nlu_fallback", 0.55, ranking=ranking) is None
    assert detector.detect(plain, "personal_matter", 0.4, ranking=ranking) is None
    # With a case the caller read in it, it is.
    assert detector.detect(plain, "personal_matter", 0.4, ranking=ranking, case=True) is not None
    low = [{"name": "nlu_fallback", "confidence": 0.55}, {"name": "personal_matter", "confidence": 0.2}]
    assert detector.detect("giraf", "nlu_fallback", 0.55, ranking=low) is None


@pytest.mark.parametrize(
    "text,intent,ranked,escalates",
    [
        ("Der er noget helt galt ovenpå lige nu", "urgent_danger", 0.39, True),  # the NLU's own intent, a statement
        ("What's the score in the football match tonight?", "urgent_danger", 0.39, False),  # a question about nobody
        ("Hvad gør jeg, min mand er helt underlig?", "urgent_danger", 0.39, True),  # about someone
        ("Der er noget helt galt ovenpå lige nu", "nlu_fallback", 0.35, False),  # only second to a fallback
    ],
)
def test_an_unsure_urgent_guess_is_weighed_by_the_detector(detector, text, intent, ranked, escalates):
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}] if intent == "nlu_fallback" else []
    ranking.append({"name": "urgent_danger", "confidence": ranked})
    found = detector.detect(text, intent, ranked if intent == "urgent_danger" else 0.5, ranking=ranking)
    # No urgent term in these texts: the NLU's guess alone decides, and an
    # unsure guess alone is a callback with the 112 line after it, not 112 first.
    assert (found is not None and found.source == UNSURE_DANGER_SOURCE) is escalates, found
    assert found is None or not found.urgent
    sure = detector.detect(text, "urgent_danger", 0.9, ranking=[{"name": "urgent_danger", "confidence": 0.9}])
    assert sure is not None and sure.urgent and sure.source == "nlu"


@pytest.mark.parametrize(
    "text",
    [
        "kan man få kørekort, hvis man har diabetes?",
        "hvad sker der med folkepensionen, når man dør?",
        "hvor meget gæld må man have og stadig få boligstøtte",
    ],
)
def test_health_money_and_death_in_a_general_question_carry_no_case(text):
    from bot.chat.case_matter import CaseReading

    assert not carries_case(text, CaseReading(general=True))


def test_health_money_and_death_told_of_someone_carry_a_case():
    from bot.chat.case_matter import CaseReading

    assert carries_case("min far har kræft og skal forny sit kørekort", CaseReading(own=True))
    assert not carries_case("min far skal forny sit kørekort", CaseReading(own=True))


def test_family_and_social_matters_carry_a_case_whoever_asks():
    assert carries_case("hvordan fungerer samvær med børnene")
    assert carries_case("my landlord says we are being evicted")


def test_only_the_cpr_placeholder_makes_a_personal_matter(detector):
    from bot.privacy.redaction import redact_message

    contact = redact_message("skriv til anna@example.dk eller ring 22 33 44 55")
    assert contact.counts == {"email": 1, "phone": 1}
    assert detector.detect(contact.text, "pas", 0.9, redacted=contact.counts) is None
    cpr = redact_message("født 12.03.1985, de sidste fire er 1234")
    assert detector.detect(cpr.text, "pas", 0.9, redacted=cpr.counts).category == "cpr"
    assert detector.detect(cpr.text, "pas", 0.9).category == "cpr"  # the placeholder alone


def test_the_nlu_escalates_english_messages_about_someone(detector):
    # Issue 25: the person words were Danish only, so an English personal
    # or urgent matter the NLU recognised was never escalated.
    found = detector.detect("I think the kids next door are left alone every night", "personal_matter", 0.8)
    assert found is not None and found.source == "nlu"
    assert detector.detect("my neighbour's baby has been crying for hours", "personal_matter", 0.8) is not None
    urgent = detector.detect("please hurry he is not breathing", "urgent_danger", 0.9)
    assert urgent is not None and urgent.urgent


def test_lower_case_i_is_the_danish_preposition_not_a_person(detector):
    # A sure personal guess about nobody stays a general question.
    assert detector.detect("hvad er reglerne i kommunen for aktindsigt", "personal_matter", 0.98) is None


@pytest.mark.parametrize(
    "text",
    [
        "min søn er bag tremmer for tiden, kan han brevstemme?",
        "vi skal vies men min forlovede er i behandling for sit spil",
        "my wife passed last month and I need to change the health card",
    ],
)
def test_the_sensitive_model_escalates_a_matter_told_inside_an_errand_question(detector, case_reader, text):
    found = detector.detect(text, "valg", 0.9, learned=0.8, reading=case_reader.read(text))
    assert found is not None and found.source == "model" and not found.urgent


def test_the_sensitive_model_leaves_general_questions_and_low_scores_alone(detector, case_reader):
    general = "kan man brevstemme, hvis man er bag tremmer?"
    assert detector.detect(general, "valg", 0.9, learned=0.8, reading=case_reader.read(general)) is None
    told = "min søn er bag tremmer for tiden, kan han brevstemme?"
    assert detector.detect(told, "valg", 0.9, learned=0.3, reading=case_reader.read(told)) is None
    # No model in the parse: as before, the terms and intents decide.
    assert detector.detect(told, "valg", 0.9, learned=None, reading=case_reader.read(told)) is None


@pytest.mark.parametrize(
    "text,category",
    [
        ("hvis jeg ikke får hjælp, gør jeg en ende på det", "suicide"),
        ("min nevø siger at hans stedmor slår ham hver dag", "child_danger"),
        ("jeg vil gøre ham noget når han kommer ud af rådhuset", "violence_now"),
        ("there is a kid in the water by the bridge and no one is there", "medical_emergency"),
        ("der er en mand der er ved at drukne i søen", "medical_emergency"),
        ("jeg har mest lyst til at køre ind i et træ", "suicide"),
        ("min datter har lige taget en masse af mine piller", "overdose"),
        ("the little boy next door has been alone outside in the cold since noon", "child_danger"),
        ("naboens pige på 4 står udenfor i kulden og ingen lukker op", "child_danger"),
    ],
)
def test_urgent_danger_in_other_word_orders_and_of_others_gets_112(detector, text, category):
    found = detector.detect(text, "pas", 0.9)
    assert found is not None and found.category == category and found.urgent


@pytest.mark.parametrize(
    "text,intent",
    [
        ("Hvad sker der med pensionstillægget, hvis man bliver skilt?", "folkepension"),
        ("Hvordan melder man flytning, når man bliver skilt og flytter fra hinanden?", "flytning"),
        ("Kan man blive viet på et hospice, hvis den ene er meget syg?", "vielse"),
        ("Kan man få sygedagpenge, hvis man har angstanfald?", "sygemelding"),
        ("Is Digital Post mandatory for people with dementia?", "digital_post"),
        # A question about nobody in particular asks how the errand works too.
        ("Who pays the property tax when the owner has died and the estate isn't settled yet?", "ejendomsskat"),
        # A prison or a sentence asked about in general, now that the bare words are terms.
        ("Kan man melde flytning fra et fængsel?", "flytning"),
        ("Må man få pas med en betinget dom?", "pas"),
        # A relative without a pronoun or possessive is anybody's.
        ("Skal begge forældre skrive under på et barns pas, når de er blevet skilt?", "pas"),
        ("Hvem skriver et barn op til skole, når forældrene er gået fra hinanden?", "skoleindskrivning"),
        ("Dækker det blå sygesikringskort dialyse, hvis man rejser i EU?", "sundhedskort"),
    ],
)
def test_a_family_or_health_matter_asked_in_general_stays_plain(detector, case_reader, text, intent):
    """Issue 25: divorce, illness, money or a death asked about with "man"
    and about nobody in particular is how the errand works."""
    assert detector.match_terms(text) is not None
    assert detector.detect(text, intent, 0.9, reading=case_reader.read(text)) is None


@pytest.mark.parametrize(
    "text,category",
    [
        # Told of oneself: still the citizen's matter.
        ("jeg er ved at blive skilt, hvad sker der med min pension?", "family"),
        # Violence and a child at risk escalate even asked in general.
        ("hvordan melder man flytning, hvis man bor på et krisecenter?", "violence"),
        # A question about someone in particular, though it names no "jeg".
        ("Far er død i nat. Hvad sker der nu med hans folkepension?", "bereavement"),
        # A sentence that drops its subject in the past tense tells of the writer.
        ("Fik en angstdiagnose i foråret og kan ikke klare mange mennesker. Kan det ordnes anderledes?", "health"),
        # Custody of someone's own child, and a family's divorce told, not asked.
        ("Min eks har forældremyndigheden, kan hun nægte vores søn et pas?", "family"),
        ("Forældrene er ved at blive skilt, og barnet bor nu hos mormor. Hvem skal melde flytningen?", "family"),
    ],
)
def test_an_own_matter_or_violence_asked_in_general_still_escalates(detector, case_reader, text, category):
    found = detector.detect(text, "flytning", 0.9, reading=case_reader.read(text))
    assert found is not None and found.category == category


@pytest.mark.parametrize(
    "text,category",
    [
        ("Jeg har ikke noget at leve for. I kan bare slette min MitID", "suicide"),
        ("I have nothing left to live for, how do I cancel my pension", "suicide"),
        ("det lugter af gas i opgangen og min mand er svimmel", "medical_emergency"),
        ("there is a gas leak in our building", "medical_emergency"),
    ],
)
def test_hopelessness_and_a_gas_leak_get_112(detector, text, category):
    found = detector.detect(text, "mitid", 0.9)
    assert found is not None and found.urgent and found.category == category


@pytest.mark.parametrize(
    "text,escalates",
    [
        ("Kan man få hemmelig adresse? Jeg vil ikke sige hvorfor, men det er ikke for sjov.", True),
        ("Can I get a secret address? I'd rather not say why.", True),
        # Asked in general, with a reason that is no secret: how the errand works.
        ("Kan man få hemmelig adresse, og hvad koster det?", False),
    ],
)
def test_a_protected_address_with_the_reason_withheld_escalates(detector, case_reader, text, escalates):
    """The twelfth sealed set: someone who asks for a protected address and
    will not say why in chat is the person it protects."""
    found = detector.detect(text, "flytning", 0.9, reading=case_reader.read(text))
    assert (found is not None and found.category == "address_protection") is escalates


@pytest.mark.parametrize(
    "plain,matter,key",
    [
        # "misbruger" lemmatises to the verb, so the bare word read identity misuse as addiction.
        ("Hvad er tegn på, at mit MitID bliver misbrugt?", "min bror er misbruger og bor hos os", "addiction"),
        # "tvinger ham" alone read a neighbour forced to cut a tree as a forced marriage.
        (
            "Naboens træ skygger for alt. Kan kommunen tvinge ham til at fælde det?",
            "Min datter på 19 skal giftes med en hun aldrig har mødt, familien tvinger hende.",
            "child_worry",
        ),
    ],
)
def test_a_term_narrowed_to_its_matter_still_finds_it(detector, plain, matter, key):
    assert detector.match_terms(plain) is None
    found = detector.match_terms(matter)
    assert found is not None and found.key == key


@pytest.mark.parametrize(
    "learned,escalates",
    [
        (0.13, False),  # the weather, read by the sensitive model as nothing sensitive
        (0.71, True),  # a danger is a sensitive matter to the model too
        (None, True),  # no sensitive model: the NLU's guess decides, as before
    ],
)
def test_an_unsure_urgent_statement_about_nobody_needs_the_sensitive_model_not_to_deny_it(detector, learned, escalates):
    text = "vejret i morgen"
    ranking = [{"name": "urgent_danger", "confidence": 0.56}]
    found = detector.detect(text, "urgent_danger", 0.56, ranking=ranking, learned=learned)
    assert (found is not None and found.source == UNSURE_DANGER_SOURCE) is escalates, found


@pytest.mark.parametrize(
    "text,confidence,learned,urgent",
    [
        ("vejret i morgen", 0.61, 0.01, False),  # just over the threshold, denied, about nobody
        ("vejret i morgen", 0.75, 0.01, True),  # the NLU sure enough: its word stands
        ("vejret i morgen", 0.61, None, True),  # no sensitive model: the NLU's guess decides
        ("min bror skriver mærkelige ting til mig i aften", 0.61, 0.01, True),  # about someone, no term
    ],
)
def test_a_weak_urgent_guess_about_nobody_that_the_sensitive_model_denies_is_weighed_as_unsure(
    detector, text, confidence, learned, urgent
):
    found = detector.detect(text, "urgent_danger", confidence, learned=learned)
    assert (found is not None and found.urgent) is urgent, found


@pytest.mark.parametrize(
    "text",
    [
        "Min kone har lige fået hængende mundvig. Skal vi komme ned til jer?",
        "My dad's face is drooping and he has slurred speech, what do I do?",
        "Min nabo på 90 har ikke åbnet, og det lugter helt forfærdeligt fra hendes dør.",
        "Vi har ikke set ham i fem dage, og avisen ligger stadig på måtten.",
        # Flames and heavy smoke told without "det brænder".
        "Det ryger kraftigt ud af containeren, og der er flammer op langs muren",
        "The bin shed is on fire and people are still inside",
    ],
)
def test_a_stroke_by_its_signs_a_neighbour_not_seen_for_days_or_flames_get_112(detector, text):
    found = detector.detect(text, "affald", 0.9)
    assert found is not None and found.urgent, found


def test_a_lasting_palsy_or_a_child_learning_danish_is_no_emergency(detector):
    for text in (
        "Kan en med skæv mund efter en gammel lammelse forny kørekort?",
        "Min søn kan ikke tale ordentligt dansk endnu",
    ):
        found = detector.match_terms(text)
        assert found is None or not found.urgent, (text, found)


def test_an_unsure_urgent_guess_beside_a_case_phrase_is_the_case(detector, case_reader):
    text = "Den nye vurdering er jo helt hen i vejret, 800.000 mere end sidst. Det vil jeg klage over."
    ranking = [{"name": "urgent_danger", "confidence": 0.35}]
    found = detector.detect(text, "urgent_danger", 0.35, ranking=ranking, reading=case_reader.read(text))
    assert found is None or not found.urgent, found
    # A sure urgent guess, or an urgent term, still gets 112 beside a case phrase.
    sure = detector.detect(text, "urgent_danger", 0.9, ranking=ranking, reading=case_reader.read(text))
    assert sure is not None and sure.urgent
    fire = "Det brænder i opgangen, og jeg vil klage over at alarmen ikke virker"
    found = detector.detect(fire, "affald", 0.9, reading=case_reader.read(fire))
    assert found is not None and found.urgent


@pytest.mark.parametrize(
    "text,category",
    [
        # The fourteenth sealed set's: a relative in a named prison, a
        # suspended sentence of a grandchild.
        ("Kan min søster stemme? Hun sidder i Vestre til efter nytår.", "criminal"),
        ("Vores barnebarn har fået en betinget dom. Kan han få et pas til sit job?", "criminal"),
        # A child kept from school to mind the younger ones, or hurt at home,
        # told inside an errand question.
        ("Skoleindskrivning? Pigen ved siden af passer sine små søskende i stedet for at gå i skole.", "child_worry"),
        ("Kan min nevø få eget sundhedskort? Hans stedmor gør ham fortræd.", "child_worry"),
        # The fifteenth set's: a child afraid at home, afraid to be at home, a
        # forced marriage, rehab, the writer's chemotherapy.
        ("A boy in my class says he is scared of his stepdad. How do I report a concern?", "child_worry"),
        ("Min nevø bor hos os, for der er for meget uro derhjemme. Kan han få sundhedskort her?", "child_worry"),
        ("Jeg bor hos min søster, fordi jeg ikke tør være hjemme. Skal jeg melde flytning?", "violence"),
        ("Far vil have mig gift med en fra landsbyen. Kan I vie os uden at jeg siger ja?", "child_worry"),
        ("I'm starting rehab next month. Do I tell my employer I'm sick?", "addiction"),
        ("Jeg er i kemo og kan ikke møde op. Kan jeg forny mit pas senere?", "health"),
    ],
)
def test_matters_read_after_the_sealed_runs_are_terms(detector, case_reader, text, category):
    found = detector.detect(text, "flytning", 0.9, reading=case_reader.read(text))
    assert found is not None and category in found.found, found


def test_a_numb_arm_and_garbled_words_get_112(detector):
    found = detector.detect("nu kan jeg ikke mærke min højre arm og ordene kommer forkert ud", "koerekort", 0.9)
    assert found is not None and found.urgent


def test_a_door_in_a_wall_is_no_death_and_died_in_still_is(detector):
    """ "dør" (a door) is "dø" (to die) as a lemma, so "døde i" is matched as written."""
    assert detector.match_terms("Må jeg lave en dør i en bærende væg i mit rækkehus?") is None
    for text in ("min mor døde pludselig i weekenden", "min far er død i nat", "hun døde for en uge siden"):
        found = detector.match_terms(text)
        assert found is not None and found.key == "bereavement", text


@pytest.mark.parametrize(
    "text", ["I get out of prison in February and have no address", "my son got out of jail on Monday"]
)
def test_a_release_from_prison_in_english_is_criminal_in_any_form(detector, text):
    found = detector.match_terms(text)
    assert found is not None and found.key == "criminal", found


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Han har truet med at gøre det værre, hvis jeg skifter koden", "violence"),
        ("jeg er sygemeldt pga alkohol og skal udfylde skemaet", "addiction"),
        # Outpatient treatment for something else is no addiction.
        ("Jeg er i ambulant behandling for kræft og skal sygemeldes", None),
    ],
)
def test_threats_by_a_person_and_alcohol_as_the_reason_are_terms_outpatient_treatment_is_not(detector, text, category):
    found = detector.match_terms(text)
    assert (found.key if found else None) == category, found
