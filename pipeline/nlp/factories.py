"""Every spaCy registration of the project, in one place (like spacy/pipeline/__init__).

Registered here:

* tokenizer ``zhnews.char_word_tokenizer.v1`` (:mod:`pipeline.nlp.tokenizer`)
* component ``zhnews_tok2vec``: spaCy's ``tok2vec`` whose inference runs fused
  compiled loops (:mod:`pipeline.nlp.inference.fasttok2vec`; same weights, same config)
* component ``zhnews_ner``: spaCy's ``ner`` with a compiled greedy decoder
  (:mod:`pipeline.nlp.inference.fastner`; same weights, same config, same entities)
* component ``zhnews_entity_rules`` (gazetteers, patterns, precedence)
* component ``zhnews_quantities`` (numbers, units, values, qualifiers)
* component ``zhnews_linker`` (admin codes, deictic places)
* the ``Span`` / ``Doc`` extensions (``._.source``, ``._.kb_id`` ...)

The package's ``spacy_factories`` / ``spacy_tokenizers`` entry points point
at this module, so ``spacy.load(path)`` finds them once the package is
installed, without importing anything first.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.pipeline.ner import DEFAULT_NER_MODEL
from spacy.pipeline.tok2vec import DEFAULT_TOK2VEC_MODEL
from spacy.util import registry
from thinc.api import Model

from pipeline.nlp.components import (
    EntityRulesComponent,
    LinkerComponent,
    QuantitiesComponent,
    register_extensions,
)
from pipeline.nlp.inference.fastner import FastEntityRecognizer
from pipeline.nlp.inference.fasttok2vec import FastTok2Vec
from pipeline.nlp.tokenizer import create_tokenizer


@registry.tokenizers("zhnews.char_word_tokenizer.v1")
def char_word_tokenizer(
    segmenter_dir: str | None = None,
    user_dict: str | None = None,
    use_words: bool = True,
    bigrams: bool = False,
    lexicon: str | None = None,
):
    return create_tokenizer(segmenter_dir, user_dict, use_words, bigrams, lexicon)


@Language.factory("zhnews_tok2vec", assigns=["doc.tensor"], default_config={"model": DEFAULT_TOK2VEC_MODEL})
def make_tok2vec(nlp: Language, name: str, model: Model):  # spaCy's "tok2vec" config loads into this one
    from pipeline.nlp import pin_blas_threads

    pin_blas_threads()  # spacy.load of the shipped pipeline pins BLAS threads as load_nlp does
    return FastTok2Vec(nlp.vocab, model, name)


@Language.factory(
    "zhnews_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
    default_config={  # spaCy's own "ner" defaults: a config of one loads into the other
        "moves": None,
        "update_with_oracle_cut_size": 100,
        "model": DEFAULT_NER_MODEL,
        "incorrect_spans_key": None,
        "scorer": {"@scorers": "spacy.ner_scorer.v1"},
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_ner(
    nlp: Language,
    name: str,
    model: Model,
    moves,
    update_with_oracle_cut_size: int,
    incorrect_spans_key: str | None,
    scorer: Callable | None,
):
    return FastEntityRecognizer(
        nlp.vocab,
        model,
        name=name,
        moves=moves,
        update_with_oracle_cut_size=update_with_oracle_cut_size,
        incorrect_spans_key=incorrect_spans_key,
        scorer=scorer,
    )


# ``packs``: the rule packs (``rules/packs/NAME.yaml``) the component reads; null follows the
# setting PIPELINE_RULE_PACKS. ``home`` (linker): the paper's home place where a document has none
@Language.factory("zhnews_entity_rules", default_config={"model_source": "ner", "packs": None})
def make_entity_rules(nlp: Language, name: str, model_source: str, packs: list[str] | None):
    return EntityRulesComponent(nlp, name, model_source, packs)


@Language.factory("zhnews_quantities")
def make_quantities(nlp: Language, name: str):
    return QuantitiesComponent(nlp, name)


@Language.factory("zhnews_linker", default_config={"packs": None, "home": None})
def make_linker(nlp: Language, name: str, packs: list[str] | None, home: str | None):
    return LinkerComponent(nlp, name, packs, home)


register_extensions()
