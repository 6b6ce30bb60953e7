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
