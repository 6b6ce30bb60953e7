"""The quantity grammar, feature by feature, on sentences written for the tests."""

import pytest

from pipeline.nlp.quantities.grammar import default_grammar

G = default_grammar()


def one(text):
    found = G.find(text)
    assert len(found) == 1, [(text[q.start : q.end], q.label) for q in found]
    q = found[0]
    return text[q.start : q.end], q


@pytest.mark.parametrize(
    "text,span,label,value,unit,qualifier",
    [
        ("日产112.96万立方米高产工业气流", "112.96万立方米", "QUANTITY", 1_129_600, "立方米", "="),
        ("技术合同成交额630.5亿元，", "630.5亿元", "MONEY", 6.305e10, "元", "="),
        ("研发投入强度预计2.3%，", "2.3%", "PERCENT", 2.3, "%", "="),
        ("R&D人员超过20万人，", "20万人", "QUANTITY", 200_000, "人", ">"),
        ("新增科技型中小企业5849家", "5849家", "QUANTITY", 5849, "家", "="),
        ("世界一流学科达到7个以上；", "7个", "QUANTITY", 7, "个", ">="),
        ("资源量约2.4万亿立方米", "2.4万亿立方米", "QUANTITY", 2.4e12, "立方米", "~"),
        ("首口百万立方米级气井", "百万立方米", "QUANTITY", 1e6, "立方米", ">="),
        ("超百万立方米高产气井", "百万立方米", "QUANTITY", 1e6, "立方米", ">"),
        ("历经40多年的勘探开发", "40多年", "DATE", 40, "年", ">"),
        ("10余年来石炭系均无测试", "10余年", "DATE", 10, "年", ">"),
        ("共有一百二十三家企业", "一百二十三家", "QUANTITY", 123, "家", "="),
        ("两千名志愿者参加", "两千名", "QUANTITY", 2000, "名", "="),
        ("逾3千多户受益", "3千多户", "QUANTITY", 3000, "户", ">"),
        ("项目投资1,234.5万美元", "1,234.5万美元", "MONEY", 12_345_000, "美元", "="),
        ("全年接待游客近两千万人次", "两千万人次", "QUANTITY", 2e7, "人次", "~"),
        ("售价不到五百元", "五百元", "MONEY", 500, "元", "<"),
        ("气温在30摄氏度左右", "30摄氏度", "QUANTITY", 30, "摄氏度", "~"),
        ("全市新增廿家企业", "廿家", "QUANTITY", 20, "家", "="),
        ("年均增长百分之五", "百分之五", "PERCENT", 5, "百分之", "="),
        ("市场份额提高到三成", "三成", "PERCENT", 30, "成", "="),
        ("全场商品八折销售", "八折", "PERCENT", 80, "折", "="),
        ("累计修建道路1.5万公里", "1.5万公里", "QUANTITY", 15_000, "公里", "="),
    ],
)
def test_quantities(text, span, label, value, unit, qualifier):
    got, q = one(text)
    assert (got, q.label, q.unit, q.qualifier) == (span, label, unit, qualifier)
    assert q.value == pytest.approx(value)


@pytest.mark.parametrize(
    "text,span,low,high,unit",
    [
        ("比重分别提高至36%—40%之间", "36%—40%", 36, 40, "%"),
        ("计划用3至5年时间", "3至5年", 3, 5, "年"),
        ("每个项目补助5~10万元", "5~10万元", 5, 100_000, "元"),
    ],
)
def test_ranges(text, span, low, high, unit):
    got, q = one(text)
    assert got == span and q.unit == unit and q.value is None
    assert (q.value_low, q.value_high) != (None, None)
    if span != "5~10万元":
        assert (q.value_low, q.value_high) == (low, high)


def test_range_with_multiplier_on_the_second_number():
    # 5~10万元: the multiplier is written once; we keep the numbers as written
    _, q = one("每个项目补助5~10万元")
    assert q.value_high == 100_000


