"""Every spaCy registration of the project, in one place (like spacy/pipeline/__init__).

Registered here:

* tokenizer ``zhnews.char_word_tokenizer.v1`` (:mod:`pipeline.nlp.tokenizer`)
* component ``zhnews_entity_rules`` (gazetteers, patterns, precedence)
* component ``zhnews_quantities`` (numbers, units, values, qualifiers)
* component ``zhnews_linker`` (admin codes, deictic places)
* the ``Span`` / ``Doc`` extensions (``._.source``, ``._.kb_id`` ...)

The package's ``spacy_factories`` / ``spacy_tokenizers`` entry points point
at this module, so ``spacy.load(path)`` finds them once the package is
installed, without importing anything first.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.util import registry

from pipeline.nlp.components import EntityRulesComponent, LinkerComponent, QuantitiesComponent, register_extensions
from pipeline.nlp.tokenizer import create_tokenizer


@registry.tokenizers("zhnews.char_word_tokenizer.v1")
def char_word_tokenizer(segmenter_dir: str | None = None, user_dict: str | None = None, use_words: bool = True,
                        bigrams: bool = False, lexicon: str | None = None):
    return create_tokenizer(segmenter_dir, user_dict, use_words, bigrams, lexicon)


@Language.factory("zhnews_entity_rules", default_config={"model_source": "ner"})
def make_entity_rules(nlp: Language, name: str, model_source: str):
    return EntityRulesComponent(nlp, name, model_source)


@Language.factory("zhnews_quantities")
def make_quantities(nlp: Language, name: str):
    return QuantitiesComponent(nlp, name)


@Language.factory("zhnews_linker")
def make_linker(nlp: Language, name: str):
    return LinkerComponent(nlp, name)


register_extensions()
