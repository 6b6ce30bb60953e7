"""The segmenter's lexicon features (pipeline.nlp.segmentation.seglexicon)."""

from hypothesis import given
from hypothesis import strategies as st

from pipeline.nlp.segmentation import seglexicon

LEXICON = frozenset({"北京", "北京大学", "大学生", "学生", "人民广播电台", "中华人民共和国"})


def _brute(t, lexicon):
    n = len(t)
    begin, end, inside = [0] * n, [0] * n, [0] * n
    for i in range(n):
        for j in range(i + 2, n + 1):
            if t[i:j] in lexicon:
                k = min(j - i, seglexicon.CAP)
                begin[i] = max(begin[i], k)
                end[j - 1] = max(end[j - 1], k)
                for m in range(i + 1, j - 1):
                    inside[m] = max(inside[m], k)
    return begin, end, inside


def test_spans_longest_word_beginning_ending_and_covering_each_character():
    begin, end, inside = seglexicon.spans("北京大学生", LEXICON)
    assert begin.tolist() == [4, 0, 3, 2, 0]
    assert end.tolist() == [0, 2, 0, 4, 3]
    assert inside.tolist() == [0, 4, 4, 3, 0]
    # a word longer than CAP counts as CAP
    assert seglexicon.spans("中华人民共和国成立", LEXICON)[0][0] == seglexicon.CAP == 6


@given(st.text(alphabet="北京大学生人民广播电台中华共和国成立的", max_size=30))
def test_spans_match_a_brute_force_definition(text):
    got = [a.tolist() for a in seglexicon.spans(text, LEXICON)]
    assert got == [list(x) for x in _brute(text, LEXICON)]


def test_feature_names_name_only_present_words_and_always_the_triple():
    assert seglexicon.feature_names(0, 0, 0) == ["lxS.0.0.0"]
    assert seglexicon.feature_names(4, 2, 0) == ["lxB.4", "lxE.2", "lxS.4.2.0"]


def test_only_words_the_node_string_can_hold_are_written(tmp_path):
    path = tmp_path / "lexicon.txt"
    # digits and Chinese numerals become pkuseg's **Num, full-width letters **Letter, keywords '&'
    n = seglexicon.write_lexicon(["北京", "北京", "三峡", "Ｔ恤", "A-B", "好", "很长很长很长的词语", "人民 日报", "B超"], path)
    assert n == 2
    assert seglexicon.read_lexicon(path) == {"北京", "B超"}
