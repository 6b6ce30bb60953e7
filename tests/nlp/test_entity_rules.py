import pytest

from pipeline.nlp.entities.entity_rules import Candidate, ListRule, RegexRule, load_entity_rules
from pipeline.rules import RuleFileError, rule_path

# every rule, the optional packs' too: their examples are checked like the default rules'
RULES = load_entity_rules(packs=("oil_gas", "chongqing"))


def _examples():
    for rule in RULES.spec.rules:
        for i, ex in enumerate(rule.examples):
            yield pytest.param(rule, ex, id=f"{rule.id}-{i}")


@pytest.fixture(scope="module")
def word_boundaries():
    """Word starts/ends from the shipped segmenter, as the pipeline sees them."""
    from pipeline.nlp.segmentation.segmenter import default_model_dir, load_segmenter

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
        found = [text[c.start : c.end] for c in RULES.regex_candidates(text, starts, ends) if c.source == rule.id]
    elif isinstance(rule, ListRule):
        given = [Candidate(s, e, label, "given") for s, e, label in example.given]
        found = [text[c.start : c.end] for c in RULES.list_candidates(text, given) if c.source == rule.id]
    else:
        # a rule that extends only some sources gets its bases from the first of them
        source = rule.only_from[0] if getattr(rule, "only_from", None) else "given"
        given = [Candidate(s, e, label, source) for s, e, label in example.given]
        found = [text[c.start : c.end] for c in RULES.extend_candidates(text, given) if c.source == rule.id]
    assert example.expect in found, (rule.id, found)


@pytest.mark.parametrize(
    "text,given,expected",
    [
        ("王益、王仿子、万名盈等出版界耆宿", [(0, 2, "PERSON")], ["王仿子", "万名盈"]),  # along the list
        ("王益、教练员等", [(0, 2, "PERSON")], []),  # no surname
        ("王益、王仿子、万名盈", [(0, 2, "PERSON"), (3, 6, "ORG")], []),  # the item is taken
        ("北京、王仿子", [(0, 2, "GPE")], []),  # a neighbour of another label
    ],
)
def test_list_rule_spreads_along_lists_of_names(text, given, expected):
    found = RULES.list_candidates(text, [Candidate(s, e, label, "given") for s, e, label in given])
    assert [text[c.start : c.end] for c in found] == expected


def test_extend_rules_chain():
    text = "中央网信办秘书局日前下发"
    found = RULES.extend_candidates(text, [Candidate(0, 5, "ORG", "gazetteer")])
    assert [(text[c.start : c.end], c.source) for c in found] == [("中央网信办秘书局", "org.unit_of_org")]


def test_extension_equal_to_a_model_span_is_still_produced():
    # the model's 沭阳县委 loses to the gazetteer's 沭阳县 (a one-character slip);
    # the rule-made 沭阳县 + 委 must exist to take its place
    text = "沭阳县委书记"
    gpe = Candidate(0, 3, "GPE", "gpe.admin.full")
    model = Candidate(0, 4, "ORG", "model", 50)
    found = RULES.extend_candidates(text, [gpe], bases=[model])
    assert ("沭阳县委", "org.body_of_place") in [(text[c.start : c.end], c.source) for c in found]


def test_extension_ends_at_a_word_end(word_boundaries):
    text = "上海出战中国大学生东方时代队"
    _, ends = word_boundaries(text)
    given = [Candidate(4, 6, "GPE", "gpe.country.china")]
    with_words = [text[c.start : c.end] for c in RULES.extend_candidates(text, given, word_ends=ends)]
    assert "中国大学" not in with_words  # 大学生 is one word
    assert "中国大学" in [text[c.start : c.end] for c in RULES.extend_candidates(text, given)]


@pytest.mark.parametrize(
    "text,rule_id",
    [
        ("由本报评论部与麦科特集团联合举办", "org.company_of_group"),  # across 与
        ("目前中远澳洲公司正在根据总公司的要求", "org.company_of_group"),  # across 在
        ("被评为北京铁路局优秀共产党员", "fac.corridor_from_place"),  # the railway's bureau is an ORG
    ],
)
def test_extensions_stop_at_function_words_and_bodies(text, rule_id):
    base = {"org.company_of_group": ("ORG", ("评论部", "中远澳洲公司")), "fac.corridor_from_place": ("GPE", ("北京",))}[rule_id]
    label, names = base
    given = []
    for name in names:
        i = text.find(name)
        if i >= 0:
            given.append(Candidate(i, i + len(name), label, "given"))
    assert not [c for c in RULES.extend_candidates(text, given) if c.source == rule_id]


