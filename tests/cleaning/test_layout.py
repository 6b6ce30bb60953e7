"""Page layout and normalisation on pages written for the tests."""

from pipeline.cleaning import clean_text


def test_plain_text_page_without_markdown():
    page = "市政府召开常务会议\n\n本报记者 王小明\n\n会议研究了有关工作。\n\n（上接2版）\n\n会议要求抓好落实。\n"
    arts = clean_text(page, "d")
    assert [a.headline for a in arts] == ["市政府召开常务会议", None]
    assert arts[0].agency == "本报" and arts[0].reporters == ["王小明"]
    assert arts[1].continued_from == "2版"


def test_section_heading_versus_new_article():
    page = "# 大标题\n\n正文第一段。\n\n## 小标题\n\n正文第二段。\n\n## 另一篇文章\n\n新华社上海5月1日电（记者 李华）今天开幕。\n"
    a, b = clean_text(page, "d")
    assert a.section_headings == ["小标题"]
    assert a.line_kinds == ["headline", "body", "heading", "body"]
    assert b.headline == "另一篇文章"
    assert (b.agency, b.dateline_place, b.dateline_date, b.reporters) == ("新华社", "上海", "5月1日", ["李华"])
    assert b.clean_text == "另一篇文章\n今天开幕。"


def test_full_width_and_spaces():
    page = "# 标题\n\n全年增长１２．５％，ＧＤＰ达到 ５０００ 亿元。重庆 四川 联合发布。\n"
    (a,) = clean_text(page, "d")
    assert a.clean_text.split("\n")[1] == "全年增长12.5%，GDP达到 5000 亿元。重庆四川联合发布。"


def test_column_break_not_joined_before_list_item_or_heading():
    page = "# 标题\n\n主要任务\n\n一、加快建设。\n\n## 小节\n\n末尾没有句号\n"
    (a,) = clean_text(page, "d")
    assert a.clean_text == "标题\n主要任务\n一、加快建设。\n小节\n末尾没有句号"
    assert a.joined_breaks == 0
    assert a.truncated


def test_continued_to_marker():
    page = "# 标题\n\n第一段说到这里（下转3版）\n"
    (a,) = clean_text(page, "d")
    assert a.continued_to == "3版"
    assert "下转" not in a.clean_text


def test_crlf_page_offsets():
    page = "# 标题\r\n\r\n□ 本报记者 张三\r\n\r\n第一段前半\r\n\r\n后半。\r\n"
    (a,) = clean_text(page, "d")
    assert a.clean_text == "标题\n第一段前半后半。"
    for i, ch in enumerate(a.clean_text):
        raw = page[a.offsets.offsets[i]]
        assert raw == ch or (ch == "\n" and raw.isspace())


def test_byline_written_without_spaces_splits_before_a_paper_and_a_role():
    from pipeline.bylines import default_parser

    b = default_parser().parse("□本报记者张靖本报通讯员郜敏")
    assert (b.agency, b.reporters, b.correspondents) == ("本报", ["张靖"], ["郜敏"])
    # a paper's name never runs across a role word
    assert default_parser().parse("□ 重庆日报记者 张亦筑").agency == "重庆日报"


def test_a_caption_line_that_ends_in_its_credit_is_a_caption():
    from pipeline.cleaning import clean_document
    from pipeline.records import Document

    text = "# 标题\n\n9月9日，实验小学的学生们向老师敬礼，祝福老师节日快乐。 王铮 杨东辉 摄\n\n⑧3高超 秦林林 摄\n\n正文第一段。\n"
    (article,) = clean_document(Document(doc_id="d", path="p", encoding="utf-8", text=text, sha256="0"))
    assert set(article.photographers) >= {"王铮", "杨东辉", "高超", "秦林林"}
    assert "王铮" not in article.clean_text and "节日快乐" not in article.clean_text
    assert article.captions and article.captions[0].text.endswith("节日快乐。")
