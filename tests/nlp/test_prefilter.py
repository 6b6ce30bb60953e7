import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.nlp.entities.entity_rules import load_entity_rules
from pipeline.nlp.entities.prefilter import required_chars

HAN = "\u3400-\u4dbf\u4e00-\u9fff"


@pytest.mark.parametrize(
    "pattern,expected",
    [
        ("井", "井"),
        (
            f"[{HAN}]{{1,4}}\\d+井",
            "井",
        ),  # the wide class and \d are no prefilter, 井 is
        ("(?:公司|集团)", "公集"),
        ("(?:国家)?队", "队"),  # an optional part is not required
        (
            "(?:我|全|本)(?:市|区|县|省)",
            "全我本",
        ),  # two required parts: the smaller set
        ("(?P<ent>华)", "华"),
        ("(?<=[县区市])镇", "镇"),  # a lookbehind matches no character of its own
        ("(?!委)村", "村"),
        ("[a-c]x?", "abc"),
        ("(?:a|b)+", "ab"),
        ("(?:a|b)*c", "c"),
        ("(?>ab)", "a"),
    ],
)
def test_required_chars(pattern, expected):
    assert required_chars(re.compile(pattern)) == frozenset(expected)


@pytest.mark.parametrize(
    "pattern",
    [
        f"[{HAN}]{{2,4}}",  # a CJK range: too wide to help
        "\\d+",  # a category
        "[^》]+",  # a negated class
        ".+",
        "a|.",  # one branch without a set
        "a?",
        "a*b{0,3}",
        "(?i)k",  # case folding: the set would be wrong
        "^$",
    ],
)
def test_no_prefilter_where_unsure(pattern):
    assert required_chars(re.compile(pattern)) is None


def test_case_insensitive_flag_gives_none():
    assert required_chars(re.compile("k", re.IGNORECASE)) is None


SAMPLE_PATTERNS = [
    f"[{HAN}]{{1,4}}\\d+(?:-[A-Za-z0-9]+)*井",
    "(?:(?![在的])[一-龥]){2,4}(?:气田|油田|煤矿)",
    "(?:国家)?(?:队(?![长员伍])|[男女](?:篮|排|足))",
    "(?:我|全|本)(?:市|区|县)(?!长|委)",
    "[a-f]{2}(?:x|yz)+",
]


@pytest.mark.parametrize("pattern", SAMPLE_PATTERNS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_generated_match_has_a_required_char(pattern, data):
    compiled = re.compile(pattern)
    needs = required_chars(compiled)
    assert needs is not None
    text = data.draw(st.from_regex(compiled, fullmatch=True))
    assert not needs.isdisjoint(text), (pattern, text)


def _assert_sound(texts):
    """Wherever the prefilter would skip a rule, the rule has no match."""
    rules = load_entity_rules()
    assert any(n is not None for n in rules.regex_needs)
    skipped = 0
    for (rule, pat), needs in zip(rules.regex, rules.regex_needs):
        if needs is None:
            continue
        for text in texts:
            if needs.isdisjoint(text):
                skipped += 1
                assert pat.search(text) is None, (rule.id, text)
    assert skipped > len(texts)  # the prefilter does skip work


def test_shipped_regex_rules_never_skip_a_match(seed_text):
    rules = load_entity_rules()
    _assert_sound(seed_text.splitlines() + [ex.text for r in rules.spec.rules for ex in r.examples])


def test_shipped_regex_rules_never_skip_a_match_on_pd_text(pd_test_texts):
    _assert_sound(pd_test_texts)
