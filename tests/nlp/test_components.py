"""The components' shortcuts (text and word boundaries left by the tokenizer) give what spaCy's own accessors give."""

from pathlib import Path

import pytest

from pipeline.nlp import pipeline_dir

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "000_f0d3a313825c072b.txt"
pytestmark = pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`")

HOSTILE = ["", " ", "\u3000\u3000全市  GDP增长2.3%", "记者 张亦筑", "A B\nC", "重庆\t\t市", "－３℃／５℃"]


@pytest.fixture(scope="module")
def docs():
    from pipeline.nlp import load_nlp

    nlp = load_nlp()
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(nlp.pipe(lines + HOSTILE))


def test_word_boundaries_from_the_tokenizer_equal_a_pass_over_the_tokens(docs):
    from pipeline.nlp.components import word_boundaries
    from pipeline.nlp.tokenizer import WORD_BOUNDARIES

    stored = 0
    for doc in docs:
        cached = doc.user_data.pop(WORD_BOUNDARIES, None)
        recomputed = word_boundaries(doc)
        if cached is not None:
            stored += 1
            assert cached == (sorted(recomputed[0]), sorted(recomputed[1])), doc.text  # ascending lists
        doc.user_data[WORD_BOUNDARIES] = cached
    assert stored >= len(docs) - 2  # all but the empty and blank texts


@pytest.mark.filterwarnings("ignore::UserWarning")  # spaCy: user data not merged
def test_merged_doc_does_not_reuse_the_first_docs_cache():
    from spacy.tokens import Doc

    from pipeline.nlp import load_nlp
    from pipeline.nlp.components import word_boundaries
    from pipeline.nlp.tokenizer import doc_text

    nlp = load_nlp()
    a, b = nlp.make_doc("重庆市科技局"), nlp.make_doc("云阳县人和街道")
    merged = Doc.from_docs([a, b])
    assert doc_text(merged) == merged.text
    starts, _ = word_boundaries(merged)
    assert max(starts) >= len("重庆市科技局")  # boundaries of the second part are there
