"""Dictionary matching by prefix scan: the compiled loop, its Python twin and a
brute-force definition agree."""

from hypothesis import given
from hypothesis import strategies as st

from pipeline.nlp.segmentation import prefixes
from pipeline.nlp.segmentation.prefixes import find_names, find_names_py, prefixes_of

ALPHABET = "重庆市云阳县北京人民政府长江a1 "


def brute(text, names, min_len, max_len):
    out = []
    for i in range(len(text)):
        ends = [j for j in range(i + min_len, min(len(text), i + max_len) + 1) if text[i:j] in names]
        out += [(i, j) for j in sorted(ends, reverse=True)]
    return out


def test_the_compiled_loop_is_built():
    assert prefixes._find_names_c is not None, "pipeline/nlp/inference/_segment.pyx was not compiled: reinstall with a C compiler"


@given(
    st.text(alphabet=ALPHABET, max_size=40),
    st.sets(st.text(alphabet=ALPHABET, min_size=1, max_size=6), max_size=25),
    st.integers(1, 3),
    st.integers(1, 8),
)
def test_find_names_agrees_with_brute_force(text, names, min_len, extra):
    max_len = min_len + extra - 1
    names = frozenset(names)
    pre = prefixes_of(names, min_len)
    want = brute(text, names, min_len, max_len)
    assert find_names_py(text, pre, names, min_len, max_len) == want
    assert find_names(text, pre, names, min_len, max_len) == want


def test_longest_first_at_each_start():
    names = frozenset({"重庆", "重庆市", "庆市", "市"})
    assert find_names("重庆市", prefixes_of(names), names, 1, 5) == [(0, 3), (0, 2), (1, 3), (2, 3)]


def test_without_the_compiled_module_the_python_loops_run(fresh_python):
    """As after an install without a C compiler: same words, same names, and a warning."""
    from pipeline.nlp.segmentation.segmenter import default_model_dir

    if not (default_model_dir() / "weights.npz").is_file():
        import pytest

        pytest.skip("no shipped segmenter (run `make models`)")
    code = (
        "import sys, logging\n"
        "for name in ('_segment', '_tok2vec', '_ner'):\n"
        "    sys.modules['pipeline.nlp.inference.' + name] = None  # an import of it raises ImportError\n"
        "logging.basicConfig()\n"
        "from pipeline.nlp.inference import fastseg\n"
        "from pipeline.nlp.segmentation import prefixes\n"
        "from pipeline.nlp.segmentation.segmenter import default_model_dir\n"
        "assert prefixes._find_names_c is None and fastseg.Scorer is None\n"
        "seg = fastseg.FastPkuseg(default_model_dir())\n"
        "print(seg.cut('重庆市科技局局长明炬表示'))\n"
        "names = frozenset({'重庆', '重庆市'})\n"
        "print(prefixes.find_names('重庆市', prefixes.prefixes_of(names), names, 1, 5))\n"
    )
    out = fresh_python(code)
    from pipeline.nlp.inference.fastseg import FastPkuseg

    assert str(FastPkuseg(default_model_dir()).cut("重庆市科技局局长明炬表示")) in out.stdout
    assert "[(0, 3), (0, 2)]" in out.stdout
    assert "_segment is not built" in out.stderr
