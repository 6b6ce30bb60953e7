import pytest

from pipeline.sentences import split_article, split_line, split_text
from tests.conftest import GOLD


def _texts(line):
    return [line[s:e] for s, e in split_line(line)]


def read_gold(path):
    articles: dict[int, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("=== "):
            current = int(line.split()[1])
            articles[current] = []
        else:
            articles[current].append(line)
    return articles


def boundaries(sentences: list[str]) -> set[int]:
    out, pos = set(), 0
    for s in sentences:
        pos += len(s)
        out.add(pos)
    return out


def test_seed_boundary_f1_is_one(seed_articles):
    gold = read_gold(GOLD / "000_f0d3a313825c072b.sentences.txt")
    assert sorted(gold) == [a.index for a in seed_articles]
    tp = fp = fn = 0
    for art in seed_articles:
        pred = [s.text for s in split_article(art) if s.start is not None]
        # the gold also pins the clean text itself (joins, removals)
        assert "".join(pred) == "".join(gold[art.index])
        g, p = boundaries(gold[art.index]), boundaries(pred)
        tp += len(g & p)
        fp += len(p - g)
        fn += len(g - p)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 == 1.0, (tp, fp, fn)
    assert tp == 109


def test_sentence_kinds(seed_articles):
    sents = split_article(seed_articles[0])
    assert sents[0].kind == "headline"
    assert [s.text for s in sents if s.start is None] == ["□ 重庆日报记者 张亦筑"]
    assert sents[-1].kind == "byline" and sents[-1].raw_start == 42
    assert [s.text for s in sents if s.kind == "heading"] == seed_articles[0].section_headings
    assert all(s.sent_id.startswith(seed_articles[0].article_id) for s in sents)


@pytest.mark.parametrize(
    "line,expected",
    [
        ("他说：“我们成功了。”大家鼓掌。", ["他说：“我们成功了。”", "大家鼓掌。"]),
        ("真的吗？！当然……我们走吧。", ["真的吗？！", "当然……", "我们走吧。"]),
        ("要加快建设；要提升能力。", ["要加快建设；", "要提升能力。"]),
        ("印发《关于加快发展。若干意见！》的通知。下一句。", ["印发《关于加快发展。若干意见！》的通知。", "下一句。"]),
        ("增长2.3%，比上年提高0.5个百分点。", ["增长2.3%，比上年提高0.5个百分点。"]),
        ("1—6月累计完成；10:30开会。", ["1—6月累计完成；", "10:30开会。"]),
        ("主要包括：一是加强领导，二是完善机制。", ["主要包括：一是加强领导，二是完善机制。"]),
        ("1.加强领导。2.完善机制。", ["1.加强领导。", "2.完善机制。"]),
        ("第1…6条都适用。", ["第1…6条都适用。"]),
        ("（完）", ["（完）"]),
        ("没有句号的结尾", ["没有句号的结尾"]),
        ("  前后空格。  ", ["前后空格。"]),
        ("括号结束。）后面。", ["括号结束。）", "后面。"]),
        ("《未闭合的书名号。下一句。", ["《未闭合的书名号。", "下一句。"]),
    ],
)
def test_hard_cases(line, expected):
    assert _texts(line) == expected


def test_lines_are_boundaries():
    text = "标题\n第一句。第二句\n下一段。"
    assert [(s, e, i) for s, e, i in split_text(text)] == [(0, 2, 0), (3, 7, 1), (7, 10, 1), (11, 15, 2)]
