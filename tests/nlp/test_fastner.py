"""The zhnews_ner component finds exactly the entities spaCy's own greedy NER
decoder finds with the same weights (``pipeline.nlp.inference.fastner``)."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spacy.pipeline.ner import EntityRecognizer
from spacy.tokens import Span

from pipeline.nlp import pipeline_dir
from tests.conftest import EDGE_TEXTS

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "000_f0d3a313825c072b.txt"

pytestmark = pytest.mark.skipif(not (pipeline_dir() / "config.cfg").is_file(), reason="no shipped pipeline (run `make models`)")


@pytest.fixture(scope="module")
def parts():
    """The shipped pipeline's tok2vec, its ner (ours) and spaCy's decoder on the same model."""
    from pipeline.nlp import load_nlp
    from pipeline.nlp.inference.fastner import FastEntityRecognizer

    nlp = load_nlp()
    fast = nlp.get_pipe("ner")
    assert isinstance(fast, FastEntityRecognizer)
    stock = EntityRecognizer(nlp.vocab, fast.model, name="ner", moves=fast.moves)
    return nlp, fast, stock


def _entities(parts, texts, batch_size=256, sent_starts=None):
    nlp, fast, stock = parts
    out = []
    for ner in (stock, fast):
        docs = [nlp.make_doc(t) for t in texts]
        if sent_starts:
            for doc, starts in zip(docs, sent_starts):
                for i in starts:
                    if 0 < i < len(doc):
                        doc[i].is_sent_start = True
        docs = list(nlp.get_pipe("tok2vec").pipe(docs))
        out.append([[(e.start, e.end, e.label_) for e in doc.ents] for doc in ner.pipe(docs, batch_size=batch_size)])
    return out


def _same(parts, texts, **kw):
    stock, fast = _entities(parts, texts, **kw)
    diff = [(t, a, b) for t, a, b in zip(texts, stock, fast) if a != b]
    assert not diff, diff[:3]
    return stock


def test_same_entities_on_the_sample_page(parts):
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = _same(parts, lines)
    assert sum(map(len, found)) > 50  # the check compares real entities, not two empty lists


def test_same_entities_on_the_peoples_daily_test_text(parts, pd_test_texts):
    texts = pd_test_texts[::3]
    found = _same(parts, texts, batch_size=1000)
    assert sum(map(len, found)) > 1000


def test_edge_documents(parts):
    texts = list(EDGE_TEXTS)
    _same(parts, texts, batch_size=4)
    _same(parts, texts, batch_size=1)


@given(
    st.lists(
        st.text(alphabet="北京上海重庆市县政府人民银行公司大学新华社王李张明华记者在了的，。 \n0123", max_size=40),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.lists(st.integers(0, 40), max_size=3), max_size=12),
)
def test_same_entities_on_generated_text_and_sentence_starts(parts, texts, starts):
    # an entity never runs across a sentence start (spaCy's Begin/In rules)
    _same(parts, texts, batch_size=5, sent_starts=starts)


def test_preset_entities_go_through_spacys_decoder(parts):
    nlp, fast, _ = parts
    doc = nlp.make_doc("重庆市人民政府在北京召开会议")
    doc.ents = [Span(doc, 7, 9, label="LOC")]
    assert not fast.decodable([doc])
    doc = next(fast.pipe(nlp.get_pipe("tok2vec").pipe([doc])))
    assert (7, 9, "LOC") in [(e.start, e.end, e.label_) for e in doc.ents]


def test_the_shipped_config_names_the_fast_component():
    from spacy import Config

    cfg = Config().from_disk(pipeline_dir() / "config.cfg", interpolate=False)
    assert cfg["components"]["ner"]["factory"] == "zhnews_ner"


def _moves_twins(parts, texts, batch_size=256):
    """Entities of the compiled decoding loop and of its numpy twin."""
    nlp, fast, _ = parts
    out = []
    for compiled in (True, False):
        fast.compiled = compiled
        try:
            docs = list(nlp.get_pipe("tok2vec").pipe(nlp.make_doc(t) for t in texts))
            out.append([[(e.start, e.end, e.label_) for e in doc.ents] for doc in fast.pipe(docs, batch_size=batch_size)])
        finally:
            fast.compiled = True
    assert out[0] == out[1]
    return out[0]


def test_the_compiled_loop_is_built():
    from pipeline.nlp.inference import fastner

    assert fastner.greedy_moves is not None, "pipeline/nlp/inference/_ner.pyx was not compiled: reinstall with a C compiler"


def test_compiled_and_numpy_decoders_agree_on_the_sample_page(parts):
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert sum(map(len, _moves_twins(parts, lines))) > 50


@given(
    st.lists(
        st.text(alphabet="北京上海重庆市县政府人民银行公司大学新华社王李张明华记者在了的，。 \n0123", max_size=40),
        min_size=1,
        max_size=12,
    )
)
def test_compiled_and_numpy_decoders_agree_on_generated_text(parts, texts):
    _moves_twins(parts, texts, batch_size=5)


def test_unseen_classes_go_through_the_numpy_decoder(parts, monkeypatch):
    """spaCy sets unseen classes' scores to the batch's minimum, which couples the documents
    of a batch: the per-document compiled loop does not decode such models."""
    from pipeline.nlp.inference import fastner

    _, fast, stock = parts
    called = []
    monkeypatch.setattr(fastner, "greedy_moves", lambda *a: called.append(1))
    unseen = {fast.moves.n_moves - 1}
    monkeypatch.setitem(fast.model.attrs, "unseen_classes", unseen)
    monkeypatch.setitem(stock.model.attrs, "unseen_classes", unseen)
    _same(parts, ["重庆市人民政府在北京召开会议", "新华社记者王小明报道"])
    assert not called
