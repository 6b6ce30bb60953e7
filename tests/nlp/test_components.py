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


def test_span_values_read_what_the_extensions_give(docs):
    """``span_values`` reads spaCy's storage of Span extensions directly: it must give what
    ``span._.name`` gives, for every entity of the sample page and every extension."""
    from pipeline.nlp.components import SPAN_EXTENSIONS, span_values

    checked = set()
    for doc in docs:
        for ent in doc.ents:
            expected = [getattr(ent._, name) for name in SPAN_EXTENSIONS]
            assert span_values(doc, ent.start_char, ent.end_char, SPAN_EXTENSIONS) == expected, ent.text
            checked |= {name for name, value in zip(SPAN_EXTENSIONS, expected) if value is not None}
    # the sample's entities carry real values of most extensions, not only defaults
    assert {"source", "kb_id", "normalized", "value", "unit", "qualifier"} <= checked


def test_set_span_values_is_what_span_underscore_reads(docs):
    from spacy.tokens import Span

    from pipeline.nlp.components import set_span_values

    doc = docs[0]
    span = Span(doc, 0, 2, label="ORG")
    set_span_values(span, {"source": "test.rule", "score": 0.5, "kb_candidates": ["1", "2"]})
    assert (span._.source, span._.score, span._.kb_candidates, span._.kb_id) == ("test.rule", 0.5, ["1", "2"], None)
    assert Span(doc, 0, 2)._.source == "test.rule"  # keyed by the characters, as spaCy's own


@pytest.mark.parametrize(
    "text,gaps,names",
    [
        ("邵秀清丰莉莎", {3}, ["邵秀清", "丰莉莎"]),  # two names the page set apart
        ("严世君郑连乔王红雨", {3, 6}, ["严世君", "郑连乔", "王红雨"]),
        ("严龙杜志炎摄", {1, 2, 5}, ["严龙", "杜志炎"]),  # 严 龙: a two-character name with a space; 摄 dropped
        ("严龙", {1}, ["严龙"]),
        ("于山摄", {2}, ["于山"]),
    ],
)
def test_model_person_over_names_set_apart_is_cut_at_the_gaps(text, gaps, names):
    from pipeline.nlp.components import split_names_at_gaps
    from pipeline.nlp.entities.entity_rules import Candidate

    pieces = split_names_at_gaps(Candidate(0, len(text), "PERSON", "model"), frozenset(gaps))
    assert [text[c.start : c.end] for c in pieces] == names


@pytest.mark.parametrize(
    "text,span,gaps,name",
    [
        ("郑连乔王红雨", (0, 2), {3}, "郑连乔"),  # one character short of the gap
        ("郑连乔王红雨", (2, 6), {3}, "王红雨"),  # one character before it
        ("张三说", (0, 3), {2}, "张三"),  # one character past it
    ],
)
def test_person_edges_snap_to_gaps(text, span, gaps, name):
    from pipeline.nlp.components import split_names_at_gaps
    from pipeline.nlp.entities.entity_rules import Candidate

    (piece,) = split_names_at_gaps(Candidate(*span, "PERSON", "model"), frozenset(gaps), len(text))
    assert text[piece.start : piece.end] == name


def test_gaps_only_cut_person_spans():
    from pipeline.nlp.components import split_names_at_gaps
    from pipeline.nlp.entities.entity_rules import Candidate

    org = Candidate(0, 6, "ORG", "model")
    assert split_names_at_gaps(org, frozenset({3})) == [org]


def test_the_ner_stage_keeps_names_of_a_credit_apart():
    """A credit that cleaning joined (记者 于山 摄 -> 记者于山摄) still gives separate names."""
    from pipeline import batch
    from pipeline.records import Document

    text = "# 标题\n\n衢江站 邵秀清 丰莉莎 记者 于山 摄\n\n正文说明。\n"
    doc = Document(doc_id="d", path="p.txt", encoding="utf-8", text=text, sha256="0")
    people = {e.text for e in batch.recognize_entities(batch.clean_and_split([doc])).entities if e.label == "PERSON"}
    assert not any(len(p) > 3 for p in people), people
