"""Bad input, generated: every stage over hostile text.

Random CJK, punctuation runs, mixed scripts, very long lines, control
characters and lone surrogates go through cleaning, sentence splitting, NER
and relation extraction. No exception may escape, offsets stay valid and inside the text, and
entity spans never cross sentence ends. ``make test`` runs the default
Hypothesis profile; ``make fuzz`` runs the "fuzz" profile (10,000 examples
per stage).
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.cleaning import clean_text
from pipeline.sentences import split_article

pytestmark = pytest.mark.fuzz

cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
punct = st.sampled_from(list("。！？；…，、：“”‘’《》（）【】—·．％\"'()[]-~～"))
latin = st.characters(min_codepoint=0x20, max_codepoint=0x24F)
other_scripts = st.sampled_from(list("ДжΩλאבعربि한글ひらカタ😀🇨🇳\U00020000"))
controls = st.sampled_from(list("\x00\x01\x07\x08\x0b\x0c\x1b\x7f\u200b\u200d\u2028\u2029\ufeff\ufffd\r\t\u3000 "))
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
markers = st.sampled_from(["\n", "\n\n", "# ", "## ", "□ 重庆日报记者 张亦筑", "（上接1版）", "（下转2版）",
                           "新华社北京7月10日电（记者 白瀛）", "新渝报讯（记者 邓小强）", " 摄", "1.", "（一）",
                           "重庆市科技局", "云阳县", "2.36%", "1—6月", "3000余亿元"])

chunk = st.one_of(
    st.text(st.one_of(cjk, cjk, cjk, punct, latin), min_size=1, max_size=40),
    st.text(punct, min_size=1, max_size=12),  # punctuation runs
    st.text(st.one_of(other_scripts, controls, surrogates), min_size=1, max_size=6),
    markers,
    st.builds(lambda c, n: c * n, st.text(cjk, min_size=1, max_size=3), st.integers(50, 400)),  # long lines
)
hostile_pages = st.lists(chunk, min_size=1, max_size=30).map("".join)


def _check_articles_and_sentences(page: str):
    articles = clean_text(page, "doc")
    sentences = []
    for art in articles:
        offs = art.offsets.offsets
        assert len(offs) == len(art.clean_text)
        assert all(0 <= o < len(page) for o in offs)
        for s in split_article(art):
            assert 0 <= s.raw_start <= s.raw_end <= len(page)
            if s.start is not None:
                assert 0 <= s.start <= s.end <= len(art.clean_text)
                assert art.clean_text[s.start:s.end] == s.text
            sentences.append(s)
    return articles, sentences


@given(hostile_pages)
def test_cleaning_and_splitting_survive_hostile_text(page):
    _check_articles_and_sentences(page)


@given(hostile_pages)
def test_ner_and_relations_survive_hostile_text(page):
    from pipeline.ner import recognize
    from pipeline.relations import extract_relations

    articles, sentences = _check_articles_and_sentences(page)
    by_id = {s.sent_id: s for s in sentences}
    entities = recognize(articles, sentences)
    for e in entities:
        s = by_id[e.sent_id]
        assert s.raw_start <= e.raw_start < e.raw_end <= s.raw_end <= len(page)
        if e.start is not None:
            assert s.start <= e.start < e.end <= s.end
        assert e.text and e.label
    ents = {e.ent_id: e for e in entities}
    for r in extract_relations(articles, sentences, entities):
        assert r.head_ent_id in ents and (r.tail_ent_id is None or r.tail_ent_id in ents)
        assert r.sent_id in by_id and r.source


@given(st.text(st.one_of(cjk, punct, controls, surrogates), max_size=200))
def test_jsonl_lines_with_hostile_text_are_read_or_rejected_with_a_reason(text):
    import json

    from pipeline.io.readers import InputError, _read_jsonl

    line = json.dumps({"id": "x", "text": text})
    for item in _read_jsonl(line, "feed.jsonl", "utf-8"):
        if isinstance(item, InputError):
            assert item.reason
        else:
            item.text.encode("utf-8")  # writable: no lone surrogates survive
