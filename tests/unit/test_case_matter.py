"""The case-matter reading (bot/chat/case_matter.py) with the real signals
of knowledge/case_signals.yml, read directly: an own case or decision in
every kind the channel strategies name, and the near-misses both ways.

Sentences here are written for these tests; none is copied from the
held-out sets (tests/heldout/)."""

from __future__ import annotations

import pytest

from bot.chat.case_matter import (
    CASE_LABEL,
    CASE_SCORE_THRESHOLD,
    GAP_WORDS,
    HINT_GROUPS,
    NO_CASE,
    NOT_CASE_LABEL,
    UNNAMED_CASE_THRESHOLD,
    case_examples,
)
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def reader(case_reader):
    return case_reader


# (kind, message): each an own case, in Danish with and without æøå, misspelt, and English.
OWN_CASES = [
    # Phrases after the nineteenth sealed set joined the open set.
    ("fejl", "Min kodeviser blev spærret ved en fejl, da jeg var i Borgerservice."),
    ("fejl", "Lønnen fra kommunen er gået ind på min gamle konto, som banken har lukket."),
    ("fejl", "Vi har meldt det fem gange, og der sker intet med den knækkede spand."),
    ("fejl", "Hver gang jeg melder det, lover de at komme, men ingen kommer."),
    ("fejl", "Jeg står hos en læge i en anden by, men jeg har aldrig valgt hende."),
    ("aflyst", "Navneceremonien blev aflyst af kommunen en uge før."),
    # Phrases after the twentieth sealed set's one run.
    ("fejl", "Fik en afgift i går trods gyldig licens i ruden."),
    ("fejl", "Rykker på grundskylden, den er betalt til tiden."),
    ("fejl", "I mit nye kørekort står der forkert fødested."),
    ("fejl", "Jeg står ikke på listen på valgstedet, selvom jeg har boet her i ti år."),
    # Phrases after the twenty-first sealed set's one run.
    ("udbetaling", "Boligstøtten skulle komme den første, men der er intet kommet ind hos os."),
    ("udbetaling", "Syg i seks uger og endnu ingen sygedagpenge udbetalt."),
    ("udbetaling", "My refund has been stuck since the summer."),
    # Phrases from the fourteenth sealed set's misses (read after its run).
    ("afslag", "Ved valget fik jeg ikke lov at tage min hjælper med ind."),
    ("uden_samtykke", "Jobcentret har besluttet det, og ingen har talt med mig om det."),
    ("solgt", "They sent me a tax bill for a plot we sold two years ago."),
    ("afslag", "Min søn fik ikke plads på skolen ved siden af os."),
    ("afslag", "Ifølge jer opfylder jeg ikke kravet om bopæl."),
    ("fejl", "Lønkontoret siger, at det er kommunens skyld, at refusionen mangler."),
    ("fejl", "Der er kommet forkert fødselsdato på mit nye pas."),
    ("ophoert", "Vi har fået dagplejepladsen opsagt uden varsel."),
    ("ventetid", "Min byggesag ligger stadig hos jer efter et halvt år."),
    ("sag", "Vi har fået et påbud om at lovliggøre vores udestue."),
    # Was read by two hint groups until "pengene er ikke kommet" became a signal.
    ("udbetaling", "kommunen siger at min nemkonto er i orden men pengene er ikke kommet"),
    ("ventetid", "vi har endnu ikke modtaget noget om vores byggesag efter et halvt år"),
    ("ventetid", "Vores byggeansøgning har ligget i fire måneder nu"),
    ("ventetid", "hvem kan jeg rykke for svar på min ansøgning om parkeringslicens"),
    ("nedsat", "my housing benefit is lower this month and nobody told me why"),
    ("nedsat", "boligstøtten er mindre end sidste måned, det må være en fejl"),
    ("tilsagn", "vi fik lovet en plads i vuggestuen fra marts, nu er den væk"),
    ("tilsagn", "I was promised a callback about my pension two weeks ago"),
    ("afslag", "Jeg har fået afslag på min ansøgning om beboerlicens, hvad nu?"),
    ("afslag", "vi har faaet afslag paa friplads til vores datter"),
    ("afslag", "Min mor fik nej til at få sin post på papir."),
    ("afslag", "Vi søgte om en større spand til min svigerfar, men det fik han nej til."),
    ("afslag", "Ansøgningen om navneændring er blevet afvist, og jeg forstår ikke hvorfor."),
    ("afslag", "They rejected my application for a yellow card. Why?"),
    ("nedsat", "Min boligydelse er sat ned med flere hundrede kroner."),
    ("nedsat", "Hvorfor er mine sygedagpenge blevet stoppet?"),
    ("nedsat", "My state pension was reduced from January."),
    # An error in a register or a bill, told without a word of complaint
    # (the nineteenth sealed set's misses, read after its run).
    ("fejl", "They charge me for a garden waste service we never ordered."),
    ("fejl", "Vi har fået en forkert takst for SFO på regningen."),
    ("fejl", "Der står en læge på mit kort, som jeg aldrig har valgt."),
    ("fejl", "Min kone og jeg står ikke på valglisten til næste valg."),
    ("tilbagebetaling", "Nu kræver de 6.000 kr. tilbage i boligstøtte fra mig."),
    ("tilbagebetaling", "jeg har fået krav om tilbagebetaling af sygedagpenge"),
    ("gebyr", "I har sendt mig en regning for en ekstra spand, som jeg aldrig har bestilt."),
    ("gebyr", "Jeg vil have gebyret for mit pas refunderet, det kom alt for sent."),
    ("klage", "Jeg vil gerne klage over vurderingen af mit hus."),
    ("klage", "Kan vi anke det?"),
    ("klage", "How do I appeal the decision about my son's school?"),
    ("ventetid", "Jeg har ventet seks uger på mit nye sundhedskort."),
    ("ventetid", "har sendt ansøgningen om byggetilladelse i marts og har ikke hørt noget"),
    ("ventetid", "My application has been under review for two months."),
    ("sag", "Jeg vil gerne tale med min sagsbehandler om min byggesag."),
    ("indsigelse", "I har flyttet mig til en anden læge uden at spørge mig."),
    ("indsigelse", "Det er jeres fejl, at valgkortet kom til den gamle adresse."),
    ("udbetaling", "Folkepensionen er ikke kommet ind på kontoen, og jeg skal betale husleje fredag"),
    ("udbetaling", "my mum's housing benefit didn't come in this month"),
    ("udbetaling", "Jeg har betalt gebyret for beboerlicensen to gange"),
    ("fejl", "På mit nye kørekort er mit efternavn stavet forkert"),
    ("fejl", "our son's new passport has his name misspelt"),
    ("placering", "Vores søn er blevet placeret på en anden skole end sin storesøster"),
    ("placering", "Vores dreng skal i stedet gå på skolen ude ved ringvejen, to kilometer væk"),
    ("sag", "Påbud om at fjerne hønsehuset?! Det har stået der siden 1990."),
    ("sag", "ansøgning om beboerlicens afvist igen, nu for tredje gang"),
    ("uden_samtykke", "Our daughter was given a new doctor and we weren't asked."),
    ("placering", "Min datter er blevet indskrevet på en skole, vi aldrig har søgt"),
]

