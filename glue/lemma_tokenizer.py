"""Rasa tokenizer with Danish lookup lemmas, without spaCy.

SpacyNLP + SpacyTokenizer gave the pipeline nothing but tokens and lookup
lemmas (the Danish pipeline here is blank: no tagger, no vectors), and cost
the Rasa server 356 MB (measured per component at model load) plus its
share of every parse. This tokenizer splits as the action server's keyword
matching does (bot/chat/lemmas.py: hyphenated words, apostrophes and times
stay one token, other punctuation is its own token) and reads each
lemma from the same table, so training and run time agree with the
keyword rules.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.chat.lemmas import TOKEN_PATTERN, load_table


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LemmaTokenizer(Tokenizer):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # The folder `kommunebot spacy` builds; the lemma table is inside.
            "lemmas": "build/spacy-da",
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.table = load_table(str(config["lemmas"]))

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> LemmaTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        # Lower case keeps every offset: entity spans index the original text.
        lowered = text.lower() if len(text.lower()) == len(text) else text
        tokens = [
            Token(match.group(), match.start(), lemma=self.table.lemma(match.group().lower()))
            for match in TOKEN_PATTERN.finditer(lowered)
        ]
        if not tokens and text.strip():
            tokens = [Token(text, 0, lemma=text.lower())]
        return self._apply_token_pattern(tokens)