@pytest.mark.parametrize(
    "text,span,low,high",
    [("1—6月新增科技型中小企业", "1—6月", 1, 6), ("行动方案（2023—2025年）", "2023—2025年", 2023, 2025)],
)
def test_date_ranges(text, span, low, high):
    got, q = one(text)
    assert (got, q.label, q.value_low, q.value_high) == (span, "DATE", low, high)


@pytest.mark.parametrize(
    "text,span",
    [
        ("7月10日，大会召开", "7月10日"),
        ("到2027年初步建成", "2027年"),
        ("截至6月底，累计", "6月底"),
        ("中央网信办10日通报", "10日"),
        ("今年，我市启动", "今年"),
        ("二〇二三年工作报告", "二〇二三年"),
    ],
)
def test_dates(text, span):
    got, q = one(text)
    assert got == span and q.label == "DATE" and q.value is None


def test_durations_get_values():
    got, q = one("其中，未来五年，全市")
    assert (got, q.value, q.unit) == ("未来五年", 5, "年")
    users, years = G.find("可满足15万用户15年用气")
    assert (users.label, users.value, users.unit) == ("QUANTITY", 150_000, "用户")
    assert (years.label, years.value, years.unit) == ("DATE", 15, "年")


@pytest.mark.parametrize(
    "text",
    [
        "重庆构建科技创新“1458”工作体系",
        "紧密对接“33618”现代制造业集群体系",
        "坚持“四个面向”",
        "综合科技创新水平指数居全国第7位",
        "培育一批国际区域开放合作平台",
        "一级抓一级、层层抓落实",
        "万人发明专利拥有量",
        "每亿元研发投入",
        "这成为一个新的起点",
    ],
)
def test_not_quantities(text):
    assert G.find(text) == []


def test_normalised_units():
    _, q = one("日产112.96万立方米")
    assert (q.unit_normalized, q.value_normalized) == ("m3", 1_129_600)
    _, q = one("修建道路1.5万公里")
    assert (q.unit_normalized, q.value_normalized) == ("m", 15_000_000)
    _, q = one("投资1300亿元")
    assert q.unit_normalized == "CNY"
    _, q = one("出口3亿美元")
    assert (q.unit_normalized, q.value) == ("USD", 3e8)


def test_full_width_digits_after_cleaning():
    from pipeline.cleaning.normalize import HALF_WIDTH

    text = "增长１２．５％".translate(HALF_WIDTH)
    got, q = one(text)
    assert (got, q.value) == ("12.5%", 12.5)


@pytest.mark.parametrize(
    "text,found",
    [
        ("设立“100万元”奖金", ["100万元"]),  # a quoted amount is an amount
        ("科技创新“1458”工作体系", []),  # a code name is not
        ("坚持“四个面向”", []),
        ("排名第3位", []),  # an ordinal
    ],
)
def test_quoted_amounts_against_code_names_and_ordinals(text, found):
    from pipeline.nlp import load_nlp

    doc = load_nlp()(text)
    assert [e.text for e in doc.ents if e.label_ in ("MONEY", "QUANTITY", "PERCENT")] == found


def test_full_width_numbers_read_as_half_width_through_spacy_alone():
    """spacy.load users do not run the cleaning stage: the component normalises width itself."""
    from pipeline.nlp import load_nlp

    doc = load_nlp()("增长１２．５％，达到３．２万元")
    got = [(e.text, e.label_, e._.value) for e in doc.ents]
    assert got == [("１２．５％", "PERCENT", 12.5), ("３．２万元", "MONEY", 32000.0)]


@pytest.mark.parametrize(
    "text,value,unit",
    [
        ("下降-1.5%", -1.5, "%"),
        ("负2.1%", -2.1, "%"),
        ("负13.5千米", -13.5, "千米"),  # and 千 is the unit's, not a multiplier
        ("18亿千瓦时", 1.8e9, "千瓦时"),
    ],
)
def test_negative_numbers_and_units_that_begin_with_a_multiplier(text, value, unit):
    from pipeline.nlp import load_nlp

    (ent,) = [e for e in load_nlp()(text).ents]
    assert (ent._.value, ent._.unit) == (value, unit)