# Hints from two groups, from someone who speaks of themselves.
HINTED_CASES = [
    # Disagreement said outright beside what the municipality says.
    "Vi er ikke enige i det, kommunen siger om vores skel.",
    # A card said to be invalid, beside what the writer was told.
    "Jeg fik at vide ved skranken, at mit gule kort er ugyldigt.",
    # Objections asked as questions, beside a change, a letter, a sum worked
    # out from old figures, or two people's details swapped.
    "Min grundværdi er steget 30 procent, mens genboens er uændret. Hvordan hænger det sammen?",
    "Ifølge brevet skal vi flytte barnet til en anden institution. Hvordan kan de bestemme det?",
    "Min pension er beregnet ud fra en formue, jeg ikke har mere. Hvorfor skal jeg betale for meget skat af den?",
    "Vores to sygesikringskort er byttet om, så jeg har hans. Kan I rette det?",
    "I har trukket renovationen to gange fra vores konto i denne måned",
    "min datter står på venteliste og kan først starte efter sommerferien, jeg skal arbejde",
    "Jeg har fået et brev om, at min fritagelse for digital post er annulleret.",
    "De siger, at min ansøgning mangler papirer, men jeg har sendt dem flere gange.",
    # The same fault after a second order (the twenty-first sealed set).
    "Jeg har bestilt det nye kort to gange, og det kommer stadig med forkert navn.",
    "Our property tax bill is double this year and we think the valuation is wrong.",
]

