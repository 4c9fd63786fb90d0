"""knowledge/outside.yml (issue 26 item 3): subjects the assistant does not
cover that share words with an errand. Validated like every knowledge file,
compiled into the knowledge base, read once per message, and answered with
the out-of-scope reply led by where to go instead, never an errand's answer."""

from __future__ import annotations

import pytest

from bot.chat.conversation import Assistant
from bot.chat.reading import KeywordRules, Lemmatiser
from bot.chat.thread import OUTSIDE_VETO_CONFIDENCE
from bot.knowledge.build import build_database
from bot.knowledge.loader import load_knowledge
from bot.knowledge.problems import KnowledgeError
from bot.knowledge.store import open_knowledge
from bot.settings import Settings
from tests.support.assistants import guarded_assistant
from tests.support.knowledge_copy import edit
from tests.support.turns import turn


@pytest.fixture(scope="module")
def rules(knowledge):
    return KeywordRules.for_knowledge(knowledge, Lemmatiser(Settings.load({}).spacy_path))


@pytest.fixture(scope="module")
def assistant(knowledge, rules):
    return Assistant(knowledge, None, "glostrup", rules=rules)


@pytest.fixture(scope="module")
def guarded(knowledge, rules):
    """With the sensitive detector and the case reading, as the action server runs it."""
    return guarded_assistant(knowledge, rules)


def test_the_subjects_survive_the_build(knowledge, tmp_path):
    assert [s.key for s in knowledge.outside][:3] == ["skat", "bank", "ydelser"]
    assert open_knowledge(build_database(knowledge, tmp_path / "knowledge.db")).outside == knowledge.outside


@pytest.mark.parametrize(
    "text,subject",
    [
        ("jeg skal have et nyt kreditkort, hvor bestiller jeg det?", "bank"),
        ("Does it cost anything to get a tax card?", "skat"),
        ("hvornaar kan jeg soege SU", "su"),  # without æøå, any case
        ("Falder min kærestes kontanthjælp, hvis vi flytter sammen?", "ydelser"),
        ("vi skal bruge hundepasning i ferien", "dyr"),
        ("Vi har fået en hvalp. Skal den registreres hos kommunen?", "dyr"),
        ("Hvordan melder jeg mig ud af folkekirken?", "kirke"),
        ("hvor bestiller jeg en straffeattest til mit nye job", "attester"),
        ("Hvordan klager jeg over min husleje til huslejenævnet?", "lejebolig"),
        ("hvordan skifter jeg mit brugernavn paa instagram", "sociale_medier"),
        ("skal vi have tilladelse til en gadefest på villavejen?", "veje"),
        ("Hvor søger man om skilsmisse?", "familieret"),
        ("Jeg har fået en afgift fra et privat parkeringsselskab ved Netto", "privat_parkering"),
        ("pantautomaten er i stykker, hvor kan jeg ellers aflevere pantflasker", "pant"),
        ("Skal vi søge om ESTA før vi rejser til New York?", "esta"),
        ("Kan I anbefale et festlokale til 60 personer?", "fest"),
        ("hvad er nummeret til lægevagten i weekenden", "sundhed"),
        ("Hvornår kommer fejemaskinen på vores vej?", "veje"),
        ("Vi er ikke gift. Hvordan bliver min kæreste registreret som far?", "familieret"),
        # A divorce alone, a visa alone or a specialist alone is an errand's reason.
        ("Kan jeg få mit pigenavn tilbage efter skilsmissen?", None),
        ("Min forlovede er her på visum, kan vi blive gift på rådhuset?", None),
        ("kan jeg gå til speciallæge uden henvisning i gruppe 2?", None),
        ("How do I apply for a disabled parking card?", "handicapparkering"),
        ("hvad koster et pas til et barn?", None),
        ("susanne skal have nyt pas", None),  # "su" is a whole word, not a prefix
    ],
)
def test_the_message_reading_finds_the_subject(rules, text, subject):
    assert rules.outside(text) == subject