@pytest.mark.parametrize("text", ["负责2个项目", "增长3-5%"])
def test_no_sign_in_words_or_ranges(text):
    from pipeline.nlp import load_nlp

    assert all((e._.value or 0) >= 0 and (e._.value_low or 0) >= 0 for e in load_nlp()(text).ents)


@pytest.mark.parametrize(
    "text,found",
    [
        ("行驶40多万公里", [("40多万公里", 400000.0, ">")]),  # 多 before the multiplier
        ("几十个学生", []),
        ("数百名有知识", []),  # vague counts
        ("进入全省前五名", []),  # a rank
    ],
)
def test_approximations_ranks_and_vague_counts(text, found):
    from pipeline.nlp import load_nlp

    doc = load_nlp()(text)
    assert [(e.text, e._.value, e._.qualifier) for e in doc.ents if e.label_ == "QUANTITY"] == found


@pytest.mark.parametrize("text,date", [("2月4日至10日，", "2月4日至10日"), ("2月4日至2月10日期间", "2月4日至2月10日")])
def test_two_dates_joined_by_a_range_word_are_one(text, date):
    from pipeline.nlp import load_nlp

    assert [e.text for e in load_nlp()(text).ents if e.label_ == "DATE"] == [date]


@pytest.mark.parametrize(
    "text,label,value,unit",
    [
        ("下降8成", "PERCENT", 80.0, "成"),
        ("6.5成", "PERCENT", 65.0, "成"),
        ("三成半", "PERCENT", 35.0, "成"),
        ("半成", "PERCENT", 5.0, "成"),
        ("打75折", "PERCENT", 75.0, "折"),
        ("对折出售", "PERCENT", 50.0, "折"),
        ("两成", "PERCENT", 20.0, "成"),
        ("万分之五", "PERCENT", 0.05, "万分之"),
        ("百万分之三", "PERCENT", 0.0003, "百万分之"),
        ("千分之2.4", "PERCENT", 0.24, "千分之"),
        ("两吨半", "QUANTITY", 2.5, "吨"),
        ("三斤半", "QUANTITY", 3.5, "斤"),
        ("6角8分钱", "MONEY", 0.68, "元"),
        ("五元三毛钱", "MONEY", 5.3, "元"),
        ("售价$100", "MONEY", 100.0, "$"),
        ("€3.5亿", "MONEY", 3.5e8, "€"),
        ("HK$20", "MONEY", 20.0, "HK$"),
    ],
)
def test_shares_fractions_halves_jiao_fen_and_currency_symbols(text, label, value, unit):
    from pipeline.nlp import load_nlp

    (ent,) = [e for e in load_nlp()(text).ents if e.label_ == label]
    assert (ent._.value, ent._.unit) == (value, unit)


def test_no_share_in_words():
    from pipeline.nlp import load_nlp

    assert not [e for e in load_nlp()("三成为一体，半年后").ents if e.label_ == "PERCENT"]


@pytest.mark.parametrize(
    "text,value,unit,normalized,value_normalized",
    [
        ("装机容量110MW，", 110.0, "MW", "W", 1.1e8),
        ("全长25km的公路", 25.0, "km", "m", 25000.0),
        ("重3.5kg的包裹", 3.5, "kg", "kg", 3.5),
        ("建设面积1200㎡", 1200.0, "㎡", "m2", 1200.0),
        ("新建110千伏变电站", 110.0, "千伏", "V", 110000.0),
        ("年发电2000kWh", 2000.0, "kWh", "J", 7.2e9),
    ],
)
def test_si_symbols_and_more_units(text, value, unit, normalized, value_normalized):
    from pipeline.nlp import load_nlp

    (ent,) = [e for e in load_nlp()(text).ents if e.label_ == "QUANTITY"]
    assert (ent._.value, ent._.unit, ent._.unit_normalized) == (value, unit, normalized)
    assert ent._.value_normalized == pytest.approx(value_normalized)