# General questions and plain first-person questions: no own case.
PLAIN = [
    # What an order is, asked in general.
    "Hvad er et påbud om at rydde fortovet, og hvem kan give det?",
    # The citizen giving notice, or the same words asked in general.
    "Jeg har allerede en plads, jeg skal bare have den opsagt.",
    "Hvor lang tid har man til at lovliggøre et skur?",
    "Der står forkert adresse på mit sygesikringskort, hvordan ændrer jeg den?",
    "Hvad gør man, hvis man ikke får lov at stemme?",
    "hvornår bliver ejendomsskatten trukket fra kontoen?",
    "hvor længe står man på venteliste til vuggestue?",
    "er pensionen lavere om sommeren?",
    "Hvordan klager man over en afgørelse om boligstøtte?",
    "Kan man få boligstøtte, hvis man er pensionist?",
    "Hvad sker der, hvis man har fået afslag på sygedagpenge?",
    "hvis jeg får afslag, kan jeg så klage?",
    "Hvornår er det gratis at få et pas?",
    "Findes der en ordning for ældre, der ikke kan trække skraldespanden ud?",
    "Hvor længe er ventetiden på et kørekort?",
    "Hvordan foregår tilbagebetaling af for meget udbetalt boligstøtte?",
    "Jeg har fået et brev om et skema, hvor finder jeg det?",
    "Mit MitID er spærret, efter jeg tastede forkert, hvordan låser jeg det op?",
    "Min mor er 90 og har ingen computer, hvordan får hun sin post?",
    "Can you appeal a parking fine in Denmark?",
    "Er der gebyr for at blive viet på rådhuset?",
    "Min far har diabetes, skal han have lægeattest til kørekortet?",
    "Hvad gør man, hvis navnet er stavet forkert i passet?",
    "Hvad gør man, hvis pensionen ikke er kommet ind på kontoen?",
    "Hvad gør man, hvis man ikke står på valglisten?",
    "Jeg har aldrig bestilt storskrald før, hvordan gør man?",
    "Jeg har aldrig valgt en læge selv, hvordan gør jeg?",
    # An account closed by the writer's own choice, told as a change.
    "Min gamle konto bliver lukket om en uge, skal jeg gøre noget ved min NemKonto?",
    "Pensionen skal ind på en ny konto, fordi min bank er lukket.",
    "Kommer pengene ind på min gamle konto, hvis den er lukket?",
    # A quarrel at home is no disagreement with a decision.
    "Hvilken spand skal mælkekartoner i? Vi er uenige om det herhjemme.",
    "Hvad gør man, hvis der intet er kommet ind på kontoen på udbetalingsdagen?",
]


@pytest.mark.parametrize("kind,text", OWN_CASES)
def test_an_own_case_is_read_by_its_signal(reader, kind, text):
    reading = reader.read(text)
    assert reading.case and reading.signal == kind, reading
    assert reading.found == kind


@pytest.mark.parametrize("text", HINTED_CASES)
def test_hints_of_two_groups_make_a_case(reader, text):
    reading = reader.read(text)
    assert reading.signal is None and len(reading.hints) >= HINT_GROUPS and reading.case, reading


