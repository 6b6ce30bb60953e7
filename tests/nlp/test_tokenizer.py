import pytest
import spacy

from pipeline.nlp.segmenter import default_model_dir
from pipeline.nlp.tokenizer import CharWordTokenizer, position_tags


def test_position_tags():
    assert position_tags(["重庆市", "的", "科技", "中华人民共和国"]) == [
        "B3", "M3", "E3", "S", "B2", "E2", "B4", "M4", "M4", "M4", "M4", "M4", "E4"]


def test_char_tokens_keep_text_and_spaces():
    nlp = spacy.blank("zh")
    tok = CharWordTokenizer(nlp.vocab, use_words=False, bigrams=True)
    doc = tok("科研机构 and 企业\n下一段")
    assert doc.text == "科研机构 and 企业\n下一段"
    assert [t.text for t in doc][:6] == ["科", "研", "机", "构", "a", "n"]
    assert str(doc[0].morph) == "Bi=科研"


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
        "Lex=nrB", "Lex=nrI", "Lex=nrE", "", "", "Lex=nsB,ntB", "Lex=nsE,ntI", "Lex=ntI", "Lex=ntE"]
    tok.to_disk(tmp_path / "tok")
    again = CharWordTokenizer(nlp.vocab).from_disk(tmp_path / "tok")
    assert [str(t.morph) for t in again("江泽民访问北京大学")] == [str(t.morph) for t in doc]


def test_bad_lexicon_line_names_file_and_line(tmp_path):
    from pipeline.nlp.lexicon import Lexicon

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
    return ["Lex=" + ",".join(t + ("B" if k == i else "E" if k == j - 1 else "I") for t, (i, j) in sorted(b.items())) if b else ""
            for k, b in enumerate(best)]


def test_lexicon_prefix_scan_equals_the_definition():
    import random

    from pipeline.nlp.lexicon import Lexicon

    lex = Lexicon({"重庆": "ns", "重庆市": "ns", "重庆市科技局": "nt", "科技局": "nt", "明炬": "nr", "庆市科": "nr", "市科": "ns"})
    rng = random.Random(0)
    alphabet = "重庆市科技局明炬的了"
    for _ in range(300):
        chars = [rng.choice(alphabet) for _ in range(rng.randint(0, 20))]
        assert lex.features(chars) == _features_brute_force(lex, chars), "".join(chars)