@pytest.mark.parametrize(
    "text,intent,subject_line",
    [
        ("jeg skal have et nyt credit card, hvor bestiller jeg det?", "sundhedskort", "din egen bank"),
        ("Hvad koster et skattekort?", "sundhedskort", "skat.dk"),
        ("hvornår kan jeg søge SU?", "nlu_fallback", "su.dk"),
        ("Jeg er 78 og vil gerne have nogen til at gøre rent hos mig", "personal_matter", "ældre- og handicapområde"),
        ("Goddag. Hvordan melder jeg mig ud af folkekirken?", "personal_matter", "kirkekontor"),
        ("Vi har fået en hvalp. Skal den registreres ligesom et barn?", "nlu_fallback", "kæledyr"),
    ],
)
def test_a_subject_outside_the_errands_gets_where_to_go_and_no_errand(assistant, text, intent, subject_line):
    handler = {"nlu_fallback": "clarify", "personal_matter": "sensitive_intent"}.get(intent, "answer_errand")
    reply = assistant.handle(handler, turn(text, intent, 0.75 if intent != "nlu_fallback" else 0.3)).reply
    assert reply.channel == "out_of_scope" and reply.topic is None, reply
    assert subject_line in reply.text.splitlines()[0]
    assert not reply.buttons  # no "Mente du …?" errand: it would be the wrong answer
    assert "Jeg kan svare på spørgsmål om" in reply.text  # then what the assistant covers


def test_the_english_line_for_an_english_question(assistant):
    reply = assistant.handle("answer_errand", turn("Where do I get a new credit card?", "sundhedskort")).reply
    assert reply.channel == "out_of_scope" and reply.text.startswith("Payment cards")


@pytest.mark.parametrize(
    "text,intent,topic",
    [
        # The errand named by its own words wins.
        ("Kan jeg få boligstøtte, når jeg er på SU?", "boligstoette", "boligstoette"),
        # The errand's own situation keyword says the errand.
        ("jeg er på dagpenge og er blevet syg, hvor melder jeg det", "sygemelding", "sygemelding"),
    ],
)
def test_an_errand_that_mentions_such_a_subject_is_still_answered(assistant, text, intent, topic):
    reply = assistant.handle("answer_errand", turn(text, intent, 0.95)).reply
    assert reply.topic == topic and reply.channel != "out_of_scope", reply


@pytest.mark.parametrize(
    "text,subject_line",
    [
        # A divorce (a family term) asked about by itself.
        ("Jeg skal skilles. Hvor søger man om skilsmisse?", "familieretshuset.dk"),
        # An illness told as why (a health term).
        (
            "Hvordan søger jeg om et handicapparkeringskort til min mand? Han sidder i kørestol efter en blodprop.",
            "handicap.dk",
        ),
    ],
)
def test_a_family_or_health_matter_about_a_subject_outside_gets_where_to_go(guarded, text, subject_line):
    # No caseworker of the municipality's can do these; the callback would
    # only queue the citizen for the wrong service (thread.OUTSIDE_CONTEXT_CATEGORIES).
    reply = guarded.handle("sensitive_intent", turn(text, "personal_matter", 0.75)).reply
    assert reply.channel == "out_of_scope" and reply.topic is None, reply
    assert subject_line in reply.text.splitlines()[0]


@pytest.mark.parametrize(
    "text,intent",
    [
        # Violence, a death and an own case reach a caseworker whatever the subject.
        ("Min mand slår mig. Hvordan søger jeg om skilsmisse?", "personal_matter"),
        ("Min mand er lige død, og nu skal jeg have hjemmehjælp", "personal_matter"),
        ("Kommunen har givet min mor afslag på hjemmehjælp, og det vil vi klage over", "personal_matter"),
        # Also when the divorce comes first: every term counts, not the first.
        ("Vi skal skilles og han truer mig. Hvordan søger jeg skilsmisse?", "personal_matter"),
        ("Jeg skal skilles fra min mand, han drikker hver dag. Hvor søger man om skilsmisse?", "personal_matter"),
        # The NLU's personal guess alone: it also catches violence told in
        # words no term knows, so it is not set aside for a subject outside.
        ("My husband hit me last month. My residence permit depends on him. What can I do?", "personal_matter"),
    ],
)
def test_other_matters_with_a_subject_outside_still_reach_a_caseworker(guarded, text, intent):
    reply = guarded.handle("sensitive_intent", turn(text, intent, 0.75)).reply
    assert reply.channel in ("callback", "urgent"), reply


