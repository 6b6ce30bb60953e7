"""The compiled inference checks itself against the stock one (``pipeline.nlp.inference.canary``): a
fast path that reads a weight wrong is caught on the built-in text, says so, and the stock
path runs; ``PIPELINE_COMPILED=0`` runs the stock paths throughout, with the same entities."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest
import spacy

from pipeline.nlp import pipeline_dir
from pipeline.nlp.inference.canary import CANARY_TEXT
from pipeline.nlp.segmentation.segmenter import default_model_dir

pytestmark = pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`")


def _warned(caplog, what: str) -> bool:
    return any(r.name == "pipeline.nlp.inference.canary" and what in r.getMessage() for r in caplog.records)


def test_every_fast_path_agrees_on_the_shipped_pipeline(caplog):
    from pipeline.nlp import load_nlp

    nlp = load_nlp()
    assert nlp.tokenizer.segmenter._seg.agrees is True
    assert nlp.get_pipe("tok2vec").plan() is not None
    assert nlp.get_pipe("ner").agrees is True
    assert not _warned(caplog, "disagrees")


def test_a_corrupt_segmenter_weight_is_caught_and_spacy_pkuseg_cuts(monkeypatch, caplog):
    from pipeline.nlp.inference import fastseg
    from pipeline.nlp.segmentation.segmenter import Segmenter, normalize

    real_load = np.load

    def corrupt(path, *args, **kwargs):
        data = dict(real_load(path, *args, **kwargs))
        n_tag, n_feature = (int(x) for x in data["sizes"])
        w = data["w"].copy()
        w[: n_tag * n_feature].reshape(n_feature, n_tag)[:, 0] += 3.0  # every feature's weight for one tag
        data["w"] = w
        return data

    class FastsegsNumpy:  # numpy as fastseg sees it, with the corrupt load; spacy-pkuseg reads the file right
        load = staticmethod(corrupt)

        def __getattr__(self, name):
            return getattr(np, name)

    monkeypatch.setattr(fastseg, "np", FastsegsNumpy())
    with caplog.at_level(logging.WARNING, logger="pipeline.nlp.inference.canary"):
        seg = fastseg.FastPkuseg(default_model_dir())
    assert seg.agrees is False and _warned(caplog, "segmenter")
    monkeypatch.undo()
    stock = Segmenter(default_model_dir(), fast=False)._seg
    text = normalize("重庆市科技局局长明炬表示，全市研发投入增长12%")
    assert seg.cut(text) == stock.cut(text)


def test_a_corrupt_tok2vec_weight_is_caught_and_thinc_runs(monkeypatch, caplog):
    from pipeline.nlp.inference.fasttok2vec import InferencePlan

    real = InferencePlan.from_model.__func__

    def corrupt(cls, model):
        plan = real(cls, model)
        plan.table[:, 0] += 0.5  # one output of the mixing layer, in every embedding row
        return plan

    monkeypatch.setattr(InferencePlan, "from_model", classmethod(corrupt))
    nlp = spacy.load(pipeline_dir())
    tok2vec = nlp.get_pipe("tok2vec")
    with caplog.at_level(logging.WARNING, logger="pipeline.nlp.inference.canary"):
        assert tok2vec.plan() is None
    assert _warned(caplog, "tok2vec")
    doc = nlp.make_doc(CANARY_TEXT)
    assert np.array_equal(tok2vec.predict([doc])[0], tok2vec.model.predict([doc])[0])


def test_a_corrupt_ner_table_is_caught_and_spacys_decoder_runs(monkeypatch, caplog):
    from pipeline.nlp.inference import fastner

    real = fastner._Tables.__init__

    def corrupt(self, names, strings):
        real(self, names, strings)
        self.label_hash = self.label_hash[1:] + self.label_hash[:1]  # the labels read one off

    monkeypatch.setattr(fastner._Tables, "__init__", corrupt)
    nlp = spacy.load(pipeline_dir())
    with caplog.at_level(logging.WARNING, logger="pipeline.nlp.inference.canary"):
        doc = nlp(CANARY_TEXT)
    ner = nlp.get_pipe("ner")
    assert ner.agrees is False and _warned(caplog, "ner")
    assert not ner.decodable([doc])  # spaCy's decoder from now on
    monkeypatch.undo()
    assert [(e.text, e.label_) for e in doc.ents] == [(e.text, e.label_) for e in spacy.load(pipeline_dir())(CANARY_TEXT).ents]


def test_the_stock_paths_give_the_same_entities(seed_text):
    """PIPELINE_COMPILED=0 in a fresh interpreter: spacy-pkuseg, thinc's forward pass and
    spaCy's decoder, and the entities of the compiled paths on the sample page."""
    from pipeline.nlp import load_nlp

    texts = [line for line in seed_text.splitlines() if line.strip()][:40]
    code = (
        "import json, sys\n"
        "from pipeline.nlp import load_nlp\n"
        "nlp = load_nlp()\n"
        "assert type(nlp.tokenizer.segmenter._seg).__name__ != 'FastPkuseg'\n"
        "assert nlp.get_pipe('tok2vec').plan() is None\n"
        "texts = json.loads(sys.stdin.read())\n"
        "assert not nlp.get_pipe('ner').decodable([nlp.make_doc(texts[0])])\n"
        "print(json.dumps([[(e.start_char, e.end_char, e.label_, e._.source) for e in d.ents] for d in nlp.pipe(texts)]))\n"
    )
    env = {**os.environ, "PIPELINE_COMPILED": "0"}
    out = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(texts), capture_output=True, text=True, env=env, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    stock = json.loads(out.stdout.strip().splitlines()[-1])
    compiled = [[[e.start_char, e.end_char, e.label_, e._.source] for e in d.ents] for d in load_nlp().pipe(texts)]
    assert sum(map(len, compiled)) > 50
    assert stock == compiled
