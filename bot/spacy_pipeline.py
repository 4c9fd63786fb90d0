"""Build the blank Danish spaCy pipeline that Rasa's SpacyNLP loads by path.

No Danish pipeline can be downloaded here, so we assemble one from spaCy's
Danish tokenizer rules and the lookup lemma table shipped in
spacy-lookups-data. The folder is not part of the trained Rasa model:
rebuild it with the code and retrain with --force when this file changes.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_OUTPUT = Path("build/spacy-da")


def build_pipeline():
    import spacy

    nlp = spacy.blank("da")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # initialize() pulls the da lemma_lookup table from spacy-lookups-data
    # into the pipeline, so the saved folder needs no lookups package at run time.
    nlp.initialize()
    return nlp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        nlp = build_pipeline()
    except (OSError, ValueError, ImportError) as exc:
        print(f"error: could not build the Danish spaCy pipeline: {exc}", file=sys.stderr)
        return 1
    lemma = nlp("stjålet")[0].lemma_
    if lemma != "stjæle":
        print(f"error: lookup lemmatizer did not load (stjålet -> {lemma!r})", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.output)
    print(f"Danish spaCy pipeline written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
