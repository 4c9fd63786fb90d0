"""Situations per topic: Rasa's synonym mapper gives a word one value for
every topic, and every topic still finds its own situation in that value."""

from __future__ import annotations

import warnings

import pytest

from bot.chat.reading import KeywordRules, Lemmatiser
from bot.chat.situations import normalise_situation
from bot.knowledge.loader import load_knowledge
from bot.settings import PROJECT_ROOT
from tests.conftest import KNOWLEDGE_DIR

# The words citizens and editors use, per topic and situation. A word two
# topics share ("mistet") must reach each topic's own situation.
WORDS = {
    "pas": {
        "fornyelse": ["forny", "fornyelse", "udløbet", "expired", "renew"],
        "bortkommet": ["mistet", "mistede", "tabt", "væk", "stjålet", "bortkommet", "forsvundet", "lost"],
        "pris": ["pris", "koster", "hvad koster", "gebyr", "how much"],
        "behandlingstid": ["hvor lang tid", "hvor længe", "leveringstid", "ventetid", "how long"],
    },
    "koerekort": {
        "fornyelse": ["forny", "fornyer", "udløber", "udløbet", "renewes"],
        "bortkommet": ["mistet", "tabt", "væk", "stjålet", "duplikat", "duplikatkørekort", "har smidt"],
        "internationalt": ["internationalt", "international driving permit", "IDP"],
        "udenlandsk": ["udenlandsk", "polske", "fra Polen", "foreign", "fra udlandet"],
    },
    "sundhedskort": {
        "mistet": ["mistet", "mistede", "tabt", "væk", "stjålet", "blevet stjålet", "bortkommet", "knækket"],
        "flytning": ["flyttet", "flytter", "skiftet læge", "ny adresse"],
        "rejse": ["det blå kort", "i udlandet", "på ferie i spanien", "eu-sygesikringskort"],
    },
    "mitid": {
        "ny": ["oprette mitid", "have et mitid", "får man mitid"],
        "unge": ["børn", "mit barn", "min søn", "datter på 14", "teenager", "fylder 15"],
        "uden_app": ["kodeviser", "kodeoplæser", "uden app", "mitid chip", "ingen smartphone"],
    },
    "affald": {
        "toemningsdag": ["tømningsdag", "hvornår tømmes", "afhentning", "skraldedag", "garbage collection"],
        "manglende_toemning": ["ikke tømt", "ikke blevet tømt", "glemt", "sprunget over"],
        "storskrald": ["storskrald", "gammel sofa", "madras", "møbler"],
        "genbrugsplads": ["genbrugspladsen", "genbrugsstation", "lossepladsen"],
        "sortering": ["sortere", "batterier", "pizzabakker", "farligt affald"],
    },
    "digital_post": {
        "laese": ["læse", "læser", "læse digital post", "e-boks"],
        "laeseadgang": ["læseadgang", "min mor", "for min far", "fuldmagt", "pårørende"],
        "fritagelse": ["fritaget", "fritagelse", "på papir", "fritaget for digital post"],
    },
    "flytning": {
        "indland": ["flytter til aarhus", "flytter til en anden kommune", "ny adresse", "flytning"],
        "udlandet": ["til udlandet", "flytter til spanien", "udrejse"],
        "til_danmark": ["flytter til danmark", "flytter hjem til danmark", "indrejse", "tilflytter fra udlandet"],
    },
    "sygemelding": {
        "loenmodtager": ["lønmodtager", "mit job", "jeg er ansat", "min chef"],
        "arbejdsgiver": ["arbejdsgiver", "medarbejder", "NemRefusion"],
        "ledig": ["ledig", "arbejdsløs", "dagpenge", "a-kassen"],
        "selvstaendig": ["selvstændig", "egen virksomhed", "freelancer"],
        "oplysningsskema": ["oplysningsskema", "skema", "brev fra kommunen"],
    },
    # issue 15
    "laegevalg": {
        "skift": ["skifte læge", "skift læge"],
        "gruppe": ["sygesikringsgruppe", "sikringsgruppe"],
        "flytning": ["flyttet", "flytter"],
    },
    "navneaendring": {
        "skift": ["ændre mit navn", "skifte mit navn"],
        "barn": ["barn", "barnet"],
        "aegteskab": ["gift", "giftes"],
    },
    "folkepension": {
        "ansoeg": ["søge", "ansøge"],
        "udbetaling": ["udbetales", "udbetalingsdato"],
        "tidlig": ["tidlig pension", "seniorpension"],
    },
    "boligstoette": {
        "ansoeg": ["søge", "ansøge"],
        "aendring": ["ændring", "aendring"],
        "tilbagebetaling": ["tilbagebetaling", "betale tilbage"],
    },
    "nemkonto": {"oprette": ["oprette", "opret"], "udland": ["udenlandsk konto", "udenlandsk bank"]},
    "vielse": {
        "proevelse": ["ægteskabserklæring", "aegteskabserklaering"],
        "raadhus": ["rådhuset", "raadhus"],
        "udland": ["udenlandsk statsborger", "udlænding"],
    },
    "beboerparkering": {
        "ansoeg": ["ansøge", "ansoege"],
        "gaest": ["gæst", "gaest"],
        "afgift": ["p-afgift", "parkeringsafgift"],
    },
    "byggetilladelse": {
        "ansoeg": ["ansøge", "ansøgning"],
        "behov": ["carport", "skur"],
        "sag": ["sagsbehandlingstid", "hvor lang tid"],
    },
    "ejendomsskat": {
        "vurdering": ["vurdering", "vurderet"],
        "betaling": ["betaling", "betaler"],
        "klage": ["klage", "klager"],
    },
    "pladsanvisning": {
        "skriv_op": ["skriv op", "skrive mit barn op"],
        "opsig": ["opsige", "opsigelse"],
        "tilskud": ["priser", "koster"],
    },
    "skoleindskrivning": {
        "indskriv": ["indskrive", "indskrevet"],
        "skift": ["skifte skole", "skoleskift"],
        "sfo": ["sfo", "sfoen"],
    },
    "valg": {
        "brevstemme": ["brevstemme", "brevstemt"],
        "hjemme": ["stemme hjemme", "stemme i eget hjem"],
        "valgkort": ["valgkort", "mistet valgkort"],
    },
}


