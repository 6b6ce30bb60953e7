"""The NER stage on the seed page, against the hand-made gold (data/gold/)."""

import json

import pytest

from pipeline.nlp.segmentation.segmenter import normalize
from tests.conftest import GOLD

GOLD_ENTS = [
    json.loads(row)
    for row in (GOLD / "000_f0d3a313825c072b.entities.jsonl").read_text(encoding="utf-8").splitlines()
    if row.strip()
]


@pytest.fixture(scope="module")
def nlp():
    from pipeline.nlp import load_nlp, pipeline_dir

    if not pipeline_dir().is_dir():
        pytest.skip("models/zh_news is missing: run `make models`")
    return load_nlp()


@pytest.fixture(scope="module")
def seed_entities(nlp, seed_doc):
    from pipeline import batch

    return batch.recognize_entities(batch.clean_and_split([seed_doc]), nlp).entities


@pytest.fixture(scope="module")
def seed_report(nlp):
    from pipeline.eval_cli import eval_ner_gold

    return eval_ner_gold(str(GOLD / "000_f0d3a313825c072b.entities.jsonl"), None, True)


def test_seed_org_and_place_f1(seed_report):
    """The entities issue's bar for the sample page: ORG + places >= 0.95. ORG alone has
    31 gold mentions, so one span is 1.5 points: the shipped model reads 重庆实验室 in
    加快重庆实验室建设 as an ORG where the gold has only its place (0.949)."""
    org, place = seed_report["labels"]["ORG"], seed_report["groups"]["PLACE"]
    tp, fp, fn = (org[k] + place[k] for k in ("tp", "fp", "fn"))
    assert 2 * tp / (2 * tp + fp + fn) >= 0.95, (org, place)
    assert place["f"] >= 0.95, place
    assert org["f"] >= 0.93, org


def test_every_entity_traceable(seed_entities, seed_text):
    assert seed_entities
    for e in seed_entities:
        # the whole span, not only its first character: the raw text less what cleaning removes
        # (line breaks of joined columns, stray spaces; full-width forms read half-width)
        raw = seed_text[e.raw_start : e.raw_end]
        assert normalize("".join(raw.split())) == normalize("".join(e.text.split())), (raw, e.text)
        assert e.source
        if e.start is not None:
            assert e.end > e.start


def test_gpes_of_county_level_and_above_are_linked(seed_entities):
    gold_linked = {(g["start"], g["end"]): g["kb_id"] for g in GOLD_ENTS if g["label"] == "GPE" and g.get("kb_id")}
    pred = {(e.raw_start, e.raw_end): e for e in seed_entities if e.label == "GPE"}
    matched = [(k, code) for k, code in gold_linked.items() if k in pred]
    assert len(matched) >= 0.9 * len(gold_linked)
    for k, code in matched:
        assert pred[k].kb_id == code, (pred[k].text, pred[k].kb_id, code)


def test_known_links(seed_entities):
    by_text = {}
    for e in seed_entities:
        by_text.setdefault(e.text, e)
    assert (by_text["云阳县"].kb_id, by_text["云阳县"].normalized) == ("500235", "云阳县")
    assert (by_text["我市"].kb_id, by_text["我市"].normalized) == ("500000", "重庆市")
    assert by_text["大足区"].kb_id == "500111"


def test_bylines_give_people_and_papers(seed_entities):
    byline = {(e.text, e.label) for e in seed_entities if e.start is None}
    for item in [
        ("重庆日报", "ORG"),
        ("张亦筑", "PERSON"),
        ("新华社", "ORG"),
        ("白瀛", "PERSON"),
        ("谭启云", "PERSON"),
        ("新渝报", "ORG"),
    ]:
        assert item in byline


def test_seed_quantities(seed_report):
    q = seed_report["groups"]["NUMERIC"]
    assert q["f"] >= 0.95, q
    attrs = seed_report["quantity_attributes"]
    assert attrs["matched"] >= 40
    assert attrs["all"] >= 0.95, attrs["wrong"]


def test_quantity_values_reach_the_entities(seed_entities):
    by_text = {e.text: e for e in seed_entities}
    e = by_text["112.96万立方米"]
    assert (e.label, e.value, e.unit, e.unit_normalized, e.qualifier) == ("QUANTITY", 1129600.0, "立方米", "m3", "=")
    e = by_text["630.5亿元"]
    assert (e.label, e.value, e.unit_normalized) == ("MONEY", 6.305e10, "CNY")
    e = by_text["20万人"]
    assert (e.value, e.qualifier) == (200000.0, ">")


def test_a_company_named_in_full_is_an_org_under_its_short_form_in_the_article():
    from pipeline import batch
    from pipeline.records import Document

    text = "# 标题\n\n2006年，他入职哈尔滨城林科技股份有限公司。\n\n如今城林科技已成为行业龙头，城林科技的产品远销海外。\n"
    doc = Document(doc_id="d", path="p.txt", encoding="utf-8", text=text, sha256="0")
    ents = batch.recognize_entities(batch.clean_and_split([doc])).entities
    aliases = [e for e in ents if e.source == "org.alias"]
    assert [e.text for e in aliases] == ["城林科技", "城林科技"]
    assert all(e.label == "ORG" and e.normalized == "哈尔滨城林科技股份有限公司" for e in aliases)
    assert all(text[e.raw_start : e.raw_end] == e.text for e in aliases)


def test_company_aliases_drop_the_place_and_the_legal_form():
    from pipeline.ner import company_aliases
    from pipeline.nlp.entities.entity_rules import default_entity_rules

    rules = default_entity_rules()
    assert company_aliases("浙江银轮机械股份有限公司", rules) == ["银轮机械", "银轮机械公司", "银轮公司"]
    assert company_aliases("重庆市科技局", rules) == []  # no company


def test_a_deictic_province_without_a_known_paper_is_the_province_the_article_names():
    from pipeline import batch
    from pipeline.records import Document

    text = "# 河南专任教师达110万人\n\n记者从河南省教育厅获悉，全省专任教师达到110万人。\n"
    doc = Document(doc_id="d", path="p.txt", encoding="utf-8", text=text, sha256="0")
    ents = batch.recognize_entities(batch.clean_and_split([doc])).entities
    (whole,) = [e for e in ents if e.text == "全省"]
    assert (whole.kb_id, whole.normalized) == ("410000", "河南省")
