"""The pipeline serialises all it needs: rules carried by the components, the tokenizer as
bytes, the whole ``nlp`` through pickle, and ``nlp.pipe(n_process=2)`` under ``spawn``."""

from __future__ import annotations

import multiprocessing
import pickle
import shutil

import pytest
import spacy

from pipeline import settings
from pipeline.nlp import load_nlp, pipeline_dir
from pipeline.nlp.components import RULES_FOLDER, carry_rules

pytestmark = pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`")

TEXTS = [
    "新华社重庆1月1日电 2022年，重庆市科技局表示，全市研发投入增长12%。",
    "正在开展产能试井的云安010-X1井，于近日获得高产工业气流，中国石油西南油气田公司宣布。",
    "本报记者张亦筑 通讯员王飞",
    "我市高新技术企业累计达到6401家，研发人员超过20万人。",
]


def ents(docs):
    return [[(e.start_char, e.end_char, e.label_, e._.source, e._.kb_id, e._.value) for e in d.ents] for d in docs]


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


@pytest.fixture(scope="module")
def expected(nlp):
    return ents(nlp.pipe(TEXTS))


def test_a_checkout_pipeline_reads_the_project_rules_and_saves_none(nlp, tmp_path):
    comp = nlp.get_pipe("zhnews_entity_rules")
    assert comp.rules_root is None and not comp.carries_rules
    comp.to_disk(tmp_path / "c")
    assert not (tmp_path / "c").exists()  # nothing of its own to save


def test_carried_rules_are_saved_and_read_back_whatever_the_settings(nlp, expected, tmp_path, monkeypatch):
    """to_disk writes the rule files each component reads; the pipeline loaded from there
    reads those, even when PIPELINE_RULES_DIR points elsewhere and the packs of the setting
    change: its config names its packs."""
    packs = ["oil_gas", "chongqing"]
    config = {"components": {name: {"packs": packs} for name in ("zhnews_entity_rules", "zhnews_linker")}}
    fresh = spacy.load(pipeline_dir(), config=config)
    carry_rules(fresh)
    fresh.to_disk(tmp_path / "zh_news")
    saved = tmp_path / "zh_news"
    assert (saved / "zhnews_entity_rules" / RULES_FOLDER / "entities.yaml").is_file()
    assert (saved / "zhnews_entity_rules" / RULES_FOLDER / "packs" / "oil_gas.yaml").is_file()
    assert (saved / "zhnews_quantities" / RULES_FOLDER / "units_cldr.jsonl").is_file()
    assert (saved / "zhnews_linker" / RULES_FOLDER / "gazetteers" / "admin_divisions.jsonl").is_file()
    assert not (saved / "zhnews_quantities" / RULES_FOLDER / "entities.yaml").exists()  # only what it reads

    empty = tmp_path / "no-rules"
    empty.mkdir()
    monkeypatch.setenv("PIPELINE_RULES_DIR", str(empty))
    monkeypatch.setenv("PIPELINE_RULE_PACKS", "")
    loaded = spacy.load(saved)
    assert loaded.get_pipe("zhnews_entity_rules").rules_root == saved / "zhnews_entity_rules" / RULES_FOLDER
    assert ents(loaded.pipe(TEXTS)) == expected


def test_two_pipelines_with_different_rules_live_in_one_process(nlp, tmp_path):
    """One pipeline's rules are a copy with the well rule of the oil_gas pack removed: the
    other still finds wells."""
    rules = shutil.copytree(settings.default_rules_dir(), tmp_path / "rules")
    pack = rules / "packs" / "oil_gas.yaml"
    text = pack.read_text(encoding="utf-8")
    start = text.index("  - id: fac.well\n")
    end = text.index("  - id: ", start + 1)
    pack.write_text(text[:start] + text[end:], encoding="utf-8")

    other = spacy.load(pipeline_dir())
    for name in ("zhnews_entity_rules", "zhnews_linker", "zhnews_quantities"):
        other.get_pipe(name).use_rules(rules, ("oil_gas",))
    sentence = "堡寨村的华北石油采油三厂楚37井，这是一个日产2吨的油井。"
    assert "楚37井" in [e.text for e in nlp(sentence).ents]
    assert "楚37井" not in [e.text for e in other(sentence).ents]
    assert "楚37井" in [e.text for e in nlp(sentence).ents]  # the first one is untouched


def test_the_tokenizer_goes_through_bytes(nlp):
    tokenizer = nlp.tokenizer
    data = tokenizer.to_bytes()
    copy = type(tokenizer)(nlp.vocab).from_bytes(data)
    doc, again = tokenizer(TEXTS[1]), copy(TEXTS[1])
    assert [(t.text, t.lemma_, t.tag_, str(t.morph)) for t in doc] == [(t.text, t.lemma_, t.tag_, str(t.morph)) for t in again]
    assert copy.segmenter_dir is not None and copy.segmenter_dir.is_dir()
    assert type(tokenizer)(nlp.vocab).from_bytes(data).segmenter_dir == copy.segmenter_dir  # one copy per content


def test_rule_components_go_through_bytes(nlp, expected, tmp_path, monkeypatch):
    monkeypatch.setenv("PIPELINE_CACHE_DIR", str(tmp_path / "cache"))
    fresh = spacy.load(pipeline_dir())
    carry_rules(fresh)
    data = fresh.get_pipe("zhnews_quantities").to_bytes()
    other = spacy.load(pipeline_dir()).get_pipe("zhnews_quantities").from_bytes(data)
    assert other.carries_rules and other.rules_root.parent == tmp_path / "cache"
    assert sorted(p.name for p in other.rules_root.iterdir()) == ["units.yaml", "units_cldr.jsonl"]
    assert not nlp.get_pipe("zhnews_quantities").to_bytes() == data  # the checkout's carries none


def test_the_pipeline_pickles(nlp, expected):
    copy = pickle.loads(pickle.dumps(nlp))
    assert copy is not nlp and ents(copy.pipe(TEXTS)) == expected


def test_n_process_under_spawn(nlp, expected):
    """nlp.pipe(n_process=2) pickles the pipeline into fresh interpreters under spawn (the
    start method of macOS, Windows and Python 3.14 on Linux)."""
    previous = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("spawn", force=True)
    try:
        got = ents(nlp.pipe(TEXTS, n_process=2, batch_size=2))
    finally:
        multiprocessing.set_start_method(previous, force=True)
    assert got == expected


def test_the_home_of_the_config_resolves_deictic_places(tmp_path):
    fresh = spacy.load(pipeline_dir(), config={"components": {"zhnews_linker": {"home": "重庆市"}}})
    doc = fresh("我市高新技术企业累计达到6401家。")
    (here,) = [e for e in doc.ents if e.text == "我市"]
    assert here._.kb_id == "500000" and here._.normalized == "重庆市"
    plain = spacy.load(pipeline_dir())
    (there,) = [e for e in plain("我市高新技术企业累计达到6401家。").ents if e.text == "我市"]
    assert there._.kb_id is None


def test_a_home_the_gazetteer_lacks_is_an_error_naming_it():
    fresh = spacy.load(pipeline_dir(), config={"components": {"zhnews_linker": {"home": "不存在市"}}})
    with pytest.raises(ValueError, match="不存在市"):
        fresh("我市高新技术企业累计达到6401家。")
