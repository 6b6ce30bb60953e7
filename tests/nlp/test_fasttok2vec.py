"""The zhnews_tok2vec component's fused inference gives thinc's token vectors (up to
float rounding) and, through the NER, exactly the same entities
(``pipeline.nlp.inference.fasttok2vec``)."""

from pathlib import Path

import numpy as np
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.training import Example
from thinc.api import Adam

from pipeline.nlp import pipeline_dir
from pipeline.nlp.inference.fasttok2vec import FastTok2Vec, InferencePlan
from tests.conftest import EDGE_TEXTS

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "000_f0d3a313825c072b.txt"
SHIPPED = pytest.mark.skipif(not (pipeline_dir() / "config.cfg").is_file(), reason="no shipped pipeline (run `make models`)")
TOL = 1e-4  # the vectors run to about 10; the fused sums differ from thinc's in the last bits


@pytest.fixture(scope="module")
def nlp():
    from pipeline.nlp import load_nlp

    return load_nlp()


def _close(component, docs):
    """The fused vectors against thinc's, document by document."""
    fused = component.plan()(docs)
    reference = component.model.predict(docs)
    assert [a.shape for a in fused] == [b.shape for b in reference]
    worst = max((float(np.abs(a - b).max()) for a, b in zip(fused, reference) if len(a)), default=0.0)
    assert worst < TOL, worst
    return fused


def _entities(nlp, texts, fused, batch_size=256):
    t2v = nlp.get_pipe("tok2vec")
    t2v.fused = fused
    try:
        return [
            [(e.start_char, e.end_char, e.label_, e._.source) for e in doc.ents] for doc in nlp.pipe(texts, batch_size=batch_size)
        ]
    finally:
        t2v.fused = True


def _same_entities(nlp, texts, batch_size=256):
    reference, fused = _entities(nlp, texts, False, batch_size), _entities(nlp, texts, True, batch_size)
    diff = [(t, a, b) for t, a, b in zip(texts, reference, fused) if a != b]
    assert not diff, diff[:3]
    return fused


@SHIPPED
def test_the_shipped_pipeline_runs_the_fused_inference(nlp):
    t2v = nlp.get_pipe("tok2vec")
    assert isinstance(t2v, FastTok2Vec)
    assert t2v.plan() is not None, "the shipped tok2vec should have an inference plan"


@SHIPPED
def test_same_vectors_and_entities_on_the_sample_page(nlp):
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    _close(nlp.get_pipe("tok2vec"), [nlp.make_doc(t) for t in lines])
    found = _same_entities(nlp, lines)
    assert sum(map(len, found)) > 50  # real entities, not two empty lists


@SHIPPED
def test_same_entities_on_the_peoples_daily_test_text(nlp, pd_test_texts):
    texts = pd_test_texts[1::3]
    _close(nlp.get_pipe("tok2vec"), [nlp.make_doc(t) for t in texts[:300]])
    found = _same_entities(nlp, texts, batch_size=1000)
    assert sum(map(len, found)) > 1000


@SHIPPED
def test_edge_documents(nlp):
    texts = [*EDGE_TEXTS, ""]
    t2v = nlp.get_pipe("tok2vec")
    _close(t2v, [nlp.make_doc(t) for t in texts])
    for batch in ([""], ["", " "], [" "], ["北"], texts[-4:]):
        _close(t2v, [nlp.make_doc(t) for t in batch]) if any(batch) else None
        assert [a.shape for a in t2v.predict([nlp.make_doc(t) for t in batch])] == [
            (len(nlp.make_doc(t)), t2v.model.get_dim("nO")) for t in batch
        ]
    _same_entities(nlp, texts, batch_size=3)


@SHIPPED
@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.text(alphabet="北京上海重庆市县政府人民银行公司大学新华社王李张明华记者在了的，。 \n0123", max_size=60),
        min_size=1,
        max_size=10,
    )
)
def test_generated_batches(nlp, texts):
    _close(nlp.get_pipe("tok2vec"), [nlp.make_doc(t) for t in texts]) if any(t.strip() for t in texts) else None


def _tiny(tok2vec_config: dict | None = None, width: int = 96):
    """A small trainable pipeline: spaCy's default tok2vec architecture (or another) and a
    NER listening to it, so that training updates the tok2vec's weights."""
    import pipeline.nlp.factories  # noqa: F401  (registers zhnews_tok2vec)

    nlp = spacy.blank("en")
    config = {"model": tok2vec_config} if tok2vec_config else {}
    nlp.add_pipe("zhnews_tok2vec", name="tok2vec", config=config)
    nlp.add_pipe(
        "ner",
        config={
            "model": {
                "@architectures": "spacy.TransitionBasedParser.v2",
                "state_type": "ner",
                "extra_state_tokens": False,
                "hidden_width": 32,
                "maxout_pieces": 2,
                "use_upper": True,
                "nO": None,
                "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": width, "upstream": "*"},
            }
        },
    )
    texts = [
        ("Alice flew to Paris in May .", [(0, 5, "PERSON"), (14, 19, "GPE")]),
        ("Bob lives in Berlin .", [(0, 3, "PERSON"), (13, 19, "GPE")]),
    ]
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": ents}) for t, ents in texts]
    optimizer = nlp.initialize(lambda: examples, sgd=Adam(0.01, use_averages=True))
    return nlp, examples, optimizer