@pytest.mark.parametrize("text", ["记者看到，村头", "主席先生，女士们", "市长期间，利用"])
def test_person_after_title_needs_a_surname(text, word_boundaries):
    starts, ends = word_boundaries(text)
    assert not [c for c in RULES.regex_candidates(text, starts, ends) if c.source == "person.after_title"]


@pytest.mark.parametrize("text", ["减轻中小学生课业负担", "开展大中学生志愿者活动", "深圳中学生今天"])
def test_school_rule_skips_generic_schools(text, word_boundaries):
    starts, ends = word_boundaries(text)
    assert not [c for c in RULES.regex_candidates(text, starts, ends) if c.source == "org.school"]


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
    p, line = _broken(tmp_path, 'pattern: "(?:[（(][{HAN}]{2,4}', 'pattern: "(?:[（(][{HAN}]{2,4}{NOPE}')
    with pytest.raises(RuleFileError) as err:
        load_entity_rules(p)
    assert str(err.value).startswith(f"{p}:{line}: rules[0].pattern: unknown lexicon {{NOPE}}")


def test_bad_regex_names_line(tmp_path):
    p, line = _broken(tmp_path, 'pattern: "(?:[（(][{HAN}]{2,4}', 'pattern: "((?:[（(][{HAN}]{2,4}')
    with pytest.raises(RuleFileError) as err:
        load_entity_rules(p)
    assert f"{p}:{line}: rules[0].pattern: bad pattern" in str(err.value)


def test_unknown_label_rejected(tmp_path):
    p, line = _broken(tmp_path, "    label: FAC\n", "    label: BUILDING\n")
    with pytest.raises(RuleFileError) as err:
        load_entity_rules(p)
    assert f"{p}:{line}:" in str(err.value) and "label" in str(err.value)


def test_duplicate_ids_rejected(tmp_path):
    p, _ = _broken(tmp_path, "id: fac.corridor_from_place", "id: fac.zone_from_place")
    with pytest.raises(RuleFileError, match="duplicate id 'fac.zone_from_place'"):
        load_entity_rules(p)


@pytest.mark.parametrize(
    "text,left,right",
    [
        ("北京市怀柔县民政局", (0, 3), (3, 9)),  # the name has its own place: MSRA and the guidelines keep 北京市 apart
        ("进京北京大学", (1, 2), (2, 6)),  # a one-character abbreviation is no prefix
    ],
)
def test_place_prefix_join_keeps_places_apart(text, left, right):
    given = [Candidate(*left, "GPE", "given"), Candidate(*right, "ORG", "given")]
    assert not [c for c in RULES.extend_candidates(text, given) if c.source == "org.place_prefix"]


def test_place_prefix_join_skips_a_vetoed_or_crossed_model_span():
    # the model's 政协督查教育类提案 has no organisation head: no 大足区政协督查教育类提案
    text = "大足区政协督查教育类提案办理情况"
    gpe = Candidate(0, 3, "GPE", "gpe.admin.full")
    model = Candidate(3, 12, "ORG", "model", 50)
    found = RULES.extend_candidates(text, [gpe], bases=[model])
    assert "org.place_prefix" not in {c.source for c in found}


@pytest.mark.parametrize(
    "text,base,inner,rule_id",
    [
        ("今年秋天，旅行者集团预定同花旗集团合并", "旅行者集团", "花旗集团", "org.company_of_group"),
        ("欧盟外长理事会通过欧盟委员会去年的建议", "欧盟外长理事会", "欧盟委员会", "org.unit_of_org"),
    ],
)
def test_extensions_do_not_run_onto_another_name(text, base, inner, rule_id):
    b, i = text.index(base), text.index(inner)
    given = [Candidate(b, b + len(base), "ORG", "model"), Candidate(i, i + len(inner), "ORG", "model")]
    assert not [c for c in RULES.extend_candidates(text, given) if c.source == rule_id and c.end == i + len(inner)]


@pytest.mark.parametrize(
    "text,vetoed",
    [
        ("北京教育学院美术系", False),  # a department of a college
        ("西安大学师范学院外语系", False),
        ("川东石炭系", True),  # a geological system, no university before 系
        ("民生", True),
    ],
)
def test_org_head_veto_takes_university_departments(text, vetoed):
    assert (RULES.veto(text, Candidate(0, len(text), "ORG", "model")) == "veto.org_without_head") is vetoed


@pytest.mark.parametrize(
    "text,rule_id",
    [
        ("其中方法很多，集中方式也多", "gpe.country_abbr_side"),  # no word 中方
        ("在华东地区和在华人社区", "gpe.china_abbr_after_verb"),  # 华 does not end a word
        ("印方空喊恢复两国会谈是没用的", "org.legislature"),  # 国会 is not a word here
        ("演员丹尼斯·霍珀等藏家", "person.foreign_with_dot"),  # 珀 is no name character: no 丹尼斯·霍
    ],
)
def test_context_patterns_need_their_words(text, rule_id, word_boundaries):
    starts, ends = word_boundaries(text)
    found = [text[c.start : c.end] for c in RULES.regex_candidates(text, starts, ends) if c.source == rule_id]
    assert found == []


