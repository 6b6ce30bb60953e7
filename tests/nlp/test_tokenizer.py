import pytest
import spacy

from pipeline.nlp.segmentation.segmenter import default_model_dir
from pipeline.nlp.tokenizer import CharWordTokenizer, position_tags


def test_position_tags():
    assert position_tags(["重庆市", "的", "科技", "中华人民共和国"]) == [
        "B3",
        "M3",
        "E3",
        "S",
        "B2",
        "E2",
        "B4",
        "M4",
        "M4",
        "M4",
        "M4",
        "M4",
        "E4",
    ]


def test_char_tokens_keep_text_and_spaces():
    nlp = spacy.blank("zh")
    tok = CharWordTokenizer(nlp.vocab, use_words=False, bigrams=True)
    doc = tok("科研机构 and 企业\n下一段")
    assert doc.text == "科研机构 and 企业\n下一段"
    assert [t.text for t in doc][:6] == ["科", "研", "机", "构", "a", "n"]
    # NORM is the bigram that starts at the token; the token's own text stays ORTH
    assert [t.norm_ for t in doc][:5] == ["科研", "研机", "机构", "构a", "an"]
    assert doc[-1].norm_ == "段</s>" and str(doc[0].morph) == ""


def test_bigrams_are_width_normalised_and_stay_when_reloaded(tmp_path):
    nlp = spacy.blank("zh")
    tok = CharWordTokenizer(nlp.vocab, use_words=False, bigrams=True)
    assert [t.norm_ for t in tok("１２％")] == ["12", "2%", "%</s>"]
    tok.to_disk(tmp_path / "tok")
    again = CharWordTokenizer(nlp.vocab, use_words=False).from_disk(tmp_path / "tok")
    assert again.bigrams and [t.norm_ for t in again("北京")] == ["北京", "京</s>"]


@pytest.mark.skipif(not (default_model_dir() / "weights.npz").is_file(), reason="no shipped segmenter (run `make models`)")
def test_word_features_and_round_trip(tmp_path):
    nlp = spacy.blank("zh")
    tok = CharWordTokenizer(nlp.vocab, segmenter_dir=default_model_dir())
    doc = tok("重庆市科技局局长明炬表示")
    assert all(t.lemma_ and t.tag_ for t in doc)
    assert "".join(t.text for t in doc) == "重庆市科技局局长明炬表示"
    tok.to_disk(tmp_path / "tok")
    again = CharWordTokenizer(nlp.vocab).from_disk(tmp_path / "tok")
    assert [(t.lemma_, t.tag_) for t in again("重庆市科技局局长明炬表示")] == [(t.lemma_, t.tag_) for t in doc]


def test_lexicon_features_in_morph_and_round_trip(tmp_path):
    lex = tmp_path / "lexicon.txt"
    lex.write_text("# test\n江泽民\tnr\n北京\tns\n北京大学\tnt\n", encoding="utf-8")
    nlp = spacy.blank("zh")
    tok = CharWordTokenizer(nlp.vocab, use_words=False, lexicon=lex)
    doc = tok("江泽民访问北京大学")
    assert [str(t.morph) for t in doc] == [
        "Lex=nrB",
        "Lex=nrI",
        "Lex=nrE",
        "",
        "",
        "Lex=nsB,ntB",
        "Lex=nsE,ntI",
        "Lex=ntI",
        "Lex=ntE",
    ]
    tok.to_disk(tmp_path / "tok")
    again = CharWordTokenizer(nlp.vocab).from_disk(tmp_path / "tok")
    assert [str(t.morph) for t in again("江泽民访问北京大学")] == [str(t.morph) for t in doc]