def test_spacys_default_tok2vec_gets_a_plan_and_the_same_vectors():
    nlp, _, _ = _tiny()
    t2v = nlp.get_pipe("tok2vec")
    assert t2v.plan() is not None  # NORM/PREFIX/SUFFIX/SHAPE, width 96, depth 4
    _close(t2v, [nlp.make_doc(t) for t in ("Alice flew to Paris .", "", "x", "A much longer sentence " * 20)])


def test_training_updates_and_averaged_params_drop_the_plan():
    nlp, examples, optimizer = _tiny()
    t2v = nlp.get_pipe("tok2vec")
    assert t2v.listening_components == ["ner"]
    docs = [nlp.make_doc("Carol went to Rome .")]
    before = t2v.predict(docs)[0].copy()
    for _ in range(3):
        nlp.update(examples, sgd=optimizer)
    after = t2v.predict(docs)[0]
    assert not np.allclose(before, after)  # the plan follows the new weights...
    assert np.abs(after - t2v.model.predict(docs)[0]).max() < TOL  # ...and equals thinc's pass on them
    assert optimizer.averages
    with nlp.use_params(optimizer.averages):
        averaged = t2v.predict(docs)[0]
        assert np.abs(averaged - t2v.model.predict(docs)[0]).max() < TOL
    assert np.abs(t2v.predict(docs)[0] - after).max() < TOL  # the weights are back after the block
    assert not np.allclose(averaged, after)


def _small_tok2vec(window_size: int, maxout_pieces: int) -> dict:
    """A 32-wide tok2vec config over NORM and SHAPE, two encoder layers."""
    return {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2",
            "width": 32,
            "attrs": ["NORM", "SHAPE"],
            "rows": [500, 50],
            "include_static_vectors": False,
        },
        "encode": {
            "@architectures": "spacy.MaxoutWindowEncoder.v2",
            "width": 32,
            "window_size": window_size,
            "maxout_pieces": maxout_pieces,
            "depth": 2,
        },
    }


def test_an_encoder_with_its_own_maxout_pieces_and_width():
    nlp, _, _ = _tiny(_small_tok2vec(window_size=1, maxout_pieces=2), width=32)
    t2v = nlp.get_pipe("tok2vec")
    assert t2v.plan() is not None  # the mixing layer has 3 pieces, the encoder's layers 2
    _close(t2v, [nlp.make_doc(t) for t in ("Alice flew to Paris .", "x", "A much longer sentence " * 20)])


def test_a_model_of_another_shape_runs_thincs_forward_pass():
    nlp, _, _ = _tiny(_small_tok2vec(window_size=2, maxout_pieces=3), width=32)
    t2v = nlp.get_pipe("tok2vec")
    assert InferencePlan.from_model(t2v.model) is None and t2v.plan() is None  # window 2
    docs = [nlp.make_doc("Alice flew to Paris .")]
    assert np.array_equal(t2v.predict(docs)[0], t2v.model.predict(docs)[0])


def test_the_shipped_config_names_the_fast_component():
    from spacy import Config

    if not (pipeline_dir() / "config.cfg").is_file():
        pytest.skip("no shipped pipeline (run `make models`)")
    cfg = Config().from_disk(pipeline_dir() / "config.cfg", interpolate=False)
    assert cfg["components"]["tok2vec"]["factory"] == "zhnews_tok2vec"
    assert (
        Config().from_disk(ROOT / "models" / "ner" / "config.cfg", interpolate=False)["components"]["tok2vec"]["factory"]
        == "zhnews_tok2vec"
    )


@SHIPPED
def test_without_the_compiled_module_thincs_forward_pass_runs(nlp, fresh_python):
    """As after an install without a C compiler: no plan, a warning, the same entities."""
    text = "重庆市科技局局长明炬表示，2022年全市研发投入强度预计达到2.3%。"
    code = (
        "import sys, logging\n"
        "for name in ('_segment', '_tok2vec', '_ner'):\n"
        "    sys.modules['pipeline.nlp.inference.' + name] = None  # an import of it raises ImportError\n"
        "logging.basicConfig()\n"
        "from pipeline.nlp import load_nlp\n"
        "nlp = load_nlp()\n"
        "assert nlp.get_pipe('tok2vec').plan() is None\n"
        f"print([(e.text, e.label_) for e in nlp({text!r}).ents])\n"
    )
    out = fresh_python(code)
    assert str([(e.text, e.label_) for e in nlp(text).ents]) in out.stdout
    assert "the tok2vec runs thinc's forward pass" in out.stderr
