"""Build the blank Danish spaCy pipeline that Rasa's SpacyNLP loads by path.

No Danish pipeline can be downloaded here, so we assemble one from spaCy's
Danish tokenizer rules and the lookup lemma table shipped in
spacy-lookups-data. The folder is not part of the trained Rasa model:
rebuild it with the code and retrain with --force when this file changes.

The same lemma table is also written into the folder as SQLite
(bot/chat/lemmas.py), for the action server, which matches keywords on
lemmas without loading spaCy.
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


def lookup_table() -> dict[str, str]:
    """spacy-lookups-data's Danish table with its words readable: the
    pipeline's copy keys them by hash."""
    from importlib.resources import files

    import srsly

    return srsly.read_gzip_json(files("spacy_lookups_data") / "data" / "da_lemma_lookup.json.gz")
