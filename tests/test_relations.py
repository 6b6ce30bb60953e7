"""The relation stage: rule file validation, every rule's examples, and the seed gold."""

import json
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from pipeline.relations import RELATION_LABELS, default_rules, load_relation_rules, run_example
from pipeline.rules import RuleFileError

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "data" / "gold" / "000_f0d3a313825c072b.relations.jsonl"


def _pattern_examples():
    rules = default_rules()
    return [(r.rule, ex) for r in rules.patterns for ex in r.rule.examples]


@pytest.mark.parametrize("rule,example", _pattern_examples(), ids=lambda x: getattr(x, "id", None) or x.text[:12])
def test_every_pattern_example_gives_its_relation(rule, example):
    found = run_example(default_rules(), rule, example)
    assert tuple(example.expect) in found, found


def test_every_pattern_has_examples():
    assert all(cp.rule.examples for cp in default_rules().patterns)


def _write(tmp_path, text):
    p = tmp_path / "relations.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_bad_rule_file_names_path_line_and_reason(tmp_path):
    good = (ROOT / "rules" / "relations.yaml").read_text(encoding="utf-8")
    bad = good.replace("label: located_in\n", "label: lies_in\n", 1)
    path = _write(tmp_path, bad)
    with pytest.raises(RuleFileError) as err:
        load_relation_rules(path)
    line = bad.splitlines().index("    label: lies_in") + 1
    assert f"relations.yaml:{line}:" in str(err.value) and "unknown relation label 'lies_in'" in str(err.value)


def test_pattern_without_head_group_and_unknown_lexicon_are_refused(tmp_path):
    good = (ROOT / "rules" / "relations.yaml").read_text(encoding="utf-8")
    path = _write(tmp_path, good.replace("(?P<head>{E:PERSON}(?:[、和]{E:PERSON})*)", "({E:PERSON})", 1))
    with pytest.raises(RuleFileError, match="role.org_position_person.*named groups 'head' and 'tail'"):
        load_relation_rules(path)
    path = _write(tmp_path, good.replace("{POSITION}", "{POSITIONS}", 1))
    with pytest.raises(RuleFileError, match=r"unknown lexicon \{POSITIONS\}"):
        load_relation_rules(path)


@pytest.fixture(scope="module")
def seed_extracted(seed_doc):
    from pipeline import batch

    return batch.extract_relations(batch.recognize_entities(batch.clean_and_split([seed_doc])))


def test_every_relation_traces_to_a_sentence_rule_and_entities(seed_extracted):
    ex = seed_extracted
    sents = {s.sent_id for s in ex.sentences}
    ents = {e.ent_id: e for e in ex.entities}
    assert len(ex.relations) > 80
    assert len({r.rel_id for r in ex.relations}) == len(ex.relations)
    for r in ex.relations:
        assert r.label in RELATION_LABELS
        assert r.head_ent_id in ents and ents[r.head_ent_id].text == r.head_text
        assert r.tail_ent_id is None or ents[r.tail_ent_id].text == r.tail_text
        assert r.tail_text
        assert r.sent_id in sents, r  # every relation has its evidence sentence
        assert r.source.split(".")[0] in RELATION_LABELS


def test_seed_gold_scores(seed_doc):
    from pipeline.eval_cli import eval_relations_gold

    report = eval_relations_gold(str(GOLD))
    assert report["micro"]["f"] >= 0.85
    assert report["metric_with_status"]["f"] >= 0.80
    assert report["attributes"]["metric.status"]["accuracy"] >= 0.9


def test_deictic_subject_resolves_to_the_paper_city(seed_extracted):
    ents = {e.ent_id: e for e in seed_extracted.entities}
    m = [r for r in seed_extracted.relations if r.label == "metric" and r.tail_text == "630.5亿元"]
    assert len(m) == 1
    head = ents[m[0].head_ent_id]
    assert head.text == "我市" and head.normalized == "重庆市" and head.kb_id == "500000"
    assert m[0].attrs == {
        "indicator": "技术合同成交额",
        "time": "2022年",
        "status": "actual",
        "time_start": date(2022, 1, 1),
        "time_end": date(2022, 12, 31),
    }