def test_a_divorce_told_not_asked_or_with_an_errand_is_not_set_aside(guarded):
    # Told, not asked: the scope reply answers a question.
    t = turn("Jeg skal skilles og er helt knust. Familieretshuset har indkaldt os til møde.", "personal_matter", 0.75)
    assert guarded.handle("sensitive_intent", t).reply.channel == "callback"
    # A divorce told with an errand names the errand: not the scope reply.
    t = turn("Jeg skal skilles, hvad sker der så med min boligstøtte?", "boligstoette", 0.75)
    assert guarded.handle("answer_errand", t).reply.channel != "out_of_scope"
    # The sensitive model sure of a matter keeps it.
    t = turn("Jeg skal skilles. Hvor søger man om skilsmisse?", "personal_matter", 0.75, sensitive_score=0.9)
    assert guarded.handle("sensitive_intent", t).reply.channel == "callback"


def test_help_without_the_digital_solutions_is_not_overruled(assistant):
    text = "Jeg har ingen computer og skal bruge hjælp til mit skattekort"
    reply = assistant.handle("answer_errand", turn(text, "needs_assistance", 0.9)).reply
    assert reply.channel == "assisted"


@pytest.mark.parametrize(
    "old,new,field,message",
    [
        ("  bank:\n    words: [", "  bank:\n    words: [pas, ", "subjects.bank.words", "names the errand 'pas'"),
        ("    text: Betalingskort", "    tekst: Betalingskort", "subjects.bank.tekst", "unknown field"),
        ("  bank:\n    words: [", "  bank:\n    words: [... kort, ", "subjects.bank.words[0]", "gap"),
        (
            "  bank:\n    words: [",
            "  bank:\n    other_party: ja\n    words: [",
            "subjects.bank.other_party",
            "true or false",
        ),
    ],
)
def test_outside_problems_name_file_and_field(kdir, old, new, field, message):
    edit(kdir / "outside.yml", old, new)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kdir)
    found = [p for p in info.value.problems if p.file.endswith("outside.yml")]
    assert any(p.field == field and message in p.message for p in found), found


def test_a_subject_without_words_or_text_is_a_problem(kdir):
    edit(kdir / "outside.yml", "    text: Betalingskort, netbank og lån klarer du med din egen bank.\n", "")
    edit(kdir / "outside.yml", "  su:\n    words: [su, su-lån,", "  su:\n    words: []\n    x: [")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kdir)
    fields = {p.field for p in info.value.problems if p.file.endswith("outside.yml")}
    assert {"subjects.bank.text", "subjects.su.words"} <= fields, fields


def test_an_own_case_the_nlu_reads_as_an_errand_or_held_against_the_jobcentre_reaches_a_caseworker(guarded):
    t = turn("skat siger de har udbetalt min overskydende skat men der er ikke kommet noget", "nemkonto", 0.6)
    assert guarded.handle("answer_errand", t).reply.channel == "callback"
    # The case model sure of an own case (no phrase of case_signals.yml in it).
    t = turn(
        "Jobcentret har skrevet, at jeg har mistet retten til dagpenge, hvorfor?", "nlu_fallback", 0.3, case_score=0.9
    )
    assert guarded.handle("clarify", t).reply.channel == "callback"
    t = turn(
        "Min a-kasse skriver, at jeg har mistet retten til dagpenge, hvorfor?", "nlu_fallback", 0.3, case_score=0.9
    )
    assert guarded.handle("clarify", t).reply.channel == "out_of_scope"


@pytest.mark.parametrize(
    "text,intent,where",
    [
        (
            "Jeg har fået en kontrolafgift fra et privat parkeringsfirma ved supermarkedet. Hvordan betaler jeg den?",
            "beboerparkering",
            "parkeringsklagenaevnet.dk",
        ),
        (
            "I got a fine from a private parking company at the shopping centre, what now?",
            "beboerparkering",
            "parkeringsklagenaevnet.dk",
        ),
        # The employer's payslip, though e-Boks is Digital Post's word.
        ("Min lønseddel for oktober er aldrig dukket op i e-Boks", "digital_post", "arbejdsgiver"),
        # The airport's parking, though parking is the residents' errand's word.
        ("Can I book parking at the airport for a week while we travel?", "beboerparkering", "cph.dk"),
        # A pet's passport is the vet's, though "pas" is the passport errand's word.
        ("Hvor får jeg pas til min hund? Vi skal til Sverige", "pas", "dyrlæge"),
        ("Does my cat need a pet passport for a holiday in France?", "pas", "vet"),
        ("Hunden skal have pas, før vi kører til Tyskland", "pas", "dyrlæge"),
    ],
)
def test_a_subject_that_names_the_other_party_wins_over_a_situation_word(assistant, text, intent, where):
    """A subject with ``other_party: true`` (the private parking company, the
    employer's payslip, the airport) applies though the errand's own words
    or situation keywords ("kontrolafgift", "e-Boks") stand beside it."""
    reply = assistant.handle("answer_errand", turn(text, intent, 0.95)).reply
    assert reply.channel == "out_of_scope" and reply.topic is None, reply
    assert where in reply.text.splitlines()[0]