@pytest.fixture(scope="module")
def rasa_synonyms(tmp_path_factory):
    """Rasa's own synonym mapper trained on data/nlu, and what Rasa warned about on the way."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.extractors.entity_synonyms import EntitySynonymMapper
    from rasa.shared.nlu.training_data.loading import load_data

    storage = LocalModelStorage(tmp_path_factory.mktemp("synonyms"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mapper = EntitySynonymMapper.create({}, storage, Resource("synonyms"), None)
        mapper.train(load_data(str(PROJECT_ROOT / "data" / "nlu")))
    return mapper, [str(w.message) for w in caught]


def nlu_value(rasa_synonyms, word: str) -> str:
    """The entity value Rasa hands the actions for the extracted ``word``."""
    mapper, _ = rasa_synonyms
    entities = [{"entity": "situation", "value": word}]
    mapper.replace_synonyms(entities)
    return entities[0]["value"]


def test_rasa_warns_of_no_conflicting_synonyms(rasa_synonyms):
    _, warned = rasa_synonyms
    assert [w for w in warned if "synonym" in w] == []


def test_every_value_is_its_own_word(rasa_synonyms):
    """No chains (a value that is itself mapped on), so a value means the same wherever it is used."""
    values = set(rasa_synonyms[0].synonyms.values())
    assert {v: nlu_value(rasa_synonyms, v) for v in values} == {v: v for v in values}


def test_the_words_cover_every_situation(knowledge):
    assert {(t, s) for t, situations in WORDS.items() for s in situations} == {
        (t.key, s.key) for t in knowledge.topics.values() for s in t.situations
    }


@pytest.mark.parametrize(
    "topic,situation,word",
    [(t, s, w) for t, situations in WORDS.items() for s, words in situations.items() for w in words],
)
def test_a_word_reaches_its_topics_situation(knowledge, rasa_synonyms, topic, situation, word):
    assert normalise_situation(knowledge.topics[topic], nlu_value(rasa_synonyms, word)) == situation


@pytest.fixture(scope="module")
def keyword_rules(knowledge):
    from bot.settings import Settings

    return KeywordRules(knowledge.topics, Lemmatiser(Settings.load({}).spacy_path))


KEYWORDS = [
    (t.key, s.key, word)
    for t in load_knowledge(KNOWLEDGE_DIR).topics.values()
    for s in t.situations
    for word in (s.key, *s.keywords)
]


@pytest.mark.parametrize("topic,situation,word", KEYWORDS)
def test_a_keyword_reaches_its_situation(knowledge, rasa_synonyms, keyword_rules, topic, situation, word):
    """Through the NLU's synonyms when the word is annotated, or else as a
    keyword rule on the citizen's text: a word the global synonym mapper
    gives another topic's value ("min datter" -> barn) still reaches it."""
    through_synonyms = normalise_situation(knowledge.topics[topic], nlu_value(rasa_synonyms, word))
    assert through_synonyms == situation or keyword_rules.match(topic, word).key == situation


def test_whole_and_longer_keywords_win(knowledge):
    flytning, pas = knowledge.topics["flytning"], knowledge.topics["pas"]
    assert normalise_situation(flytning, "flytter hjem") == "til_danmark"
    assert normalise_situation(flytning, "vi flytter hjem igen") == "til_danmark"
    assert normalise_situation(flytning, "vi flytter") == "indland"
    assert normalise_situation(pas, "tid") == "behandlingstid"
    assert normalise_situation(pas, "tidligere") is None  # a short keyword only as a whole word


def test_keys_values_and_unknowns(knowledge):
    pas, post = knowledge.topics["pas"], knowledge.topics["digital_post"]
    assert normalise_situation(pas, "bortkommet") == "bortkommet"  # a button's payload
    assert normalise_situation(pas, " Mistede ") == "bortkommet"  # raw inflection
    assert normalise_situation(post, "paaroerende") == "laeseadgang"  # an ASCII value, a Danish keyword
    assert normalise_situation(pas, "rejse") is None
    assert normalise_situation(pas, None) is None