def test_gold_file_is_well_formed():
    articles = json.loads((ROOT / "data" / "gold" / "000_f0d3a313825c072b.articles.json").read_text(encoding="utf-8"))
    n = len(articles if isinstance(articles, list) else articles["articles"])
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        g = json.loads(line)
        assert g["label"] in RELATION_LABELS and 1 <= g["article"] <= n
        assert g["head"] and g["tail"]


def test_readme_metrics_query_runs_on_the_seed_output(prefect_harness, tmp_path, seed_path):
    import asyncio
    import re

    import duckdb

    from pipeline.flows import extract

    asyncio.run(extract([str(seed_path)], str(tmp_path)))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    query = next(q for q in re.findall(r"```sql\n(.*?)```", readme, re.S) if "r.label = 'metric'" in q)
    query = query.replace("'relations/", f"'{tmp_path}/relations/").replace("'entities/", f"'{tmp_path}/entities/")
    rows = duckdb.connect().execute(query).fetchall()
    assert len(rows) >= 20
    assert ("重庆市", "2022年", "技术合同成交额", "630.5亿元") in {r[:4] for r in rows}


def test_admin_parent_only_to_a_parent_the_article_names(monkeypatch):
    """郑州 lies in 河南省, but an article that never names 河南 says nothing about it. The
    rule is off by default (the annotated pages state no parent the text does not state);
    switched on, it holds to the article's own names."""
    from pipeline import batch
    from pipeline.records import Document

    rules = default_rules()
    spec = rules.spec
    assert not spec.admin_parent.enabled
    monkeypatch.setitem(spec.__dict__, "admin_parent", spec.admin_parent.model_copy(update={"enabled": True}))
    monkeypatch.setattr(rules, "pack_variants", {})  # the variants with pack words derive from the patched spec

    def located(text):
        doc = Document(doc_id="d", path="p.txt", encoding="utf-8", text=text, sha256="0")
        ex = batch.extract_relations(batch.recognize_entities(batch.clean_and_split([doc])))
        return {(r.head_text, r.tail_text) for r in ex.relations if r.source == "located_in.admin_parent"}

    assert not located("# 标题\n\n郑州部分大学校园里的花店生意火爆。\n")
    assert ("郑州", "河南") in located("# 标题\n\n河南各地，郑州部分大学校园里的花店生意火爆。\n")


def test_a_pair_is_stated_once_per_article_however_often_its_names_recur():
    """北京月坛社区卫生服务中心 named three times is in 北京 once (a dev page gave three rows);
    two figures with the same text stay two metrics."""
    from pipeline.records import Article, Entity
    from pipeline.relations import _Ctx, default_rules

    article = Article(article_id="d-a00", doc_id="d", index=0, clean_text="", raw_start=0, raw_end=0)

    def ent(i, text, label):
        return Entity(
            ent_id=f"e{i}",
            doc_id="d",
            article_id="d-a00",
            sent_id=None,
            text=text,
            label=label,
            start=None,
            end=None,
            raw_start=i,
            raw_end=i + 1,
            source="test",
        )

    ctx = _Ctx(default_rules(), article, None, {}, {})
    place = ent(0, "北京", "GPE")
    for i in (1, 2, 3):
        ctx.add("located_in", ent(i, "北京月坛社区卫生服务中心", "ORG"), place, None, None, "located_in.name_prefix")
    for i in (4, 5):
        ctx.add("metric", ent(9, "奉化", "GPE"), ent(i, "3项", "QUANTITY"), None, None, "metric.clause")
    assert [(r.label, r.head_ent_id) for r in ctx.out] == [("located_in", "e1"), ("metric", "e9"), ("metric", "e9")]


def test_every_pattern_holds_on_text_of_two_real_sources():
    """A pattern describes the grammar of news, not one page: examples from at least two of
    the sample, the dev pages and People's Daily 1998."""
    for cp in default_rules().patterns:
        if cp.rule.pack is not None:
            continue  # a rule pack's pattern (one domain) is off by default
        sources = {ex.source for ex in cp.rule.examples} - {"constructed"}
        assert len(sources) >= 2, (cp.rule.id, sources)