@pytest.mark.parametrize("text", PLAIN)
def test_a_general_or_plain_question_is_no_case(reader, text):
    reading = reader.read(text)
    assert not reading.case, reading


def test_tense_tells_a_decision_from_a_question(reader):
    # "fået" is written inflected in the signals, so "får" does not match it.
    assert reader.read("jeg har fået afslag på boligstøtte").case
    assert not reader.read("jeg får afslag på boligstøtte hvis jeg flytter?").signal
    # The dictionary form matches every form: "klage" in "klagede".
    assert reader.read("jeg klagede i sommer og har intet hørt").case


def test_an_inflected_word_never_matches_a_longer_word(reader):
    # "ventet" (inflected) is not "ventetiden".
    assert reader.read("hvor lang er ventetiden på mit pas").signal is None


def test_a_word_marked_as_written_matches_that_form_only(reader):
    # "min =sag": my case, not my affairs.
    assert reader.read("Hvorfor er min sag ikke færdig endnu?").signal == "sag"
    assert reader.read("Kan jeg få hjælp af en medarbejder til mine sager?").signal is None
    assert reader.read("Hvordan hjælper jeg min far med hans sager hos kommunen?").signal is None


def test_a_gap_stands_for_at_most_gap_words(reader):
    assert reader.read("Udbetaling Danmark kræver nu 4.000 kr. tilbage fra mig").signal == "tilbagebetaling"
    filler = " ".join(["meget"] * (GAP_WORDS + 1))
    assert reader.read(f"de kræver {filler} tilbage fra mig").signal != "tilbagebetaling"


def test_a_signal_in_a_question_that_names_nobody_is_general(reader):
    # Named nobody and asked how: a general question.
    assert not reader.read("hvad gør man, når sygedagpengene er blevet stoppet?").case
    # The same signal from someone: their case.
    assert reader.read("hvad gør jeg, når mine sygedagpenge er blevet stoppet?").case
    # No question and no person (a sloppy writer drops "jeg"): still a case.
    assert reader.read("har ventet 8 uger paa svar om boligstøtte").case


def test_one_hint_alone_is_no_case(reader):
    reading = reader.read("jeg har fået et brev fra kommunen, hvor kan jeg læse det?")
    assert reading.hints == ("brev",) and not reading.case


def test_a_capital_i_is_a_person_and_a_lower_case_i_is_not(reader):
    assert reader.read("I har afvist min flytning").own
    assert reader.read("I was turned away at the polling station").own
    assert not reader.read("hvor bor man i kommunen").own


def test_person_words_are_matched_as_written(reader):
    # The lookup table takes "viet" (married) for a form of "vi".
    assert not reader.read("hvad koster det at blive viet").own


def test_plain_means_asked_in_general_or_about_nobody(reader):
    assert reader.read("Kan man have en udenlandsk konto som NemKonto?").plain
    assert reader.read("hvad er seniorpension").plain
    assert not reader.read("min kone er fra Vietnam, er det et problem?").plain
    assert not reader.read("Jeg har fået afslag på seniorpension").plain


def test_a_payload_or_empty_text_is_no_case(reader):
    assert not reader.read("/pas").case and not reader.read("").case


# -- the case model's confidence, joined with the phrases -----------------


def test_a_sure_case_model_tells_of_an_own_case_without_any_signal_word(reader):
    text = "nu får jeg 400 kr mindre hver måned end før, det kan ikke passe"
    assert not reader.read(text).case
    reading = reader.read(text, score=CASE_SCORE_THRESHOLD)
    assert reading.case and reading.learned
    assert reading.found == "case model"


def test_an_unsure_case_model_adds_nothing(reader):
    text = "nu får jeg 400 kr mindre hver måned end før, det kan ikke passe"
    assert not reader.read(text, score=CASE_SCORE_THRESHOLD - 0.01).case


def test_a_general_question_about_nobody_stays_plain_however_sure_the_model(reader):
    reading = reader.read("Kan man få boligstøtte, hvis man har fået nedsat sin pension?", score=0.99)
    assert reading.general and not reading.own
    assert not reading.case and reading.plain


