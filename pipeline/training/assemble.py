"""Assembling the shipped spaCy pipeline ``models/zh_news`` from trained parts.

tokenizer (char tokens + our pkuseg model, and the name lexicon when the
model was trained with one) -> tok2vec -> ner (statistical)
-> zhnews_entity_rules -> zhnews_quantities -> zhnews_linker. The pkuseg model is stored once,
inside the pipeline's tokenizer directory. A NER trained with spaCy's own ``ner``
factory is shipped as ``zhnews_ner`` (the same component with the vectorised
decoder of :mod:`pipeline.nlp.fastner`; its weights load unchanged).
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
        nlp.vocab, segmenter_dir=segmenter_dir, use_words=True,
        bigrams=getattr(trained, "bigrams", False), lexicon=getattr(trained, "lexicon_path", None),
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
    _use_fast_ner(tmp / "config.cfg")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


def _use_fast_ner(config_path: Path) -> None:
    """Point the ``ner`` component at our ``zhnews_ner`` factory (same config keys)."""
    cfg = Config().from_disk(config_path, interpolate=False)
    if cfg["components"].get("ner", {}).get("factory") == "ner":
        cfg["components"]["ner"]["factory"] = "zhnews_ner"
        cfg.to_disk(config_path)
