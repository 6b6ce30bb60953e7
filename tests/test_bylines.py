"""The byline grammar (rules/bylines.yaml + pipeline/bylines.py) on the forms papers print.

Names here are made up; the forms are those of the dev pages and of People's Daily."""

import pytest

from pipeline.bylines import default_parser


def fields(b):
    return b and (b.agency, b.reporters, b.correspondents, b.photographers, b.units)


@pytest.mark.parametrize(
    "line,expected",
    [
        # role words and names written together, two names run together cut at their surnames
        ("记者李明通讯员王飞刘永", (None, ["李明"], ["王飞", "刘永"], [], [])),
        ("记者赵虎成通讯员张宗元贾胜利", (None, ["赵虎成"], ["张宗元", "贾胜利"], [], [])),
        # a paper's local station between the names is a unit, not a person
        ("通讯员邹建国鄞州记者站陈小波章燕", (None, [], ["邹建国", "陈小波", "章燕"], [], ["鄞州记者站"])),
        ("记者 周文 共享联盟奉化站 严世平 郑连山", (None, ["周文", "严世平", "郑连山"], [], [], ["共享联盟奉化站"])),
        # a photo credit: names before the role word took the photos too
        ("某某共享联盟衢江站 邵秀 丰莉 记者 于海 摄", (None, [], [], ["邵秀", "丰莉", "于海"], ["某某共享联盟衢江站"])),
        # bracketed, with a two-character name written with a space
        ("（严 刚 杜志远 摄）", (None, [], [], ["严刚", "杜志远"], [])),
        # a metadata line: the source is the paper, 作者 the reporters, the time stamp no name
        ("2021-08-28 16:50 来源：浙江日报 作者：刘平 余琴", ("浙江日报", ["刘平", "余琴"], [], [], [])),
        # as before
        ("□本报记者张靖本报通讯员郜敏", ("本报", ["张靖"], ["郜敏"], [], [])),
        ("重庆日报通讯员 谭启云 徐锐 周文霞 摄", ("重庆日报", [], [], ["谭启云", "徐锐", "周文霞"], [])),
    ],
)
def test_bylines_of_many_forms(line, expected):
    assert fields(default_parser().parse(line)) == expected


@pytest.mark.parametrize("line", ["王飞李永", "宋某 许某", "今天天气很好", "江北记者站"])
def test_names_or_a_unit_without_a_role_word_or_credit_are_no_byline(line):
    assert default_parser().parse(line) is None


@pytest.mark.parametrize(
    "para,agency,reporters,correspondents,rest",
    [
        ("本报讯（记者李明通讯员王飞刘永）给母校老师写一封信", "本报", ["李明"], ["王飞", "刘永"], "给母校"),
        ("（记者冯某）百年大计，教育为本。", None, ["冯某"], [], "百年大计"),
        ("山西日报记者秦某报道  5月18日，国家", "山西日报", ["秦某"], [], "5月18日"),
        ("宁波日报讯（通讯员邹建国鄞州记者站陈小波）日前，鄞州区", "宁波日报", [], ["邹建国", "陈小波"], "日前"),
        # a place and a date before 讯, as before 电
        ("本报杭州4月7日讯 （通讯员 苏某 记者 张某） 4月7日，杭州", "本报", ["张某"], ["苏某"], "4月7日"),
    ],
)
def test_credits_that_open_the_first_paragraph(para, agency, reporters, correspondents, rest):
    d = default_parser().match_dateline(para)
    assert (d.agency, d.byline.reporters, d.byline.correspondents) == (agency, reporters, correspondents)
    assert para[d.end :].startswith(rest)


@pytest.mark.parametrize("para", ["（上接1版）继续", "（图片由某某提供）百年", "（完）"])
def test_brackets_that_hold_no_credit_open_no_dateline(para):
    assert default_parser().match_dateline(para) is None


def test_every_person_of_a_dateline_credit_is_a_person_entity():
    """The parser lists people by role (correspondents after reporters), not in the order of
    the text: each name is still found where it stands."""
    from pipeline.nlp import load_nlp

    nlp = load_nlp()
    doc = nlp.make_doc("长江日报讯（通讯员童某 实习生关某仪 记者马某）")
    doc._.kind = "dateline"
    doc = nlp(doc)
    assert {e.text for e in doc.ents if e.label_ == "PERSON"} == {"童某", "关某仪", "马某"}
