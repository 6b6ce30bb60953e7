"""FastPkuseg cuts text exactly as spacy-pkuseg does with the same model (and the
same lexicon features, ``pipeline.nlp.segmentation.seglexicon``, where the model has a lexicon)."""

from pathlib import Path

import pytest

from pipeline.nlp.segmentation.segmenter import default_model_dir, normalize

ROOT = Path(__file__).resolve().parents[2]
PKU_TEST = ROOT.parent / "shared" / "corpora" / "icwb2-sighan2005" / "testing" / "pku_test.utf8"
SAMPLE = ROOT / "data" / "samples" / "000_f0d3a313825c072b.txt"

pytestmark = pytest.mark.skipif(
    not (default_model_dir() / "weights.npz").is_file(), reason="no shipped segmenter (run `make models`)"
)

HOSTILE = [
    "a",
    "，",
    "1",
    "ＡＢＣ",
    "-._,|/*:",
    "**Num**Letter**noWord",
    "云安010-X1井日产112.96万立方米",
    "\ue000\ue001\ue002重庆",
    "北京晴－９℃／０℃",
    "ｗｗｗ．ｃｑｎｅｗｓ．ｎｅｔ",
    "2022年1—6月增长2.3%",
    "重庆" * 300,
    "  前后有空格  ",
    "中\t国\n人\u3000民",
    "😀表情🇨🇳",
    "\ud800孤立代理",
]


@pytest.fixture(scope="module")
def stock():
    from pipeline.nlp.segmentation.segmenter import Segmenter

    # the reference: spacy-pkuseg itself, with the lexicon features where the model has a lexicon
    return Segmenter(default_model_dir(), fast=False)._seg


@pytest.fixture(scope="module", params=["compiled", "python"])
def segs(request, stock):
    """FastPkuseg with the compiled scorer (``inference/_segment.pyx``) and with the plain-Python one."""
    from pipeline.nlp.inference.fastseg import FastPkuseg

    return stock, FastPkuseg(default_model_dir(), compiled=request.param == "compiled")


def test_the_compiled_scorer_is_built_and_used():
    # `pip install` builds it (setup.py, Cython); the plain-Python scorer is the fallback
    from pipeline.nlp.inference import fastseg

    assert fastseg.Scorer is not None, "pipeline/nlp/inference/_segment.pyx was not compiled: reinstall with a C compiler"
    assert fastseg.FastPkuseg(default_model_dir())._scores.__self__.__class__ is fastseg.Scorer


def _same(segs, lines):
    stock, fast = segs
    pairs = [(line, stock.cut(line), fast.cut(line)) for line in lines]
    diff = [p for p in pairs if p[1] != p[2]]
    assert not diff, diff[:3]


def test_same_words_on_the_sample_page_and_hostile_text(segs):
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    _same(segs, lines + [normalize(line) for line in lines] + HOSTILE)


def _pku_lines():
    return [line.strip() for line in PKU_TEST.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.skipif(not PKU_TEST.is_file(), reason="../shared/corpora/icwb2-sighan2005 is absent")
def test_same_words_on_part_of_the_pku_test_text(segs):
    lines = _pku_lines()[::8]
    _same(segs, lines + [normalize(line) for line in lines])


@pytest.mark.slow
@pytest.mark.skipif(not PKU_TEST.is_file(), reason="../shared/corpora/icwb2-sighan2005 is absent")
def test_same_words_on_the_whole_pku_test_text(segs):
    lines = _pku_lines()
    _same(segs, lines + [normalize(line) for line in lines])


def test_the_segmenter_uses_it_without_a_user_dictionary():
    from pipeline.nlp.inference.fastseg import FastPkuseg
    from pipeline.nlp.segmentation.segmenter import Segmenter

    assert isinstance(Segmenter(default_model_dir())._seg, FastPkuseg)
    assert not isinstance(Segmenter(default_model_dir(), fast=False)._seg, FastPkuseg)


_ALPHABET = "重庆市科技局明炬表示的了和在中国人民大学生2023年１２月%％.-_,|/*:ＡＢｃabc℃●○一二十百万亿 \t\u3000"


def test_same_words_on_generated_text(segs):
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.text(alphabet=_ALPHABET, max_size=60) | st.text(max_size=30))
    def check(text):
        stock, fast = segs
        assert fast.cut(text) == stock.cut(text)

    check()
