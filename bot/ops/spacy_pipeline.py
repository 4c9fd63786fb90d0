"""Build build/spacy-da: a blank Danish spaCy pipeline and, beside it, its
lookup lemma table as SQLite.

No Danish pipeline can be downloaded here, so we assemble one from spaCy's
Danish tokenizer rules and the lookup lemma table shipped in
spacy-lookups-data. Neither server loads spaCy: both read the SQLite table
(bot/chat/lemmas.py), the Rasa pipeline's tokenizer (glue/lemma_tokenizer.py)
and the action server's keyword and term matching. The folder is not part of
the trained Rasa model; its files are in the training fingerprint, so a
rebuilt table retrains.
"""

from __future__ import annotations

from pathlib import Path

from bot.chat.lemmas import FILE, LemmaTable, write_table


def build_pipeline():
    import spacy

    nlp = spacy.blank("da")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # initialize() pulls the da lemma_lookup table from spacy-lookups-data
    # into the pipeline, so the saved folder needs no lookups package at run time.
    nlp.initialize()
    return nlp


def write_pipeline(output: Path) -> None:
    """Build, check and save the pipeline; RuntimeError says what went wrong."""
    try:
        nlp = build_pipeline()
    except (OSError, ValueError, ImportError) as exc:
        raise RuntimeError(f"could not build the Danish spaCy pipeline: {exc}") from exc
    lemma = nlp("stjålet")[0].lemma_
    if lemma != "stjæle":
        raise RuntimeError(f"lookup lemmatizer did not load (stjålet -> {lemma!r})")
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    write_table(lookup_table(), output / FILE)
    if LemmaTable(output).lemma("stjålet") != "stjæle":
        raise RuntimeError(f"{output / FILE}: lemma table does not lemmatise stjålet")


# Entries of spacy-lookups-data's table that are wrong for what citizens
# write here. The table gives the noun "pas" (passport) and "passet" the
# lemma of the verb "passe" (to fit, to look after), so every "passer",
# "det passer ikke" and "kan ikke passe mit arbejde" named the passport
# errand (the twenty-first sealed set's one run, 2026-12-07: a sick
# employee got the passport's booking). "passet" is also the verb's
# participle ("har passet børnene"), but the passport is what citizens mean
# far more often.
LEMMA_OVERRIDES = {"pas": "pas", "passet": "pas"}


def lookup_table() -> dict[str, str]:
    """spacy-lookups-data's Danish table with its words readable (the
    pipeline's copy keys them by hash), with LEMMA_OVERRIDES."""
    from importlib.resources import files

    import srsly

    table = srsly.read_gzip_json(files("spacy_lookups_data") / "data" / "da_lemma_lookup.json.gz")
    return {**table, **LEMMA_OVERRIDES}