def test_a_question_about_a_group_names_nobody_and_stays_plain_however_sure_the_model(reader):
    # No "kan man", but no one in particular either: pensioners in general.
    reading = reader.read("Kan pensionister få udskudt grundskylden, hvis de ikke har råd?", score=0.9)
    assert not reading.own and not reading.case


@pytest.mark.parametrize(
    "text",
    [
        "ER BLEVET TRUKKET FOR PASGEBYRET TO GANGE. 1.000 kr er mange penge for en studerende",
        "paid 300 kr to change doctor but the change never happened",
        # A question, but with a case phrase (waiting without an answer).
        "soegte boligsikring i august og har stadig ikke faaet svar hvad sker der",
    ],
)
def test_a_complaint_that_names_nobody_is_a_case_when_the_model_is_very_sure(reader, text):
    reading = reader.read(text, score=UNNAMED_CASE_THRESHOLD)
    assert not reading.own and reading.case and reading.learned
    assert not reader.read(text, score=UNNAMED_CASE_THRESHOLD - 0.01).learned


def test_a_question_about_nobody_without_a_case_phrase_stays_plain_however_sure_the_model(reader):
    reading = reader.read("Kan pensionister få udskudt grundskylden, hvis de ikke har råd?", score=0.99)
    assert reading.question and not reading.case


def test_a_general_question_that_names_the_writer_is_a_case_when_the_model_is_sure(reader):
    # "kan man" with "min": the writer asks about their own pension.
    reading = reader.read("Kan man virkelig sætte min pension ned uden at spørge?", score=0.9)
    assert reading.own and reading.case


def test_a_signal_still_decides_when_the_model_is_unsure(reader):
    reading = reader.read("Jeg har fået afslag på min ansøgning om beboerlicens.", score=0.01)
    assert reading.case and reading.found == "afslag"


def test_a_button_is_never_read_by_the_model(reader):
    assert reader.read("/callback_request", score=0.99) == NO_CASE


def test_case_examples_label_the_marked_blocks_and_leave_the_neutral_intents_out():
    texts, labels = case_examples(
        [
            ("de vil have 6.000 kr tilbage", "boligstoette", True),
            ("hvad er boligstøtte?", "boligstoette", False),
            ("min nabo slår sin hund", "personal_matter", False),
            ("ring mig op", "callback_request", False),
            ("hej", "greet", False),
            ("", "pas", False),
            ("uden intent", None, False),
        ]
    )
    assert list(zip(texts, labels, strict=True)) == [
        ("de vil have 6.000 kr tilbage", CASE_LABEL),
        ("hvad er boligstøtte?", NOT_CASE_LABEL),
        ("hej", NOT_CASE_LABEL),
    ]


def test_phrases_ruled_out_by_the_word_index_are_never_found(reader):
    """The index only skips phrases ``_find`` would not find: every signal
    phrase against the open held-out case texts and conversations."""
    from bot.chat.case_matter import _find, _may_match, _word_index
    from bot.content.heldout import OPEN, load_conversations

    texts = [turn["user"] for c in load_conversations(PROJECT_ROOT / OPEN) for turn in c["turns"]]
    texts += [item["text"] for items in _yaml(PROJECT_ROOT / OPEN / "cases.yml").values() for item in items]
    phrases = [p for _, _, p in reader.signals + reader.hints] + reader.general + reader.questions + reader.persons
    found = skipped = 0
    for text in texts:
        words = reader._words(text)
        index = _word_index(words)
        for phrase in phrases:
            if _find(words, phrase):
                found += 1
                assert _may_match(index, phrase), (text, phrase)
            elif not _may_match(index, phrase):
                skipped += 1
    assert found > 100 and skipped > 10 * found


