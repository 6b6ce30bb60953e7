"""The seed page is the reference input: every claim of the foundation issue, checked."""

import json

import pytest

from tests.conftest import GOLD

GOLD_ARTICLES = json.loads((GOLD / "000_f0d3a313825c072b.articles.json").read_text(encoding="utf-8"))

FIELDS = [
    "headline",
    "subheadline",
    "section_headings",
    "agency",
    "reporters",
    "correspondents",
    "photographers",
    "dateline_place",
    "dateline_date",
    "continued_from",
    "truncated",
    "joined_breaks",
]


def test_seven_units(seed_articles):
    assert len(seed_articles) == 7
    assert [a.index for a in seed_articles] == list(range(7))


@pytest.mark.parametrize("gold", GOLD_ARTICLES, ids=lambda g: f"article{g['index']}")
def test_article_metadata_matches_gold(seed_articles, gold):
    art = seed_articles[gold["index"]]
    for name in FIELDS:
        assert getattr(art, name) == gold[name], name
    assert [w.text for w in art.latin_words] == gold["latin_words"]
    assert [(c.text, c.photographers) for c in art.captions] == [(c["text"], c["photographers"]) for c in gold["captions"]]


def test_all_eight_column_breaks_joined(seed_articles):
    assert sum(a.joined_breaks for a in seed_articles) == 8
    text = "\n".join(a.clean_text for a in seed_articles)
    for joined in [
        "重要增长极",
        "以科技创新引领",
        "创新平台，围绕",
        "增储上产的步伐",
        "地质构造，勘探难度",
        "开放平台、营商环境",
        "通道功能、促进",
        "提升川渝两地",
    ]:
        assert joined in text, joined


def test_real_paragraph_boundaries_stay(seed_articles):
    first = seed_articles[0].clean_text
    assert "发展定位——\n服务国家重大战略" in first  # a dash introducing a list
    assert "具体包括：\n四大科创高地" in first  # a colon introducing a list
    assert "动力源。\n“一带一路”" in first


def test_bylines_and_caption_leave_running_text(seed_articles):
    text = "\n".join(a.clean_text for a in seed_articles)
    for gone in [
        "□",
        "重庆日报记者",
        "通讯员",
        "周文霞",
        " 摄",
        "新华社北京7月10日电",
        "新渝报讯",
        "（上接1版）",
        "日前，云安010-X1井测试",
    ]:
        assert gone not in text, gone


def test_raw_offsets_exact(seed_text, seed_articles):
    from pipeline.sentences import split_article

    for art in seed_articles:
        ot = art.offsets
        assert ot.text == art.clean_text
        assert all(ot.offsets[i] < ot.offsets[i + 1] for i in range(len(ot) - 1))
        for i, ch in enumerate(art.clean_text):
            raw = seed_text[ot.offsets[i]]
            assert raw == ch or (ch == "\n" and raw.isspace()), (art.index, i, ch, raw)
        for s in split_article(art):
            if s.start is None:  # metadata text: its characters are raw characters
                assert "".join(seed_text[o] for o in s.offsets.offsets) == s.text
                continue
            raw = seed_text[s.raw_start : s.raw_end]
            assert raw.startswith(s.text[:1]) and raw.endswith(s.text[-1:])
            # the raw span holds the sentence's characters, plus only what cleaning removed
            squeezed = "".join(seed_text[o] for o in ot.offsets[s.start : s.end])
            assert squeezed == s.text
        raw_article = seed_text[art.raw_start : art.raw_end]
        assert raw_article.strip() == raw_article


def test_caption_raw_span(seed_text, seed_articles):
    cap = seed_articles[1].captions[0]
    assert seed_text[cap.raw_start : cap.raw_end] == cap.text
    assert cap.credit == "重庆日报通讯员 谭启云 徐锐 周文霞 摄"


def test_metadata_text_kept_as_sentences_with_raw_offsets(seed_text, seed_articles):
    from pipeline.sentences import split_article

    meta = [(s.kind, s.text) for a in seed_articles for s in split_article(a) if s.start is None]
    assert meta == [
        ("byline", "□ 重庆日报记者 张亦筑"),
        ("byline", "□ 重庆日报记者 刘翰书"),
        ("caption", "日前，云安010-X1井测试钻获日产112.96万立方米高产工业气流。"),
        ("credit", "重庆日报通讯员 谭启云 徐锐 周文霞 摄"),
        ("byline", "□ 重庆日报记者 唐琴 杨璇"),
        ("dateline", "新华社北京7月10日电（记者 白瀛）"),
        ("dateline", "新渝报讯（记者 邓小强 通讯员 黄亚）"),
    ]
    for a in seed_articles:
        for s in split_article(a):
            assert seed_text[s.raw_start : s.raw_end] == s.text or s.start is not None