def test_bad_lexicon_line_names_file_and_line(tmp_path):
    from pipeline.nlp.segmentation.lexicon import Lexicon

    lex = tmp_path / "lexicon.txt"
    lex.write_text("北京\tns\n上海 ns\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"lexicon.txt:2: expected"):
        Lexicon.from_file(lex)


def _features_brute_force(lexicon, chars):
    """The definition: for each type, the longest name covering the character (earliest on ties)."""
    n = len(chars)
    text = "".join(chars)
    best = [dict() for _ in range(n)]
    for i in range(n):
        for j in range(min(n, i + lexicon.max_len), i + 1, -1):
            typ = lexicon.entries.get(text[i:j])
            if typ is None:
                continue
            for k in range(i, j):
                cur = best[k].get(typ)
                if cur is None or cur[1] - cur[0] < j - i:
                    best[k][typ] = (i, j)
    return [
        "Lex=" + ",".join(t + ("B" if k == i else "E" if k == j - 1 else "I") for t, (i, j) in sorted(b.items())) if b else ""
        for k, b in enumerate(best)
    ]


def test_lexicon_prefix_scan_equals_the_definition():
    import random

    from pipeline.nlp.segmentation.lexicon import Lexicon

    lex = Lexicon(
        {"重庆": "ns", "重庆市": "ns", "重庆市科技局": "nt", "科技局": "nt", "明炬": "nr", "庆市科": "nr", "市科": "ns"}
    )
    rng = random.Random(0)
    alphabet = "重庆市科技局明炬的了"
    for _ in range(300):
        chars = [rng.choice(alphabet) for _ in range(rng.randint(0, 20))]
        assert lex.features(chars) == _features_brute_force(lex, chars), "".join(chars)


def _reference_doc(tok, text):
    """The token annotations spelled out as strings (the tokenizer sets them as keys)."""
    from pipeline.nlp.segmentation.segmenter import normalize
    from pipeline.nlp.tokenizer import _chars_and_spaces

    chars, spaces = _chars_and_spaces(text)
    lemmas = tags = None
    bounds = (set(), set())
    if tok.use_words and chars:
        lemmas, tags, bounds = tok._word_features(text, chars, spaces)
    norm = normalize("".join(chars))
    morphs = tok.lexicon.features(norm) if tok.lexicon is not None else None
    doc = spacy.tokens.Doc(tok.vocab, words=chars, spaces=spaces, lemmas=lemmas, tags=tags, morphs=morphs)
    if tok.bigrams:
        for i, t in enumerate(doc):
            t.norm_ = norm[i : i + 2] if i + 1 < len(norm) else norm[i] + "</s>"
    return doc, bounds


_ATTRS = ["ORTH", "NORM", "LEMMA", "TAG", "MORPH", "SPACY", "SHAPE", "IS_SPACE"]
_TEXTS = [
    "重庆市科技局局长明炬表示",
    "",
    " ",
    "a",
    "江泽民访问北京大学",
    "科研机构 and 企业\n下一段",
    "  前后  有空格 ",
    "中\t国\n人\u3000民",
    "2022年1—6月增长2.3%，云阳县",
    "ＡＢＣ１２３",
    "😀表情🇨🇳",
]


@pytest.mark.skipif(not (default_model_dir() / "weights.npz").is_file(), reason="no shipped segmenter (run `make models`)")
@pytest.mark.parametrize("use_words,bigrams", [(True, False), (False, False), (True, True)])
def test_annotations_equal_the_string_spelled_reference(tmp_path, use_words, bigrams):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    lex = tmp_path / "lexicon.txt"
    lex.write_text("江泽民\tnr\n北京\tns\n北京大学\tnt\n重庆市\tns\n科技局\tnt\n", encoding="utf-8")
    nlp = spacy.blank("zh")
    tok = CharWordTokenizer(nlp.vocab, segmenter_dir=default_model_dir(), use_words=use_words, bigrams=bigrams, lexicon=lex)

    def check(text):
        doc = tok(text)
        ref, bounds = _reference_doc(tok, text)
        assert doc.text == text
        assert doc.to_array(_ATTRS).tolist() == ref.to_array(_ATTRS).tolist()
        starts, ends = doc.user_data.get("zhnews.word_boundaries", ([], []))
        assert (set(starts), set(ends)) == bounds and starts == sorted(starts) and ends == sorted(ends)

    for text in _TEXTS:
        check(text)
    settings(max_examples=60)(given(st.text(alphabet="重庆市科技局江泽民访问北京大学的了 \n\t1２Ａa，。", max_size=40))(check))()


def _fill_column_features(lex, text):
    """``Lexicon.fill_column``'s keys spelled back as features (a key here is the feature itself)."""
    import numpy as np

    from pipeline.nlp.segmentation.lexicon import FeatureKeys

    strings: dict[int, str] = {}

    def key_of(feature):
        strings[len(strings) + 1] = feature
        return len(strings)

    out = np.zeros((len(text), 2), dtype=np.uint64)
    lex.fill_column(text, out, 1, FeatureKeys(key_of))
    return [strings[k] for k in out[:, 1].tolist()]


def test_lexicon_compiled_column_equals_the_definition():
    import random

    from pipeline.nlp.segmentation.lexicon import Lexicon

    lex = Lexicon(
        {
            "重庆": "ns",
            "重庆市": "ns",
            "重庆市科技局": "nt",
            "科技局": "nt",
            "明炬": "nr",
            "庆市科": "nr",
            "市科": "ns",
            "科技": "nr",
            "重庆市科": "nt",
            "庆市": "ns",
            "技局": "nt",
        }
    )  # ties: 重庆 / 庆市, 科技局 / 技局...
    pytest.importorskip("pipeline.nlp.inference._segment", reason="pipeline/nlp/inference/_segment.pyx is not built")
    rng = random.Random(1)
    alphabet = "重庆市科技局明炬的了"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert _fill_column_features(lex, text) == _features_brute_force(lex, list(text)), text


def test_compiled_columns_equal_the_python_twins(pd_test_texts, seed_text):
    """The compiled word and lexicon columns against the Python loops, on the PD test text and
    the sample page, with the shipped segmenter and lexicon."""
    import numpy as np

    from pipeline.nlp import load_nlp

    tok = load_nlp().tokenizer
    texts = pd_test_texts + seed_text.splitlines() + _TEXTS
    compiled = [tok(t) for t in texts]
    tok.compiled = False
    try:
        twins = [tok(t) for t in texts]
    finally:
        tok.compiled = True
    for a, b in zip(compiled, twins):
        assert np.array_equal(a.to_array(_ATTRS), b.to_array(_ATTRS)), a.text
        assert a.user_data == b.user_data, a.text