def _yaml(path):
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text,case",
    [
        # Done to the citizen without asking: their case.
        ("I har flyttet mig til en anden læge uden at spørge, jeg vil have min gamle tilbage", True),
        ("Hvorfor har I skiftet min læge uden at spørge?", True),
        ("I've been moved to health insurance group 2 without asking for it. Why?", True),
        # Asking what one may do oneself without asking: how the errand works.
        ("Maa jeg saette et drivhus op taet paa skellet til naboen uden at spoerge kommunen?", False),
        ("Can I build a garden shed without asking the municipality?", False),
    ],
)
def test_without_asking_is_a_case_only_when_something_was_done_to_the_citizen(reader, text, case):
    assert reader.read(text, score=0.01).case is case


@pytest.mark.parametrize(
    "text,case",
    [
        ("Jeg har fået en regning på grundskyld, selvom huset blev solgt i marts.", True),
        # Deferral until a future sale: how the tax works, no case.
        ("Goddag. Jeg er 84 år og ejer mit hus. Kan jeg vente med at betale skatten, til huset bliver solgt?", False),
    ],
)
def test_a_house_sold_is_a_case_only_once_it_was_sold(reader, text, case):
    assert reader.read(text, score=0.01).case is case


@pytest.mark.parametrize(
    "text,case",
    [
        # A yes/no question about nobody asks how the errand works.
        ("Kan et dødsbo søge byggetilladelse, før huset er solgt?", False),
        ("Does an estate get a refund when the house was sold?", False),
        # The same question from the writer: their case.
        ("Kan I forklare, hvorfor jeg skal betale, når huset er solgt?", True),
        # A statement that names nobody is no question: still a case.
        ("Fået afslag på boligstøtte igen.", True),
    ],
)
def test_a_yes_no_question_about_nobody_is_asked_in_general(reader, text, case):
    reading = reader.read(text, score=0.01)
    assert reading.case is case


@pytest.mark.parametrize(
    "text,own",
    [
        # A past tense or "har" with a participle, no subject after it: the writer.
        ("Ansøgte om boligsikring i maj. Hvornår hører man noget?", True),
        ("Har ventet på svar om carporten siden foråret, hvad sker der?", True),
        ("Hej. Fik et girokort om affald, som ikke er vores.", True),
        # A subject after the verb: inverted or a question, not the writer.
        ("Fik du nogensinde svar?", False),
        ("Har man ret til tilskud som studerende?", False),
        ("Blev det besluttet på mødet?", False),
        # A present tense or a modal past is no dropped subject.
        ("Søger tilskud til tandlæge, hvad gælder?", False),
        ("Kunne det tænkes, at reglerne ændres?", False),
    ],
)
def test_a_dropped_subject_in_the_past_tense_is_the_writer(reader, text, own):
    reading = reader.read(text)
    assert (reading.own or reading.implied) is own


def test_a_dropped_subject_counts_for_the_phrases_but_not_for_the_model_alone(reader):
    # A plain change told without a person: the case model alone needs a named one.
    reading = reader.read("Har flyttet bank og vil have pengene ind på den nye konto", score=0.6)
    assert reading.implied and not reading.own and not reading.case
    assert reader.read("Har flyttet bank, og I har ikke svaret i tre uger", score=0.01).case


def test_a_waiting_time_told_with_a_dropped_subject_is_a_case_though_it_asks(reader):
    reading = reader.read("Søgte om friplads i juni og har stadig ikke hørt noget. Hvor længe tager det?", score=0.01)
    assert reading.case and reading.signal == "ventetid"


@pytest.mark.parametrize(
    ("text", "case"),
    [
        # The phrase told in a sentence of its own, then a question.
        ("Udbetalingen er ikke kommet ind på kontoen denne måned. Hvad er der sket?", True),
        ("Ansøgningen om carport blev afvist i sidste uge. Hvad nu?", True),
        ("The application was rejected last week. What now?", True),
        # The phrase inside the question, or beside a general word: how it works.
        ("Hvad sker der, hvis ansøgningen er blevet afvist?", False),
        ("Hvad sker der hvis ansøgningen er blevet afvist", False),
        ("Man kan få afslag, hvis indkomsten er for høj. Hvornår gælder det?", False),
    ],
)
def test_a_phrase_told_in_a_sentence_of_its_own_is_a_case_though_the_message_asks(reader, text, case):
    reading = reader.read(text)
    assert reading.case is case, reading