def test_a_pack_pattern_runs_only_with_its_pack(monkeypatch):
    from pipeline import batch
    from pipeline.records import Document

    text = "# 标题\n\n川东地区共有7排构造带，由西向东分为华蓥山构造带、七里峡构造带和方斗山构造带。\n"

    def sources():
        doc = Document(doc_id="d", path="p.txt", encoding="utf-8", text=text, sha256="0")
        ex = batch.extract_relations(batch.recognize_entities(batch.clean_and_split([doc])))
        return {r.source for r in ex.relations}

    with _packs(monkeypatch, ()):
        assert "located_in.region_lists" not in sources()
    with _packs(monkeypatch, ("oil_gas",)):
        assert "located_in.region_lists" in sources()


@contextmanager
def _packs(monkeypatch, packs):
    """Run with ``packs`` as a user sets them (PIPELINE_RULE_PACKS, read by the relation stage)
    and in the loaded pipeline's rule components, which read the setting once; then as before."""
    from pipeline import settings
    from pipeline.nlp import load_nlp, use_rule_packs

    nlp = load_nlp()
    with monkeypatch.context() as m:
        m.setenv("PIPELINE_RULE_PACKS", ",".join(packs))
        use_rule_packs(nlp, packs)
        try:
            yield
        finally:
            m.undo()
            use_rule_packs(nlp, settings.rule_packs())


def _metrics(text):
    from pipeline import batch
    from pipeline.records import Document

    doc = Document(doc_id="d", path="p.txt", encoding="utf-8", text=text, sha256="0")
    ex = batch.extract_relations(batch.recognize_entities(batch.clean_and_split([doc])))
    return {(r.head_text, r.tail_text): dict(r.attrs) for r in ex.relations if r.label == "metric"}


def test_metric_subject_is_the_entity_the_clause_is_about():
    """Not the last place named before the figure (an object of the clause) but the subject at
    the clause's start, carried to the clauses after it; one after the figures names no holder."""
    m = _metrics("# 标题\n\n今年以来，宁波市奉化区加快建设杭州湾大桥配套工程，完成投资25亿元，新开工项目18个。\n")
    assert ("奉化区", "25亿元") in m and ("奉化区", "18个") in m, m


def test_metric_time_the_sentence_states_holds_on_not_a_comparison_base_nor_a_report_date():
    m = _metrics(
        "# 标题\n\n9月9日，记者从省统计局了解到，今年一季度，全省完成投资52亿元，比去年同期增长8%。其中，工业投资21亿元。\n"
    )
    times = {tail: a.get("time") for (_, tail), a in m.items()}
    assert times.get("52亿元") == "今年一季度" and times.get("8%") == "今年一季度", m
    assert times.get("21亿元") == "今年一季度", m  # a date carries to the next sentence


def test_a_bare_day_is_the_datelines_day():
    m = _metrics("# 标题\n\n本报宁波11月17日电 （记者 周文） 17日上午，宁波市奉化区重大项目集中开工，总投资212亿元。\n")
    assert {a.get("time") for a in m.values()} == {"11月17日"}, m


def test_a_bare_change_is_a_change_of_the_indicator_before_it():
    m = _metrics("# 标题\n\n今年一季度，宁波市奉化区固定资产投资完成79.9亿元，同比增长6.5%。\n")
    indicators = {tail: a.get("indicator") for (_, tail), a in m.items()}
    assert indicators == {"79.9亿元": "固定资产投资", "6.5%": "固定资产投资同比增长"}, m


@pytest.mark.parametrize(
    "name,parent",
    [
        ("国家卫生计生委科教司", "国家卫生计生委"),
        ("黑龙江八一农垦大学工程学院", "黑龙江八一农垦大学"),
        ("国家统计局浙江调查总队", "国家统计局"),
        ("重庆市科技局", None),
        ("北京大学", None),
    ],
)
def test_a_parent_written_only_inside_the_name(name, parent):
    from pipeline.relations import _parent_in_name

    assert _parent_in_name(name, default_rules().spec.part_of) == parent


def test_a_date_inside_a_later_clause_does_not_replace_the_sentences_time():
    """特别是9月27日，在北京举办了2018年某某推介会，共签约项目32个: the signing is of 9月27日; 2018年
    is inside the event's name."""
    m = _metrics("# 标题\n\n特别是9月27日，沁源县在北京举办了2018年绿色沁源招商引资推介会，共签约项目32个。\n")
    assert {a.get("time") for a in m.values()} == {"9月27日"}, m