@pytest.mark.parametrize("text", ["5G网络", "下载速度1Gbps", "3D打印", "2mins后", "三两米饭"])
def test_a_latin_unit_needs_its_end_and_two_is_a_numeral(text):
    from pipeline.nlp import load_nlp

    ents = [(e.text, e._.unit) for e in load_nlp()(text).ents if e.label_ == "QUANTITY"]
    assert not [x for x in ents if x[1] in ("G", "m", "两")], ents


@pytest.mark.parametrize(
    "text,span,label,unit,normalized,value_normalized",
    [
        ("上网电价0.45元/千瓦时。", "0.45元/千瓦时", "MONEY", "元/千瓦时", "CNY/J", 0.45 / 3.6e6),
        ("价格3000元/吨，", "3000元/吨", "MONEY", "元/吨", "CNY/kg", 3.0),
        ("租金2万元/亩。", "2万元/亩", "MONEY", "元/亩", "CNY/m2", 20000 / 666.6667),
        ("客流5万人次/日。", "5万人次/日", "QUANTITY", "人次/日", None, None),
    ],
)
def test_rates_are_one_quantity_with_a_compound_unit(text, span, label, unit, normalized, value_normalized):
    from pipeline.nlp import load_nlp

    (ent,) = [e for e in load_nlp()(text).ents if e.label_ == label]
    assert (ent.text, ent._.unit, ent._.unit_normalized) == (span, unit, normalized)
    assert ent._.value_normalized == (None if value_normalized is None else pytest.approx(value_normalized, rel=1e-6))


@pytest.mark.parametrize(
    "text,span",
    [("投资人民币8000元。", "人民币8000元"), ("合计500亿元人民币。", "500亿元人民币"), ("超过人民币3.5亿元", "人民币3.5亿元")],
)
def test_renminbi_before_or_after_the_amount_is_part_of_it(text, span):
    from pipeline.nlp import load_nlp

    (ent,) = [e for e in load_nlp()(text).ents if e.label_ == "MONEY"]
    assert (ent.text, ent._.unit_normalized) == (span, "CNY")
    if text.startswith("超过"):
        assert ent._.qualifier == ">"


# -- the unit table: hand-kept units.yaml and the CLDR table generated beside it ---------------


def test_the_generated_cldr_table_is_loaded_and_the_hand_kept_meaning_wins():
    from pipeline.rules import rule_path

    generated = {u.text: u for u in G.spec.units if u.source}
    assert (rule_path("units_cldr.jsonl")).is_file()
    # CLDR names of currencies and units the hand-kept file never listed
    for text, code in (("新加坡元", "SGD"), ("俄罗斯卢布", "RUB"), ("泰铢", "THB"), ("字节", "B"), ("海里", "m"), ("毫升", "m3")):
        assert generated[text].normalized == code and generated[text].source.startswith("cldr:")
    # a text both have is the hand-kept one's (公里: the hand-kept entry, no source)
    assert G.units["公里"].source is None and G.units["公里"].id == "m.km"
    # a currency sign from CLDR stands before its amount
    assert G.spec.currency_symbols["₩"] == "KRW" and G.spec.currency_symbols["$"] == "USD"


def test_a_generated_line_that_breaks_the_schema_fails_with_its_path_and_line(tmp_path):
    from pipeline.nlp.quantities.grammar import load_grammar
    from pipeline.rules import RuleFileError, rule_path

    bad = tmp_path / "units_cldr.jsonl"
    bad.write_text(
        '// header\n{"id": "cldr.x", "text": "兆瓦", "kind": "measure", "normalized": "W", "factor": 1e6}\n'
        '{"id": "cldr.y", "text": "吉瓦", "kind": "volume"}\n',
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError) as err:
        load_grammar(rule_path("units.yaml"), generated=bad)
    assert str(bad) in str(err.value) and ":3" in str(err.value) and "kind" in str(err.value)


_KINDS_WITH_VALUES = ("currency", "percent", "measure", "counter", "noun")


