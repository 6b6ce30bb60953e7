import pytest

from pipeline.nlp.entity_rules import Candidate, RegexRule, load_entity_rules
from pipeline.rules import RuleFileError, rule_path

RULES = load_entity_rules()


def _examples():
    for rule in RULES.spec.rules:
        for i, ex in enumerate(rule.examples):
            yield pytest.param(rule, ex, id=f"{rule.id}-{i}")


@pytest.fixture(scope="module")
def word_boundaries():
    """Word starts/ends from the shipped segmenter, as the pipeline sees them."""
    from pipeline.nlp.segmenter import default_model_dir, load_segmenter

    if not (default_model_dir() / "weights.npz").is_file():
        pytest.skip("no trained segmenter in models/ (run `make models`)")
    seg = load_segmenter()

    def bounds(text):
        starts, ends, pos = set(), set(), 0
        for w in seg.cut(text):
            starts.add(pos)
            pos += len(w)
            ends.add(pos)
        return starts, ends

    return bounds


@pytest.mark.parametrize("rule,example", list(_examples()))
def test_rule_examples(rule, example, word_boundaries):
    text = example.text
    if isinstance(rule, RegexRule):
        starts, ends = word_boundaries(text)
        found = [text[c.start:c.end] for c in RULES.regex_candidates(text, starts, ends) if c.source == rule.id]
    else:
        given = [Candidate(s, e, label, "given") for s, e, label in example.given]
        found = [text[c.start:c.end] for c in RULES.extend_candidates(text, given) if c.source == rule.id]
    assert example.expect in found, (rule.id, found)


def test_extend_rules_chain():
    text = "中央网信办秘书局日前下发"
    found = RULES.extend_candidates(text, [Candidate(0, 5, "ORG", "gazetteer")])
    assert [(text[c.start:c.end], c.source) for c in found] == [("中央网信办秘书局", "org.unit_of_org")]


def test_veto_meeting():
    text = "重庆市科技创新和人才工作大会"
    assert RULES.veto(text, Candidate(0, len(text), "ORG", "model")) == "veto.meeting"
    assert RULES.veto(text, Candidate(0, 3, "GPE", "model")) is None


def _broken(tmp_path, old, new):
    src = rule_path("entities.yaml").read_text(encoding="utf-8")
    assert old in src
    p = tmp_path / "entities.yaml"
    p.write_text(src.replace(old, new, 1), encoding="utf-8")
    line = src[: src.index(old)].count("\n") + 1
    return p, line


def test_unknown_lexicon_names_line(tmp_path):
    p, line = _broken(tmp_path, 'pattern: "[{HAN}]{1,4}\\\\d+', 'pattern: "[{HAN}]{1,4}{NOPE}\\\\d+')
    with pytest.raises(RuleFileError) as err:
        load_entity_rules(p)
    assert str(err.value).startswith(f"{p}:{line}: rules[0].pattern: unknown lexicon {{NOPE}}")


def test_bad_regex_names_line(tmp_path):
    p, line = _broken(tmp_path, 'pattern: "[{HAN}]{1,4}\\\\d+', 'pattern: "([{HAN}]{1,4}\\\\d+')
    with pytest.raises(RuleFileError) as err:
        load_entity_rules(p)
    assert f"{p}:{line}: rules[0].pattern: bad pattern" in str(err.value)


def test_unknown_label_rejected(tmp_path):
    p, line = _broken(tmp_path, "    label: FAC\n", "    label: BUILDING\n")
    with pytest.raises(RuleFileError) as err:
        load_entity_rules(p)
    assert f"{p}:{line}:" in str(err.value) and "label" in str(err.value)


def test_duplicate_ids_rejected(tmp_path):
    p, _ = _broken(tmp_path, "id: fac.gas_field", "id: fac.well")
    with pytest.raises(RuleFileError, match="duplicate id 'fac.well'"):
        load_entity_rules(p)