def test_a_calendar_period_inside_a_clause_times_the_figures_after_it_a_duration_does_not():
    """从某市前9个月完成投资情况看，…。其中，…占59.9%: 前9个月 is January to September (the dates
    stage reads it so), the time of the figures that follow; 7天 is a length, no one's time."""
    m = _metrics(
        "# 标题\n\n从宁波市各区前9个月完成投资情况看，工业投资增速均两位数增长。其中，奉化区完成投资占全市工业投资59.9%。\n"
    )
    assert {a.get("time") for (_, tail), a in m.items() if tail == "59.9%"} == {"前9个月"}, m
    m = _metrics("# 标题\n\n宁波市连续7天开展安全检查。其中，奉化区完成投资25亿元。\n")
    assert {a.get("time") for (_, tail), a in m.items() if tail == "25亿元"} == {None}, m


def test_a_year_word_holds_for_the_next_sentences_a_date_suffix_stays_with_its_date():
    """去年…实现增加值27.5亿元。…提高8个百分点: both figures are of 去年 (a year word holds on as a
    date does; 目前 holds for its own sentence); 2000年以来 is the time since 2000, not the year 2000
    (以来 is a suffix of the dates rules)."""
    m = _metrics("# 标题\n\n去年，黑龙江省实现工业增加值27.5亿元。经济效益综合指数提高8个百分点。\n")
    assert {tail: a.get("time") for (_, tail), a in m.items()} == {"27.5亿元": "去年", "8个百分点": "去年"}, m
    m = _metrics("# 标题\n\n目前，黑龙江省已建成基地12个。全省共有企业300家。\n")
    assert m[("全省", "300家")].get("time") is None and m[("黑龙江省", "12个")]["time"] == "目前", m
    m = _metrics("# 标题\n\n2000年以来，河南省共培训教师13.5万余人次。\n")
    assert {a.get("time") for a in m.values()} == {"2000年以来"}, m


def test_gai_plus_a_head_word_refers_back_to_the_last_entity_of_that_kind():
    """一季度该集团完成交通投资建设163.67亿元: the figure is 省交通集团's (named before it), not the
    province's; 该县 is the last county named (rules/relations.yaml, metric.anaphora)."""
    m = _metrics(
        "# 标题\n\n我省交通建设主力军省交通集团加速推进全省重点交通项目建设，一季度该集团完成交通投资建设163.67亿元，同比增长122.8%。\n"
    )
    assert ("省交通集团", "163.67亿元") in m and ("省交通集团", "122.8%") in m, m
    m = _metrics("# 标题\n\n河南省清丰县开展尊师活动，濮阳市表示支持。去年，该县共收到短信8600余条。\n")
    assert ("清丰县", "8600余条") in m and ("濮阳市", "8600余条") not in m, m


def test_a_zone_holds_figures_as_a_place_does_and_a_list_of_examples_holds_none():
    """太忻一体化经济区 (a LOC, but a zone: metric.zones) holds the figures of the sentences after it;
    包括太忻大道、…等项目 lists examples, whose names hold neither its figures nor the next clause's."""
    m = _metrics(  # a dev page's (north-1) sentences
        "# 标题\n\n3月28日,太忻一体化经济区2022年首批重大项目集中开工活动在太原、忻州两地同步举行。\n\n"
        "此次首批集中开工的重大项目共183个,总投资1038亿元。其中,基础设施类项目71个,总投资422亿元,"
        "包括太忻大道、大盂产业新城基础设施等项目;产业类项目112个,总投资616亿元。\n"
    )
    assert {tail for (head, tail) in m if head == "太忻一体化经济区"} == {
        "183个",
        "1038亿元",
        "71个",
        "422亿元",
        "112个",
        "616亿元",
    }, m
    assert not any(head == "太忻大道" for head, _ in m), m
    m = _metrics("# 标题\n\n川东地区天然气资源量达2.4万亿立方米。\n")
    assert m == {}, m  # a region that is no zone holds no figure