def _amounts():
    """(written number, its value): Arabic with or without separators, decimals and 万/亿; and
    Chinese numerals (which are not written before a unit that begins with a multiplier:
    三千米 is 3,000 m, and 三用户 no figure; 一 before a measure word is the article, 一家)."""
    from hypothesis import strategies as st

    from pipeline.nlp.quantities.numbers import DIGITS

    ints = st.integers(min_value=1, max_value=999_999)
    arabic = ints.map(lambda n: (str(n), float(n)))
    grouped = st.integers(min_value=1000, max_value=9_999_999).map(lambda n: (f"{n:,}", float(n)))
    decimal = st.tuples(st.integers(0, 9999), st.integers(1, 99)).map(
        lambda t: (f"{t[0]}.{t[1]:02d}", float(f"{t[0]}.{t[1]:02d}"))
    )
    mult = st.tuples(st.one_of(arabic, decimal), st.sampled_from([("万", 1e4), ("亿", 1e8)])).map(
        lambda t: (t[0][0] + t[1][0], round(t[0][1] * t[1][1], 6))
    )
    digit_of = {v: k for k, v in DIGITS.items() if k in "一二三四五六七八九"}
    chinese = st.integers(2, 9).map(lambda n: (digit_of[n], float(n)))
    return {"arabic": st.one_of(arabic, grouped, decimal), "mult": mult, "chinese": chinese}