def test_packs_add_their_rules_only_when_enabled():
    default = {r.id for r in load_entity_rules(packs=()).spec.rules}
    packed = {r.id for r in RULES.spec.rules}
    assert "fac.well" not in default and "fac.well" in packed
    assert "气矿" in RULES.spec.lexicons["ORG_UNIT"] and "气矿" not in load_entity_rules(packs=()).spec.lexicons["ORG_UNIT"]


def test_unknown_pack_names_the_setting(monkeypatch):
    monkeypatch.setenv("PIPELINE_RULE_PACKS", "no_such_pack")
    with pytest.raises(RuleFileError, match="PIPELINE_RULE_PACKS"):
        load_entity_rules()


def test_bad_pack_names_its_path_and_line(tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "rules"
    shutil.copytree(rule_path("entities.yaml").parent, root)
    pack = root / "packs" / "oil_gas.yaml"
    src = pack.read_text(encoding="utf-8")
    pack.write_text(src.replace('pattern: "{NAME_CHAR}{2,4}(?:气田', 'pattern: "{NAME_CHAR}{2,4}{NOPE}(?:气田'), encoding="utf-8")
    line = src[: src.index("(?:气田")].count("\n") + 1
    monkeypatch.setenv("PIPELINE_RULES_DIR", str(root))
    with pytest.raises(RuleFileError) as err:
        load_entity_rules(packs=("oil_gas",))
    assert str(err.value).startswith(f"{pack}:{line}:") and "NOPE" in str(err.value)


def test_every_default_rule_has_examples_from_two_real_sources():
    """A rule describes a class of text, not a string of one page: its examples come from
    at least two independent sources (the sample, the dev pages, People's Daily 1998,
    MSRA, CLUENER ...). Pack rules are domain knowledge and may have one."""
    thin = {}
    for rule in load_entity_rules(packs=()).spec.rules:
        sources = {ex.source for ex in rule.examples} - {"constructed"}
        if len(sources) < 2:
            thin[rule.id] = sorted(sources)
    assert not thin, thin


def test_packs_add_gazetteer_places_only_when_enabled():
    from pipeline.nlp.linking.gazetteer import load_gazetteer

    assert load_gazetteer(packs=()).lookup("万开云") is None
    assert load_gazetteer(packs=("chongqing",)).lookup("万开云").label == "GPE"


def test_our_country_is_china():
    from pipeline.nlp.linking.gazetteer import load_gazetteer

    entry = load_gazetteer(packs=()).lookup("我国")
    assert (entry.label, entry.kb_ids) == ("GPE", ("CN",))


def test_extend_base_pattern_limits_the_base():
    rules = load_entity_rules(packs=())
    text = "张三金刚入职"
    given = [Candidate(0, 2, "PERSON", "given")]  # a whole name: person.given_name must not grow it
    assert not [c for c in rules.extend_candidates(text, given) if c.source == "person.given_name"]


@pytest.mark.parametrize("text", ["江主席的重要讲话", "孙先生指着", "何大爷边说边"])
def test_a_surname_does_not_grow_by_a_form_of_address(text, word_boundaries):
    rules = load_entity_rules(packs=())
    starts, ends = word_boundaries(text)
    found = rules.extend_candidates(text, [Candidate(0, 1, "PERSON", "given")], word_ends=ends, word_starts=starts)
    assert not [c for c in found if c.source == "person.given_name"]


@pytest.mark.parametrize("text,base", [("英国驻港总领事", (0, 2)), ("实行港人治港", (2, 3))])
def test_sites_do_not_run_over_verbs(text, base, word_boundaries):
    rules = load_entity_rules(packs=())
    starts, ends = word_boundaries(text)
    found = rules.extend_candidates(text, [Candidate(*base, "GPE", "given")], word_ends=ends, word_starts=starts)
    assert not [c for c in found if c.source == "fac.site_from_place"]


@pytest.mark.parametrize("text,place", [("武汉市民春节线上消费", "武汉"), ("宁波市场监管局", "宁波"), ("武汉市今年", "武汉市")])
def test_a_full_name_whose_ending_starts_the_next_word_is_matched_short(text, place):
    from pipeline.nlp.linking.gazetteer import load_gazetteer

    found = [text[c.start : c.end] for c in load_gazetteer(packs=()).candidates(text) if c.label == "GPE"]
    assert place in found and (place == "武汉市" or place + "市" not in found), found
