"""Build the blank Danish spaCy pipeline that Rasa's SpacyNLP loads by path.

No Danish pipeline can be downloaded here, so we assemble one from spaCy's
Danish tokenizer rules and the lookup lemma table shipped in
spacy-lookups-data. The folder is not part of the trained Rasa model:
rebuild it with the code and retrain with --force when this file changes.
"""

from __future__ import annotations

from pathlib import Path


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