def test_every_unit_of_the_table_round_trips_generated_amounts():
    """Each unit of the table (hand-kept and CLDR) after a generated number is one quantity,
    exactly the number and the unit, with the number's value and the unit's normalised value."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    amounts = _amounts()
    units = [u for u in G.spec.units if u.kind in _KINDS_WITH_VALUES]

    @st.composite
    def case(draw):
        u = draw(st.sampled_from(units))
        forms = ["mult"] if u.requires_multiplier else ["arabic", "mult"]
        if u.kind != "noun" and not u.requires_multiplier and u.text[0] not in "十百千万亿":
            forms.append("chinese")
        written, value = draw(amounts[draw(st.sampled_from(forms))])
        context = draw(st.sampled_from([("据统计，共", "。"), ("全省完成", "，同比增长"), ("", "")]))
        return u, written, value, context

    @settings(max_examples=600, deadline=None)
    @given(case())
    def check(c):
        u, written, value, (before, after) = c
        text = f"{before}{written}{u.text}{after}"
        found = G.find(text)
        assert [text[q.start : q.end] for q in found] == [written + u.text], (u.id, text)
        q = found[0]
        assert q.value == pytest.approx(value, rel=1e-9), (u.id, text)
        if u.normalized is not None and u.kind in ("currency", "measure"):
            assert q.unit_normalized == u.normalized, (u.id, text)
            assert q.value_normalized == pytest.approx(value * u.factor, rel=1e-9), (u.id, text)

    check()
    # and every unit is drawn at least once over the table (not left to chance)
    for u in units:
        written = "3万" if u.requires_multiplier else "35"
        text = f"共{written}{u.text}。"
        assert [text[q.start : q.end] for q in G.find(text)] == [written + u.text], u.id


def test_every_currency_symbol_round_trips():
    for sym, code in G.spec.currency_symbols.items():
        text = f"售价{sym}1,250万。"
        found = G.find(text)
        assert [(text[q.start : q.end], q.unit_normalized, q.value) for q in found] == [(f"{sym}1,250万", code, 12_500_000.0)], (
            sym
        )


@pytest.mark.parametrize(
    "text,span,value,unit",
    [
        ("兑换了10日元的硬币", "10日元", 10.0, "JPY"),  # no date "10日"
        ("折合35多米尼加比索", "35多米尼加比索", 35.0, "DOP"),  # no "35多" + 米
        ("约合35毛里求斯卢比", "35毛里求斯卢比", 35.0, "MUR"),  # no 5毛 out of 35
    ],
)
def test_a_unit_that_begins_with_a_word_the_grammar_reads_alone_is_the_units(text, span, value, unit):
    got, q = one(text)
    assert (got, q.value, q.unit_normalized) == (span, value, unit)


@pytest.mark.parametrize(
    "text,span,low,high",
    [
        ("那时公司的产值是八九千万元，", "八九千万元", 8e7, 9e7),  # as a dev page (north-2) writes it
        ("参观者三四十万人次", "三四十万人次", 3e5, 4e5),
        ("只来了两三个人", "两三个", 2, 3),
        ("二三十家企业入驻", "二三十家", 20, 30),
    ],
)
def test_two_neighbouring_digits_are_a_rough_range(text, span, low, high):
    got, q = one(text)
    assert (got, q.value, q.value_low, q.value_high, q.qualifier) == (span, None, low, high, "~")


def test_a_chinese_number_that_is_no_neighbour_pair_stays_one_value():
    got, q = one("共三十五万人")
    assert (got, q.value, q.qualifier) == ("三十五万人", 350000, "=")


@pytest.mark.parametrize(
    "text,span,label,value,normalized",
    [
        ("架设120基铁塔", "120基", "QUANTITY", 120.0, None),
        ("他跑完100m用时", "100m", "QUANTITY", 100.0, "m"),
        ("载重3t的货车", "3t", "QUANTITY", 3.0, "kg"),
        ("票价1000台币", "1000台币", "MONEY", 1000.0, "TWD"),  # not 1000台 (the measure word)
        ("降息25个基点", "25个基点", "PERCENT", 25.0, "%"),
        ("兑换300新加坡元", "300新加坡元", "MONEY", 300.0, "SGD"),  # over the place inside the currency's name
        ("花了五元三毛", "五元三毛", "MONEY", 5.3, "CNY"),  # over the name 三毛 inside the amount
    ],
)
def test_units_of_the_issue_list_through_the_pipeline(text, span, label, value, normalized):
    from pipeline.nlp import load_nlp

    got = [(e.text, e.label_, e._.value, e._.unit_normalized) for e in load_nlp()(text).ents]
    assert got == [(span, label, value, normalized)]


@pytest.mark.parametrize("text,kept", [("千瓦级机组", []), ("每千米造价", []), ("三毛的散文", [("三毛", "PERSON")])])
def test_a_unit_with_no_number_is_no_quantity_and_a_name_that_is_the_whole_span_stays(text, kept):
    from pipeline.nlp import load_nlp

    assert [(e.text, e.label_) for e in load_nlp()(text).ents] == kept


@pytest.mark.parametrize(
    "text,found",
    [
        ("尤其是作为国家863项目，", []),  # 项 of the word 项目 (a dev page)
        ("给千家万户送达年货包裹", []),  # a bare multiplier before a measure word: an idiom (a dev page)
        ("三环东路段和新07省道段", []),  # a leading zero: a code (a dev page)
        ("有3个人参加", ["3个"]),
        ("两个人", ["两个"]),
        ("来了两三个人", ["两三个"]),  # 两/个人 is still a count
    ],
)
def test_counts_that_the_words_around_them_say_are_no_counts(text, found):
    from pipeline.nlp import load_nlp

    assert [e.text for e in load_nlp()(text).ents if e.label_ == "QUANTITY"] == found


@pytest.mark.parametrize(
    "text,span",
    [
        ("云冈区今年一季度完成投资", "今年一季度"),
        ("南湖区今年前三季度实现", "今年前三季度"),
        ("沁源县2018秋冬季重点项目", "2018秋冬季"),
        ("去年下半年以来", "去年下半年"),
        ("2023年第二季度", "2023年第二季度"),
        ("前9月，全市", "前9月"),
    ],
)
def test_parts_of_a_year_are_one_date(text, span):
    from pipeline.nlp import load_nlp

    assert [e.text for e in load_nlp()(text).ents if e.label_ == "DATE"] == [span]


def test_a_bare_multiplier_before_a_time_unit_is_an_idiom():
    from pipeline.nlp import load_nlp

    assert not [e for e in load_nlp()("百年大计，教育为本").ents if e.label_ == "DATE"]


@pytest.mark.parametrize("text,span,low,high", [("1~9月份，全市", "1~9月份", 1.0, 9.0), ("5月份以来", "5月份", None, None)])
def test_months_written_with_fen(text, span, low, high):
    found = G.find(text)
    assert [(text[q.start : q.end], q.label, q.value_low, q.value_high) for q in found] == [(span, "DATE", low, high)]
