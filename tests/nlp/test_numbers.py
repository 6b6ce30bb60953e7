import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.nlp.quantities.numbers import multiplier, parse_number, to_chinese


@pytest.mark.parametrize(
    "text,value",
    [
        ("48838", 48838),
        ("1,234.5", 1234.5),
        ("112.96", 112.96),
        ("一百二十三", 123),
        ("两千", 2000),
        ("十二", 12),
        ("十", 10),
        ("〇", 0),
        ("零", 0),
        ("廿", 20),
        ("卅", 30),
        ("一万二千", 12000),
        ("三千", 3000),
        ("二〇二三", 2023),
        ("三点五", 3.5),
        ("一亿零五百万", 105_000_000),
        ("2.4万亿", 2.4e12),
        ("1.27万", 12700),
        ("112.96万", 1_129_600),
        ("630.5亿", 6.305e10),
        ("3千", 3000),
        ("百万", 1e6),
        ("千万", 1e7),
        ("十万", 1e5),
        ("三点五万", 35000),
    ],
)
def test_parse_number(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("bad", ["", "abc", "一点", "重庆"])
def test_not_numbers(bad):
    with pytest.raises(ValueError):
        parse_number(bad)


def test_multiplier():
    assert multiplier("万亿") == 1e12 and multiplier("百万") == 1e6 and multiplier("") == 1


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**13))
def test_chinese_round_trip(n):
    assert parse_number(to_chinese(n)) == n


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["", "万", "亿", "万亿"]), st.booleans())
def test_arabic_and_mixed_round_trip(n, mult, commas):
    digits = f"{n:,}" if commas else str(n)
    assert parse_number(digits + mult) == pytest.approx(n * multiplier(mult))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=99999), st.integers(min_value=1, max_value=99), st.sampled_from(["", "万", "亿"]))
def test_decimal_round_trip(whole, frac, mult):
    text = f"{whole}.{frac:02d}{mult}"
    assert parse_number(text) == pytest.approx(float(f"{whole}.{frac:02d}") * multiplier(mult))


@pytest.mark.parametrize("text", ["一" * 310, "1" * 400, "9" * 30 + "亿亿"])
def test_out_of_range_numerals_are_not_numbers(text):
    # found by the fuzz profile: 一一一…一% reads digit by digit as 10^310
    with pytest.raises(ValueError, match="out of range"):
        parse_number(text)


def test_out_of_range_numeral_is_no_quantity():
    from pipeline.nlp.quantities.grammar import default_grammar

    found = default_grammar().find("一" * 310 + "%")
    assert all(q.value is None or abs(q.value) <= 1e30 for q in found)
