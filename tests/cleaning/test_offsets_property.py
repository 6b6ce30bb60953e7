"""Property test: on generated pages, every clean character maps back to its raw source."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cleaning import clean_text
from pipeline.cleaning.normalize import HALF_WIDTH
from pipeline.sentences import split_article

cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
fullwidth = st.sampled_from(list("０１２３４５ＡＢｃ％．"))
punct = st.sampled_from(list("，、：“”《》（）—"))
final = st.sampled_from(["。", "！", "？", "；", "……", "。”"])
space = st.sampled_from([" ", "\u3000", "\t"])

words = st.text(st.one_of(cjk, cjk, cjk, fullwidth, punct, space, st.sampled_from(list("abc 12"))), min_size=1, max_size=30)


@st.composite
def paragraphs(draw):
    n = draw(st.integers(1, 4))
    body = "".join(draw(words) + draw(final) for _ in range(n))
    if draw(st.booleans()):
        body += draw(words)  # ends mid-sentence: column break or truncation
    return body


@st.composite
def pages(draw):
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["article", "heading", "cont", "caption", "para"]))
        if kind == "article":
            lines.append("# " + draw(words))
            if draw(st.booleans()):
                lines.append("□ 重庆日报记者 " + draw(st.sampled_from(["张三", "李四 王五"])))
        elif kind == "heading":
            lines.append("## " + draw(words))
        elif kind == "cont":
            lines.append("（上接1版）")
        elif kind == "caption":
            lines.append(draw(words) + "。  \n重庆日报记者 赵六 摄")
        for _ in range(draw(st.integers(0, 3))):
            lines.append(draw(paragraphs()))
    sep = draw(st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n\n\n\n"]))
    return sep.join(lines) + draw(st.sampled_from(["", "\n", "  \n"]))


def _norm(ch: str) -> str:
    return HALF_WIDTH.get(ord(ch), ch)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages())
def test_offset_map_is_exact(page):
    for art in clean_text(page, "doc"):
        offs = art.offsets.offsets
        assert len(offs) == len(art.clean_text)
        assert all(0 <= o < len(page) for o in offs)
        assert all(offs[i] < offs[i + 1] for i in range(len(offs) - 1))
        for ch, o in zip(art.clean_text, offs):
            raw = page[o]
            assert _norm(raw) == ch or (ch in " \n" and raw.isspace()), (ch, raw)
        for s in split_article(art):
            if s.start is not None:  # running text
                assert 0 <= s.start < s.end <= len(art.clean_text)
                assert s.text == art.clean_text[s.start : s.end]
            else:  # byline, dateline, caption, credit
                assert s.kind in {"byline", "dateline", "caption", "credit"}
            assert 0 <= s.raw_start < s.raw_end <= len(page)
            assert "\n" not in s.text
            for ch, o in zip(s.text, s.offsets.offsets):
                assert _norm(page[o]) == ch or (ch in " \n" and page[o].isspace())
