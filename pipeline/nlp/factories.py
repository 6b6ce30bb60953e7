"""Every spaCy registration of the project, in one place (like spacy/pipeline/__init__).

Registered here:

* tokenizer ``zhnews.char_word_tokenizer.v1`` (:mod:`pipeline.nlp.tokenizer`)

The package's ``spacy_factories`` / ``spacy_tokenizers`` entry points point
at this module, so ``spacy.load(path)`` finds them once the package is
installed, without importing anything first.
"""

from __future__ import annotations

from spacy.util import registry

from pipeline.nlp.tokenizer import create_tokenizer


@registry.tokenizers("zhnews.char_word_tokenizer.v1")
def char_word_tokenizer(segmenter_dir: str | None = None, user_dict: str | None = None, use_words: bool = True):
    return create_tokenizer(segmenter_dir, user_dict, use_words)