def test_a_passport_for_the_children_and_the_dog_is_still_the_passport_errand(assistant):
    reply = assistant.handle("answer_errand", turn("Skal vi have pas til børnene og hunden?", "pas", 0.95)).reply
    assert reply.topic == "pas" and reply.channel == "booking", reply


def test_the_other_party_wins_over_the_errands_own_word_and_a_fee_without_it_is_the_errands(assistant):
    company = "Jeg har beboerlicens, men fik en kontrolafgift fra et privat parkeringsfirma i min egen gård"
    reply = assistant.handle("answer_errand", turn(company, "beboerparkering", 0.95)).reply
    assert reply.channel == "out_of_scope" and "parkeringsklagenaevnet.dk" in reply.text, reply
    own = "Jeg har fået en kontrolafgift, selvom min beboerlicens lå i forruden"
    reply = assistant.handle("answer_errand", turn(own, "beboerparkering", 0.95)).reply
    assert reply.topic == "beboerparkering" and reply.channel != "out_of_scope", reply


def test_only_subjects_marked_other_party_win_over_a_situation_word(knowledge):
    marked = {s.key for s in knowledge.outside if s.other_party}
    assert marked == {
        "privat_parkering",
        "postnord",
        "loenseddel",
        "lufthavnsparkering",
        "depositum",
        "dyrepas",
        "cvr",
        "attester",
        "sociale_medier",
        "esta",
        "tegn",
        "baad",
        "pensionsselskab",
        "vejnavn",
        "skolebestyrelse",
        "aegtepagt",
    }


@pytest.mark.parametrize(
    "text,intent,where",
    [
        # "skifte navn" is the name change's keyword, "adresse" the move's.
        ("Vores lille firma skal skifte navn. Hvordan retter jeg det i CVR-registret?", "navneaendring", "virk.dk"),
        ("Hvordan ændrer jeg firmaets adresse, nu hvor vi er flyttet til nye lokaler?", "flytning", "virk.dk"),
        # A job in a kindergarten brings up the childcare errand's words.
        (
            "Jeg skal arbejde i en vuggestue og skal vise en straffeattest. Hvor får jeg den?",
            "pladsanvisning",
            "politi.dk",
        ),
        ("Hvordan skifter jeg navn på min Facebook-profil?", "navneaendring", "tjenesten selv"),
    ],
)
def test_the_companies_register_the_police_and_a_social_medium_are_other_parties(assistant, text, intent, where):
    reply = assistant.handle("answer_errand", turn(text, intent, 0.95)).reply
    assert reply.channel == "out_of_scope" and where in reply.text, reply


@pytest.mark.parametrize(
    "text,intent,where",
    [
        # Travel authorisation beside a valid passport.
        ("Min datter har et gyldigt pas, men hvordan søger hun ESTA til Florida?", "pas", "esta.cbp.dhs.gov"),
        # Another authority's licence compared with the driving licence.
        ("Skal mit jagttegn fornyes på samme måde som kørekortet?", "koerekort", "fiskeogjagt.dk"),
        ("Skal man have kørekort for at sejle en speedbåd?", "koerekort", "dma.dk"),
        # The pension company beside the state pension.
        ("Jeg får folkepension nu, men hvornår begynder PFA at udbetale?", "folkepension", "pensionsinfo.dk"),
        # A road's name, though "nyt navn" is the name change's.
        ("Vi vil gerne give vores nye vej et nyt navn. Hvem bestemmer vejnavne?", "navneaendring", "vejafdeling"),
        ("Hvornår er der valg til skolebestyrelsen?", "valg", "Skolebestyrelsen"),
        ("Skal vi lave en ægtepagt, før vi bliver gift?", "vielse", "tinglysning.dk"),
    ],
)
def test_another_authoritys_thing_decides_beside_the_errands_word(assistant, text, intent, where):
    """The subjects marked ``other_party`` that name what only another
    authority or company handles (2026-12-08): an errand's word beside them
    is context, not the question."""
    reply = assistant.handle("answer_errand", turn(text, intent, 0.95)).reply
    assert reply.channel == "out_of_scope" and reply.topic is None, reply
    assert where in reply.text.splitlines()[0]


