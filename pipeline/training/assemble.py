"""Assembling the shipped spaCy pipeline ``models/zh_news`` from trained parts.

tokenizer (char tokens + our pkuseg model, and the name lexicon when the
model was trained with one) -> tok2vec -> ner (statistical)
-> zhnews_entity_rules -> zhnews_quantities -> zhnews_linker. The pkuseg model is stored once,
inside the pipeline's tokenizer directory. A model trained with spaCy's own
``tok2vec`` and ``ner`` factories is shipped with ``zhnews_tok2vec`` and
``zhnews_ner`` (the same components, with the fused inference of
:mod:`pipeline.nlp.inference.fasttok2vec` and the compiled greedy decoder of
:mod:`pipeline.nlp.inference.fastner`; the weights load unchanged).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import spacy
from spacy import Config

import pipeline.nlp.factories  # noqa: F401
from pipeline import __version__
from pipeline.nlp.tokenizer import CharWordTokenizer


def assemble(ner_model: str | Path, segmenter_dir: str | Path, out: str | Path, meta: dict | None = None) -> Path:
    out = Path(out)
    nlp = spacy.load(ner_model)
    trained = nlp.tokenizer  # keep the feature settings the model was trained with
    nlp.tokenizer = CharWordTokenizer(
        nlp.vocab,
        segmenter_dir=segmenter_dir,
        use_words=True,
        bigrams=getattr(trained, "bigrams", False),
        lexicon=getattr(trained, "lexicon_path", None),
    )
    if "zhnews_entity_rules" not in nlp.pipe_names:
        nlp.add_pipe("zhnews_entity_rules", config={"model_source": "model:zh_news_ner"})
    if "zhnews_quantities" not in nlp.pipe_names:
        nlp.add_pipe("zhnews_quantities")
    if "zhnews_linker" not in nlp.pipe_names:
        nlp.add_pipe("zhnews_linker")
    # the segmenter travels inside the pipeline (tokenizer/pkuseg): no outside path in its config
    nlp.config["nlp"]["tokenizer"]["segmenter_dir"] = None
    for key in ("train", "dev", "segmenter"):  # paths of the training machine mean nothing here
        if key in nlp.config["paths"]:
            nlp.config["paths"][key] = None
    if "lexicon" in nlp.config["nlp"]["tokenizer"]:
        nlp.config["nlp"]["tokenizer"]["lexicon"] = None  # saved as tokenizer/lexicon.txt
    nlp.meta.update(
        {
            "name": "news",
            "lang": "zh",
            "version": __version__,
            "description": "Chinese news NER: char tokens with pkuseg word features, spaCy NER, rules as data, admin-code linking",
            "license": "MIT (code); see models/README.md for data licences",
            **(meta or {}),
        }
    )
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    nlp.to_disk(tmp)
    _use_fast_components(tmp / "config.cfg")
    _drop_feature_strings(tmp / "vocab" / "strings.json")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


FAST_FACTORIES = {"tok2vec": "zhnews_tok2vec", "ner": "zhnews_ner"}


def _drop_feature_strings(path: Path) -> int:
    """Leave out of the shipped string store what the tokenizer adds again for every text it
    reads: the character bigrams (北京, 市</s>) and the two-character words of the training
    text, 420 K strings and 7 MB that no component looks up by key. Returns how many went."""
    import srsly

    strings = srsly.read_json(path)
    keep = [x for x in strings if not (len(x) == 2 or x.endswith("</s>"))]
    srsly.write_json(path, keep)
    return len(strings) - len(keep)


def _use_fast_components(config_path: Path) -> None:
    """Point spaCy's ``tok2vec`` and ``ner`` components at our ``zhnews_tok2vec`` and
    ``zhnews_ner`` factories (same config keys, same weights)."""
    cfg = Config().from_disk(config_path, interpolate=False)
    changed = False
    for component in cfg["components"].values():
        if component.get("factory") in FAST_FACTORIES:
            component["factory"] = FAST_FACTORIES[component["factory"]]
            changed = True
    if changed:
        cfg.to_disk(config_path)