def test_the_period_a_days_event_names_times_the_figures_of_the_next_sentences():
    """3月28日，…2022年首批重大项目集中开工: the figures of the batch (此次开工的项目共…) are of 2022,
    not of the day of the ceremony; a period in a slogan (冲刺四季度) or after the clause after the
    day's is none, and the day holds."""
    m = _metrics("# 标题\n\n5月18日，市统计局发布了2023年4月份经济运行数据。杭州市规模以上工业增加值增长5.2%。\n")
    assert m[("杭州市", "5.2%")]["time"] == "2023年4月份", m
    m = _metrics(
        "# 标题\n\n11月17日上午，天台县12个重大项目集中开工，掀起“冲刺四季度”的热潮。\n\n"
        "此次集中开工的重大项目，总投资93.7亿元。\n"
    )
    assert m[("天台县", "93.7亿元")]["time"] == "11月17日", m
    m = _metrics(  # a dev page's (north-1) sentences
        "# 标题\n\n3月28日,太忻一体化经济区2022年首批重大项目集中开工活动在太原、忻州两地同步举行。\n\n"
        "此次首批集中开工的重大项目共183个,总投资1038亿元。\n"
    )
    assert {a["time"] for a in m.values()} == {"2022年"}, m


def test_an_origin_a_modifier_or_an_object_holds_no_figure():
    """来自全国各地的7000余名建设者: not the country's; 这座全省最大的水库: not the province's
    (metric.not_subject_after); an entity inside a clause without figures (…实现了中巴合资组装的
    客机首飞) is its object and passes on no subject: the place before it holds the figures."""
    m = _metrics("# 标题\n\n宁波市加快建设重点工程，来自全国各地的7000余名建设者奋战在施工一线。\n")
    assert ("全国", "7000余名") not in m and ("宁波市", "7000余名") in m, m
    m = _metrics("# 标题\n\n这座全省最大的水库今年蓄水2亿立方米。\n")
    assert not any(head == "全省" for head, _ in m), m
    m = _metrics(  # a dev page's (north-2) sentences
        "# 标题\n\n近年来,黑龙江省国防科技工业的民品发展势头强劲。"
        "去年,航空民品实现了中巴合资组装的支线客机首飞,微型汽车销售19万辆,市场占有率达20%。\n"
    )
    assert ("黑龙江省", "19万辆") in m and ("黑龙江省", "20%") in m, m
    assert not any(head == "中巴" for head, _ in m), m


def test_a_persons_figures_are_no_metric_and_quan_plus_a_head_word_refers_back():
    """张建国自2000年行医以来，走遍全县的28个村: the doctor's, not the county's (PERSON blocks, as
    LOC does); 全校 at a clause's start is the school named before it, as 该校 is."""
    m = _metrics("# 标题\n\n清丰县卫生院很有名。张建国自2000年行医以来，骑坏6辆摩托车，走遍28个行政村。\n")
    assert not any(tail in ("6辆", "28个") for _, tail in m), m
    m = _metrics("# 标题\n\n郑州市第九中学建于1958年。全校现有教师120名，学生2000多人。\n")
    assert ("郑州市第九中学", "120名") in m and ("郑州市第九中学", "2000多人") in m, m


def test_a_packs_metric_words_apply_only_with_the_pack(monkeypatch):
    """钻获 (drilling news) cuts the indicator only with the oil_gas pack (metric.packs); without
    it the words of other news stand as they are."""
    text = "# 标题\n\n日前，中国石油西南油气田公司在川东测试钻获日产30万立方米高产工业气流。\n"
    indicators = {}
    for packs in ((), ("oil_gas",)):
        with _packs(monkeypatch, packs):
            (attrs,) = _metrics(text).values()
            indicators[packs] = attrs["indicator"]
    assert indicators == {(): "测试钻获日产", ("oil_gas",): "日产"}
    rules = default_rules()
    assert "钻获" not in rules.spec.metric.cut_after
    assert "钻获" in rules.spec.metric.with_packs(("oil_gas",)).cut_after


def test_a_pack_naming_no_word_list_is_refused(tmp_path):
    good = (ROOT / "rules" / "relations.yaml").read_text(encoding="utf-8")
    bad = good.replace("oil_gas: {cut_after: [钻获]", "oil_gas: {cut_before: [钻获]", 1)
    assert bad != good
    with pytest.raises(RuleFileError, match="'cut_before' is not a word list of metric"):
        load_relation_rules(_write(tmp_path, bad))
