import pytest

from pipeline.bylines import BylineRules, load_rules
from pipeline.rules import RuleFileError, StrictModel, load_jsonl, load_yaml, rules_fingerprint


def test_shipped_byline_rules_load():
    rules = load_rules()
    assert any(a.name == "重庆日报" and a.home.kb_id == "500000" for a in rules.agencies)


def _write(tmp_path, text):
    p = tmp_path / "rules.yaml"
    p.write_text(text, encoding="utf-8")
    return p


BASE = """version: 1
agencies:
  - id: a.one
    name: 甲报
    kind: newspaper
  - id: a.two
    name: 乙报
    kind: {kind}
agency_suffixes: [报]
self_reference: [本报]
roles:
  - id: r.rep
    field: reporters
    words: [记者]
photo_credit_marker: 摄
byline_markers: "□"
"""


def test_bad_value_names_file_line_and_field(tmp_path):
    p = _write(tmp_path, BASE.format(kind="magazine"))
    with pytest.raises(RuleFileError) as err:
        load_yaml(p, BylineRules)
    msg = str(err.value)
    assert msg.startswith(f"{p}:8: agencies[1].kind:"), msg


def test_unknown_key_rejected(tmp_path):
    p = _write(tmp_path, BASE.format(kind="newspaper").replace("    name: 甲报\n", "    name: 甲报\n    colour: red\n"))
    with pytest.raises(RuleFileError) as err:
        load_yaml(p, BylineRules)
    assert f"{p}:5: agencies[0].colour: Extra inputs are not permitted" in str(err.value)


def test_invalid_yaml_has_line(tmp_path):
    p = _write(tmp_path, "version: 1\nagencies: [\n  - x: : :\n")
    with pytest.raises(RuleFileError) as err:
        load_yaml(p, BylineRules)
    assert str(err.value).startswith(f"{p}:") and "invalid YAML" in str(err.value)


def test_jsonl_line_errors(tmp_path):
    class Entry(StrictModel):
        id: str
        name: str

    p = tmp_path / "g.jsonl"
    p.write_text('{"id": "a", "name": "甲"}\n\n{"id": "b"}\n', encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        load_jsonl(p, Entry)
    assert str(err.value) == f"{p}:3: name: Field required"


def test_fingerprint_changes_with_rules(tmp_path):
    (tmp_path / "a.yaml").write_text("version: 1\n", encoding="utf-8")
    one = rules_fingerprint(tmp_path)
    (tmp_path / "a.yaml").write_text("version: 2\n", encoding="utf-8")
    assert rules_fingerprint(tmp_path) != one


def test_two_character_organisation_names_are_whole_words():
    from pipeline.nlp import load_nlp

    nlp = load_nlp()
    assert [e.text for e in nlp("河北约有100万人参加").ents if e.label_ == "ORG"] == []
    assert ("北约", "org.nato") in [(e.text, e._.source) for e in nlp("北约东扩引起俄罗斯不满").ents]


def test_countries_come_from_the_generated_gazetteer_with_iso_codes():
    from pipeline.nlp.linking.gazetteer import default_gazetteer

    gaz = default_gazetteer()
    by = gaz.lookup("白俄罗斯")
    assert by is not None and by.kb_ids == ("BY",) and by.normalized == "白俄罗斯共和国"
    assert gaz.lookup("中非共和国").kb_ids == ("CF",)
    assert gaz.lookup("中非") is None  # China-Africa in People's Daily, not a country name
    assert gaz.lookup("香港").source.startswith("gpe.admin")  # a division of China, not an ISO "country"
    # two-character names must be whole words: no Mali in 马里奥
    assert [c.source for c in gaz.candidates("马里奥说", {0, 3}, {3, 4})] == []
    assert [c.source for c in gaz.candidates("马里总统", {0, 2}, {2, 4})] == ["gpe.country.ml"]


def test_country_ids_clash_with_places_yaml_fails(tmp_path):
    import shutil

    from pipeline.nlp.linking.gazetteer import load_gazetteer
    from pipeline.rules import rule_path

    root = tmp_path / "rules"
    shutil.copytree(rule_path("gazetteers").parent, root)
    with open(root / "gazetteers" / "countries.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"id": "gpe.country.china", "code": "CN", "official": "中华人民共和国", "names": []}\n')
    with pytest.raises(RuleFileError) as err:
        load_gazetteer(root)
    assert "countries.jsonl" in str(err.value) and "gpe.country.china" in str(err.value)


def test_two_character_country_names_start_a_word():
    from pipeline.nlp import load_nlp

    nlp = load_nlp()
    assert [e.text for e in nlp("广大发展中国家").ents] == []  # 发展中国家 is one word
    assert ("中国", "GPE") in [(e.text, e.label_) for e in nlp("以中国式现代化全面推进").ents]


def test_official_country_names_are_names_from_four_characters():
    from pipeline.nlp.linking.gazetteer import default_gazetteer

    gaz = default_gazetteer()
    assert gaz.lookup("中华人民共和国").kb_ids == ("CN",)  # places.yaml's normalized name
    assert gaz.lookup("白俄罗斯共和国").kb_ids == ("BY",)  # countries.jsonl's official name
    assert gaz.lookup("日本国") is None  # would take the 国 of 日本国会


def test_the_training_lexicons_load_and_a_missing_one_names_the_file(tmp_path, monkeypatch):
    """rules/training.yaml: the lists the training flows read (silver organisation heads, the
    suffixes a division's short form drops), validated like every rule file."""
    from pipeline.rules import RuleFileError
    from pipeline.training.lexicons import NAMES, training_lexicon

    for name in NAMES:
        assert training_lexicon(name)
    assert "自治区" in training_lexicon("ADMIN_NAME_SUFFIX") and "电视台" in training_lexicon("SILVER_ORG_COMPOUND_HEAD")
    (tmp_path / "training.yaml").write_text("version: 1\nlexicons:\n  SILVER_ORG_HEAD: [公司]\n", encoding="utf-8")
    monkeypatch.setenv("PIPELINE_RULES_DIR", str(tmp_path))
    with pytest.raises(RuleFileError, match="training.yaml.*missing"):
        training_lexicon("SILVER_ORG_HEAD")
    (tmp_path / "training.yaml").write_text("version: 1\nlexicons:\n  SILVER_ORG_HEAD: []\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="training.yaml:3"):
        training_lexicon("SILVER_ORG_HEAD")


def test_the_quantity_grammar_needs_its_relative_dates(tmp_path):
    """units.yaml's relative dates and period heads are required: an empty list would match
    everywhere."""
    import shutil

    from pipeline import settings
    from pipeline.nlp.quantities.grammar import load_grammar
    from pipeline.rules import RuleFileError

    src = settings.default_rules_dir() / "units.yaml"
    text = src.read_text(encoding="utf-8")
    start = text.index("relative_dates:")
    end = text.index("\n", start)
    (tmp_path / "units.yaml").write_text(text[:start] + "relative_dates: []" + text[end:], encoding="utf-8")
    shutil.copy(src.with_name("units_cldr.jsonl"), tmp_path / "units_cldr.jsonl")
    with pytest.raises(RuleFileError, match="relative_dates"):
        load_grammar(tmp_path / "units.yaml")