@pytest.mark.parametrize(
    "text",
    [
        # A heading and what may happen tell nothing that happened.
        "Tilbagebetaling af boligstøtte. Hvordan foregår det?",
        "Ansøgninger kan blive afvist. Hvornår sker det?",
        # Opening hours, an app removed by the citizen, a fee asked about in general.
        "Har I lukket mellem jul og nytår?",
        "Jeg har fjernet MitID-appen ved en fejl, hvordan får jeg den igen?",
        "Betaler jeg ikke mindre for pas som pensionist?",
    ],
)
def test_a_heading_a_possibility_or_an_ordinary_question_is_no_case(reader, text):
    reading = reader.read(text)
    assert not reading.case, reading


def test_a_note_without_a_finite_verb_tells_by_its_participle(reader):
    # No person and a question: the signal counts only in a sentence that
    # tells, and a note tells by its participle ("udbetalt", "betalt").
    assert reader.read("Arbejdsløs, syg siden maj, ingen dagpenge udbetalt endnu. Hvad nu?", score=0.01).case
    assert reader.read("pas bestilt og betalt i marts, stadig intet pas. hvad gør jeg nu?", score=0.01).case
    # A heading with the same words asks; a short adjective is no participle.
    assert not reader.read("Ingen dagpenge udbetalt? Hvad gør man så?", score=0.01).case
    assert not reader.read("Nyt sundhedskort stadig intet. Hvor lang tid tager det normalt?", score=0.01).case


def test_still_nothing_needs_what_was_applied_for(reader):
    assert reader.read("Søgte vuggestueplads i april og har stadig ingen plads", score=0.01).case
    assert reader.read("We applied in June and still no decision on the housing benefit", score=0.01).case
    # "Still none" alone is also a plain need.
    assert not reader.read("Har stadig ingen læge efter flytningen, hvordan vælger jeg en?", score=0.01).case


def test_a_note_may_tell_over_two_statements(reader):
    # The participle in one statement, the waiting phrase in the next.
    assert reader.read("Ansøgning om nyt navn sendt i marts. Stadig intet svar. Hvad sker der?", score=0.01).case
    # Without a verb of what happened anywhere, the statements are headings.
    assert not reader.read("Nyt navn. Stadig intet svar? Hvor lang tid tager det?", score=0.01).case


def test_asking_why_of_a_refusal_or_a_benefit_taken_away_is_an_own_case(reader):
    assert reader.read("Afslag på beboerlicens til bil nummer to – hvorfor?", score=0.01).case
    assert reader.read("Søskenderabatten fjernet fra januar. Hvorfor?", score=0.01).case
    # Asked in general, why is how the errand works.
    assert not reader.read("Hvorfor kan man få afslag på beboerlicens?", score=0.01).case
    assert not reader.read("Kan man klage over et afslag på beboerlicens?", score=0.01).case


def test_a_phrase_marked_to_open_a_sentence_counts_only_there(reader):
    """ "^afslag på" (knowledge/case_signals.yml): the refusal that opens a
    note is the writer's; asked of in a hypothetical it is no signal."""
    assert reader.read("Hej. Afslag på beboerlicens til bil nummer to.", score=0.01).case
    assert not reader.read("jeg får afslag på boligstøtte hvis jeg flytter?").signal
    assert not reader.read("Hvad gør man efter et afslag på byggetilladelse?", score=0.01).case


def test_a_phrase_marked_to_open_a_sentence_tells_only_there_too(reader):
    """The sentence that tells is read with the same rule as the message:
    "^afslag på" in the middle of a sentence is no phrase there either."""
    assert reader._told("Afslag på boligstøtte er kommet i dag. Hvad nu?")
    assert not reader._told("Det er vist et afslag på boligstøtte. Hvad betyder det?")
