"""Precedence between the model's spans and the rules' candidates (pipeline/nlp/entities/resolve.py)."""

from pipeline.nlp.entities.entity_rules import Candidate, default_entity_rules
from pipeline.nlp.entities.resolve import MODEL_PRIORITY, resolve
from pipeline.nlp.linking.gazetteer import default_gazetteer

RULES = default_entity_rules()
GAZ = default_gazetteer()


def _final(text, model, words):
    starts, ends, pos = set(), set(), 0
    for w in words:
        starts.add(pos)
        pos += len(w)
        ends.add(pos)
    assert pos == len(text)
    found = GAZ.candidates(text, starts, ends) + RULES.regex_candidates(text, starts, ends)
    final, _ = resolve(text, model, found, RULES, GAZ, starts, ends)
    return [(text[c.start : c.end], c.label, c.source) for c in final]


def _model(text, name, label):
    i = text.index(name)
    return Candidate(i, i + len(name), label, "model", MODEL_PRIORITY)


def test_a_name_keeps_the_place_name_inside_it():
    # 银川 and 长春 are short forms of cities, and given names
    text = "吕钦对许银川"
    out = _final(text, [_model(text, "许银川", "PERSON")], ["吕钦", "对", "许", "银川"])
    assert ("许银川", "PERSON", "model") in out and not [o for o in out if o[0] == "银川"]
    text = "李长春强调"
    out = _final(text, [_model(text, "李长春", "PERSON")], ["李", "长春", "强调"])
    assert ("李长春", "PERSON", "model") in out


def test_a_place_is_still_a_place_when_the_model_calls_it_a_person_without_a_surname():
    text = "银川人民"
    out = _final(text, [_model(text, "银川", "PERSON")], ["银川", "人民"])
    assert [o[:2] for o in out] == [("银川", "GPE")]


def test_a_model_span_ending_where_a_rule_ends_is_aligned():
    # 财政部长 is one word; the rule's 财政部 ends where the model's 美国财政部 does
    text = "美国财政部长鲁宾"
    out = _final(text, [_model(text, "美国财政部", "ORG")], ["美国", "财政部长", "鲁宾"])
    assert ("美国财政部", "ORG", "model") in out


def test_a_model_span_crossing_words_without_rule_support_still_loses():
    # 川东石 ends inside the word 石炭系, and no rule ends there
    text = "川东石炭系气藏"
    out = _final(text, [_model(text, "川东石", "LOC")], ["川东", "石炭系", "气藏"])
    assert [o[0] for o in out] == ["川东"]


def test_extensions_start_at_a_word_start():
    # the 藏 of 青藏 is no base for 藏高原
    text = "青藏高原的势力"
    found = [Candidate(1, 2, "LOC", "model")]
    ext = RULES.extend_candidates(text, found, word_starts={0, 4, 5})
    assert not ext
    assert [text[c.start : c.end] for c in RULES.extend_candidates(text, found)] == ["藏高原"]


def test_districts_named_with_common_nouns_are_linked_but_not_matched():
    entry = GAZ.lookup("矿区")
    assert entry is not None and entry.label == "GPE"
    text = "矿区职工和城区居民"
    assert GAZ.candidates(text, {0, 2, 4, 5, 7}, {2, 4, 5, 7, 9}) == []
    assert [c.source for c in GAZ.candidates("云阳县", {0}, {3})] == ["gpe.admin.full"]


def test_a_character_before_a_rule_name_can_belong_to_the_models_name():
    # 白俄罗斯 is no one-character slip around 俄罗斯 (the slip is past the end: 川东石)
    text = "欧盟国家对白俄罗斯方面"
    out = _final(text, [_model(text, "白俄罗斯", "LOC")], ["欧盟", "国家", "对", "白俄罗斯", "方面"])
    assert [o[0] for o in out if o[1] in ("GPE", "LOC")] == ["白俄罗斯"]


def test_an_organisation_head_that_begins_a_title_is_a_boundary():
    # 部长 is one word; the model's 委内瑞拉能矿部 ends inside it, at the head 部
    text = "委内瑞拉能矿部长阿列塔"
    out = _final(text, [_model(text, "委内瑞拉能矿部", "ORG")], ["委内瑞拉", "能矿", "部长", "阿列塔"])
    assert ("委内瑞拉能矿部", "ORG", "model") in out


def test_a_place_suffix_after_a_name_is_no_slip():
    text = "墨西哥城空气污染"
    out = _final(text, [_model(text, "墨西哥城", "LOC")], ["墨西哥城", "空气", "污染"])
    assert [o[0] for o in out] == ["墨西哥城"]


def test_a_model_place_that_rule_places_tile_is_an_address_chain():
    """衢州市衢江区黄坛口乡 as one model place gives way to its divisions (guidelines)."""
    from pipeline.nlp.entities.resolve import _address_chain

    chain = [
        Candidate(0, 3, "GPE", "gpe.admin.full"),
        Candidate(3, 6, "GPE", "gpe.admin.full"),
        Candidate(6, 10, "GPE", "gpe.township_in_address"),
    ]
    assert _address_chain(Candidate(0, 10, "LOC", "model"), chain)
    assert not _address_chain(Candidate(0, 12, "LOC", "model"), chain)  # more than the chain
    assert not _address_chain(Candidate(0, 3, "LOC", "model"), chain)  # one division
    assert not _address_chain(Candidate(0, 6, "ORG", "model"), chain)  # not a place


def test_a_model_person_ending_in_an_organisations_head_is_an_org():
    rules, gaz = default_entity_rules(), default_gazetteer()
    text = "阿里巴巴集团发布数据"
    (out,), _ = resolve(text, [Candidate(0, 6, "PERSON", "model", MODEL_PRIORITY)], [], rules, gaz)
    assert out.label == "ORG"


def test_organisations_of_one_rule_named_side_by_side_are_two():
    """省委省政府 (a dev page), 市委市政府 (People's Daily): two bodies, not one name."""
    text = "在省委省政府的坚强领导下"
    got = _final(text, [_model(text, "省委省政府", "ORG")], ["在", "省委", "省政府", "的", "坚强", "领导", "下"])
    assert [(t, lab) for t, lab, _ in got] == [("省委", "ORG"), ("省政府", "ORG")]