def test_aula_is_not_an_other_party_so_the_after_school_care_keeps_its_errand(assistant):
    """Aula alone is the school's everyday life; signing a child out of
    after-school care there is the enrolment errand's question."""
    reply = assistant.handle(
        "answer_errand", turn("Hvor kan jeg se ugeplanen for min søns klasse?", "skoleindskrivning", 0.5)
    ).reply
    assert reply.channel == "out_of_scope" and "Aula" in reply.text.splitlines()[0], reply
    sfo = "Skal man selv melde sit barn ud af SFO på Aula?"
    reply = assistant.handle("answer_errand", turn(sfo, "skoleindskrivning", 0.95)).reply
    assert reply.topic == "skoleindskrivning", reply


def test_the_self_employed_reporting_sick_with_their_cvr_number_get_the_errand(assistant):
    text = "Jeg er selvstændig med eget CVR-nummer og er blevet syg. Hvordan sygemelder jeg mig?"
    reply = assistant.handle("answer_errand", turn(text, "sygemelding", 0.95)).reply
    assert reply.topic == "sygemelding" and reply.channel == "selfservice", reply


def test_an_own_case_with_the_other_party_gets_where_to_go(guarded):
    """A fee disputed with a private parking company is the company's,
    though the NLU reads residents' parking and the message tells of a case."""
    text = "Jeg har fået en p-afgift fra et privat parkeringsfirma ved supermarkedet. Hvordan klager jeg over den?"
    reply = guarded.handle("answer_errand", turn(text, "beboerparkering", 0.95)).reply
    assert reply.channel == "out_of_scope" and "parkeringsklagenaevnet.dk" in reply.text, reply


def test_a_deposit_is_the_landlords_though_the_citizen_has_moved(assistant):
    text = "Min udlejer vil ikke betale mit depositum tilbage, efter jeg er flyttet. Hvem kan hjælpe mig?"
    reply = assistant.handle("answer_errand", turn(text, "flytning", 0.9)).reply
    assert reply.channel == "out_of_scope" and "huslejenævnet" in reply.text.splitlines()[0], reply


@pytest.mark.parametrize(
    "text,intent,where",
    [
        # "udbetalt" is a keyword of the state pension's payments.
        ("Hvornår kan jeg få udbetalt min ratepension?", "folkepension", "pensionsinfo.dk"),
        # "gruppe 1" is a keyword of the health insurance groups.
        ("Sygeforsikring danmark pris paa gruppe 1", "laegevalg", "sygeforsikring"),
    ],
)
def test_a_common_keyword_keeps_an_outside_subject_in_the_errand_only_when_the_nlu_is_sure(
    assistant, text, intent, where
):
    """A situation keyword of the NLU's errand outweighs the subject's word
    only at OUTSIDE_VETO_CONFIDENCE or above: the keyword lists hold common
    words, and a hesitant NLU is no second signal for the errand."""
    hesitant = assistant.handle("answer_errand", turn(text, intent, OUTSIDE_VETO_CONFIDENCE - 0.1)).reply
    assert hesitant.channel == "out_of_scope" and where in hesitant.text.splitlines()[0].lower(), hesitant
    sure = assistant.handle("answer_errand", turn(text, intent, OUTSIDE_VETO_CONFIDENCE)).reply
    assert sure.topic == intent, sure


def test_forwarding_of_post_after_a_move_is_postnords(assistant):
    text = "Vi flytter om tre uger. Hvordan får jeg PostNord til at sende vores breve videre?"
    reply = assistant.handle("answer_errand", turn(text, "flytning", 0.9)).reply
    assert reply.channel == "out_of_scope" and "postnord.dk" in reply.text.splitlines()[0], reply
