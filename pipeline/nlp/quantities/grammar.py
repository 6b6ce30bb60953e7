"""Quantities, money, percentages and dates: finding and normalising them.

The grammar (regular expressions built from ``rules/units.yaml``):

    [qualifier] NUMBER [多|余|来|几] [— NUMBER [多|余]] UNIT [以上|以下|左右|级]
    百分之 NUMBER  |  NUMBER %  |  N成 / N折 (proportions)
    dates: 2022年, 7月10日, 1—6月, 6月底, 2023—2025年, 10日, 今年, 未来五年

NUMBER is any numeral of :mod:`pipeline.nlp.quantities.numbers` (Arabic, Chinese,
mixed, with multipliers). Every match becomes a :class:`Quantity` with
``value`` (after multipliers), ``value_low``/``value_high`` for ranges,
``unit`` as written, ``unit_normalized`` and ``value_normalized`` (ISO
currency or SI unit), ``qualifier`` (= ~ > >= < <=) and a label (MONEY,
PERCENT, DATE, QUANTITY). Qualifier words stay outside the span.

Not quantities: code names in quotes (“1458”, “四个面向”), ordinals (第7位),
the indefinite 一 (一批, 一个), bare numbers without a unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from pipeline.nlp.quantities.numbers import DIGITS, parse_number
from pipeline.records import QuantityValues
from pipeline.rules import (
    RuleFileError,
    StrictModel,
    alternation,
    check_unique_ids,
    load_jsonl,
    load_yaml,
    per_rules_folder,
    rule_path,
)

Kind = Literal["currency", "percent", "measure", "time", "counter", "noun"]
LABEL_OF_KIND = {
    "currency": "MONEY",
    "percent": "PERCENT",
    "time": "DATE",
    "measure": "QUANTITY",
    "counter": "QUANTITY",
    "noun": "QUANTITY",
}


class Unit(StrictModel):
    id: str
    text: str
    kind: Kind
    normalized: str | None = None
    factor: float = 1.0
    requires_multiplier: bool = False
    #: where the unit stands: after the number (3公里), or before it (a currency symbol: ₩500)
    position: Literal["after", "before"] = "after"
    #: where a generated entry comes from (``cldr:length-kilometer``); None for the hand-kept ones
    source: str | None = None


class CldrTarget(StrictModel):
    normalized: str
    pint: str


class CldrPolicy(StrictModel):
    """How ``make rules`` generates ``units_cldr.jsonl`` (:mod:`pipeline.training.units`)."""

    categories: dict[str, list[CldrTarget]]
    si_prefixes: list[str]
    si_units: list[str]
    skip_texts: dict[str, str] = {}


class Qualifiers(StrictModel):
    before: dict[Literal[">", ">=", "<", "<=", "~"], list[str]]
    after: dict[Literal[">", ">=", "<", "<=", "~"], list[str]]
    class_suffix: list[str]


class UnitFile(StrictModel):
    version: int
    units: list[Unit]
    cldr: CldrPolicy | None = None
    qualifiers: Qualifiers
    #: a number right after one of these is an ordinal (第7个), not a quantity
    ordinal_markers: list[str] = []
    #: opening quotes and title marks: after one, a number is the start of a code name
    #: (“1458”, “四个面向”) unless its unit is of ``quoted_kinds`` (“100万元”奖金)
    quote_marks: list[str] = []
    quoted_kinds: list[Kind] = []
    #: currency symbols written before an amount, with their ISO 4217 code ($100, ¥500)
    currency_symbols: dict[str, str] = {}
    #: what a rate is counted per, after ``/``: 0.45元/千瓦时, 3000元/吨, 5万人次/日 (a unit of
    #: the table is normalised, 元/千瓦时 = CNY/J; the others are kept as written)
    rate_denominators: list[str] = []
    #: currency names written before an amount in that currency: 人民币8000元 is one MONEY
    currency_prefixes: list[str] = []
    #: words that are a date by themselves, relative to the publication date (今年, 上半年, 年底)
    relative_dates: list[str] = Field(min_length=1)
    #: words before a number of years, months or days that make it a period (未来5年, 近3个月)
    period_heads: list[str] = Field(min_length=1)


@dataclass
class Quantity(QuantityValues):
    """A match of the grammar: where it is, what it is, and its values."""

    start: int
    end: int
    label: str
    source: str
    #: the kind of its unit (counter, noun, measure ...); None for dates and shares
    kind: str | None = None

    def __post_init__(self) -> None:
        if self.qualifier is None:
            self.qualifier = "="


NUM_AR = r"\d+(?:[,，]\d{3})*(?:\.\d+)?"
NUM_CN = r"[零〇○一二两三四五六七八九十百千万亿廿卅]+(?:点[零〇○一二三四五六七八九]+[万亿]*)?"
BARE_MULT = r"[十百千](?:[十百千]?[万亿])+"
NUMBER = f"(?:{NUM_AR}[十百千万亿]*|{BARE_MULT}|{NUM_CN})"
# a minus sign: ASCII or typographic minus not right after a number (3-5% is a range), or 负
# right before a digit (负2.1%; not 负责)
SIGN = r"(?:(?<![\d.])[-−]|负(?=[\d零一二三四五六七八九两]))"
RANGE_SEP = r"[—–\-~～至到]"
APPROX = r"(?:多|余|来|几)"
CN_YEAR = r"[〇○零一二三四五六七八九]{4}"
# a quarter, half or season of a year, the year named or relative (今年一季度, 今年前三季度,
# 去年下半年, 2018秋冬季): one DATE, not the year alone
_YEAR_REF = r"(?:今年|去年|明年|前年|上年|本年|当年|\d{4}年?)"
QUARTER = r"(?:第?[一二三四1-4]季度|前[一二三两]季度|[上下]半年)"
SEASON = r"(?:春夏|秋冬|春|夏|秋|冬)季"

#: two neighbouring digits and the rest of a Chinese number: 八九|千万, 三四|十万, 两三| (not 一两:
#: 一 ends too many words, 合一两个村 is the village 合一 and 两个)
_NEIGHBOURS = re.compile(r"([两二三四五六七八])([三四五六七八九])([十百千万亿]*)$")


def _not_before(texts: Iterable[str]) -> str:
    """A lookahead that fails where one of ``texts`` follows (nothing if there are none)."""
    texts = [t for t in texts if t]
    return f"(?!{alternation(texts)})" if texts else ""


class QuantityGrammar:
    def __init__(self, spec: UnitFile):
        self.spec = spec
        self._ordinal = re.compile(f"(?:{alternation(spec.ordinal_markers)})$") if spec.ordinal_markers else None
        self._quote = re.compile(f"(?:{alternation(spec.quote_marks)})$") if spec.quote_marks else None
        self._quoted_kinds = frozenset(spec.quoted_kinds)
        self.units = {u.text: u for u in spec.units}
        # a Latin unit symbol (MW, km, kg) ends where no Latin letter follows: 110MW, not 5Gbps's G
        latin = [t for t in self.units if t[-1].isascii() and t[-1].isalpha()]
        other = [t for t in self.units if t not in latin]
        unit_alt = f"(?:{alternation(other)}|{alternation(latin)}(?![A-Za-z]))" if latin else alternation(other)
        # a multiplier character that begins a unit is the unit's (13.5千米 is 13.5 km, not 13,500 米)
        mult_units = [u for u in self.units if u[0] in "十百千万亿"]
        # and an approximation word may stand before the multiplier: 40多万公里 (more than 400,000 km)
        number = (
            NUMBER.replace("[十百千万亿]*", f"(?:[多余](?=[万亿]))?(?:(?!{alternation(mult_units)})[十百千万亿])*")
            if mult_units
            else NUMBER
        )
        # a unit that begins with an approximation word is the unit's (35多米尼加比索, not 35多 + 米)
        approx = f"{_not_before(self._units_beginning('多余来几'))}{APPROX}"
        self.quantity = re.compile(
            f"(?P<sign>{SIGN})?(?P<n1>{number})(?P<a1>{approx})?(?P<u1>%|‰)?"
            f"(?:(?P<sep>{RANGE_SEP})(?P<n2>{number})(?P<a2>{approx})?)?"
            f"(?P<unit>{unit_alt})"
        )
        self._currency_prefix = re.compile(f"(?:{alternation(spec.currency_prefixes)})$") if spec.currency_prefixes else None
        self._per = re.compile(f"/(?P<per>{alternation(spec.rate_denominators)})(?![A-Za-z])") if spec.rate_denominators else None
        heads = "百万分之|千分之|万分之|百分之"
        self.percent_cn = re.compile(
            f"(?P<head>{heads})(?P<n1>{NUMBER})(?:(?P<sep>{RANGE_SEP})(?P<h2>{heads})?(?P<n2>{NUMBER}))?"
        )
        # 三成, 8成, 6.5成, 三成半, 半成, 75折, 对折 (a price at that share)
        self.cheng = re.compile(
            r"(?:(?P<n1>[一二三四五六七八九两]|\d+(?:\.\d+)?)(?P<kind>成|折)(?P<half>半)?|(?P<special>半成|对折))"
            r"(?![为员功立果本熟就都长交型效绩品果])"
        )
        # 6角8分钱, 五元三毛, 3块5毛: money in yuan, jiao and fen
        digit = r"[\d一二三四五六七八九两]"
        # (the jiao digit is no last digit of a longer number, and 毛 no first character of a
        # currency's name: 35毛里求斯卢比)
        not_jiao = _not_before(t[1:] for t in self._units_beginning("角毛"))
        self.jiao_fen = re.compile(
            f"(?:(?P<yuan>{NUMBER})(?:元|块)|(?<![\\d.]))(?P<jiao>{digit})(?:角|毛){not_jiao}"
            f"(?:(?P<fen>{digit})分)?(?P<qian>钱)?"
            f"|(?P<yuan2>{NUMBER})(?:元|块)(?P<fen2>{digit})分(?P<qian2>钱)?"
        )
        # $100, ¥500, €3.5亿, HK$20: a currency symbol before the amount (units.yaml: currency_symbols)
        symbols = spec.currency_symbols
        self.money_symbol = re.compile(f"(?P<sym>{alternation(symbols)})(?P<n1>{NUM_AR}[万亿]*)") if symbols else None
        # 10日元 is yen, not the 10th (a unit that begins with 日 or 号 is the unit's)
        not_day = _not_before(t[1:] for t in self._units_beginning("日号"))
        self.date_abs = re.compile(
            rf"(?P<year>(?:\d{{4}}|{CN_YEAR})(?:{RANGE_SEP}(?:\d{{4}}|{CN_YEAR}))?年)"
            rf"(?:(?P<month>\d{{1,2}}(?:{RANGE_SEP}\d{{1,2}})?月份?)(?P<day>\d{{1,2}}(?:{RANGE_SEP}\d{{1,2}})?[日号]{not_day}|底|初|末|上旬|中旬|下旬)?)?"
            rf"|(?P<month2>\d{{1,2}}(?:{RANGE_SEP}\d{{1,2}})?月份?)(?P<day2>\d{{1,2}}(?:{RANGE_SEP}\d{{1,2}})?[日号]{not_day}|底|初|末|上旬|中旬|下旬)?"
            rf"|(?<![\d.])(?P<day3>\d{{1,2}})[日号]{not_day}(?![\d])"
        )
        self.date_rel = re.compile(alternation(spec.relative_dates))
        self.date_part = re.compile(f"{_YEAR_REF}(?:{QUARTER}|{SEASON})|(?<![年\\d]){QUARTER}(?![度])")
        self.date_period = re.compile(
            f"(?P<head>{alternation(spec.period_heads)})(?P<n1>{NUMBER})(?P<a1>{APPROX})?(?P<unit>年|个月|月(?!份)|天)"
        )
        q = spec.qualifiers
        self.before = sorted(((w, sym) for sym, ws in q.before.items() for w in ws), key=lambda x: -len(x[0]))
        self.after = sorted(((w, sym) for sym, ws in q.after.items() for w in ws), key=lambda x: -len(x[0]))
        self.class_suffix = tuple(q.class_suffix)

    def _units_beginning(self, chars: str) -> list[str]:
        """The unit texts that begin with one of ``chars`` (a character the grammar also
        reads on its own: 多 after a number, 毛 of 5毛, 日 of a date)."""
        return [t for t in self.units if len(t) > 1 and t[0] in chars]

    # -- qualifiers -----------------------------------------------------
    def qualifier(self, text: str, start: int, end: int, inner_approx: str | None) -> str:
        for word, sym in self.before:
            if text.endswith(word, 0, start):
                return sym
        for word, sym in self.after:
            if text.startswith(word, end):
                return sym
        if text.startswith(self.class_suffix, end):
            return ">="
        if inner_approx in ("多", "余"):
            return ">"
        if inner_approx in ("来", "几"):
            return "~"
        return "="

    # -- matching -------------------------------------------------------
    def find(self, text: str) -> list[Quantity]:
        found: list[Quantity] = []
        taken = [False] * (len(text) + 1)

        def add(q: Quantity) -> None:
            if q.end <= q.start or any(taken[q.start : q.end]):
                return
            for k in range(q.start, q.end):
                taken[k] = True
            found.append(q)

        for m in self.date_period.finditer(text):
            try:
                value = parse_number(m.group("n1"))
            except ValueError:
                continue
            add(
                Quantity(
                    m.start(),
                    m.end(),
                    "DATE",
                    "date.period",
                    value=value,
                    unit=m.group("unit"),
                    unit_normalized="a" if m.group("unit") == "年" else None,
                    value_normalized=value,
                    qualifier=">" if m.group("a1") in ("多", "余") else "=",
                )
            )
        for m in self.date_part.finditer(text):
            add(Quantity(m.start(), m.end(), "DATE", "date.part_of_year"))
        dates = [self._date(m) for m in self.date_abs.finditer(text) if not self._not_after(text, m.start(), None)]
        for q in self._date_ranges(text, dates):
            add(q)
        for m in self.date_rel.finditer(text):
            add(Quantity(m.start(), m.end(), "DATE", "date.relative"))
        for m in self.percent_cn.finditer(text):
            try:
                v1 = parse_number(m.group("n1"))
                v2 = parse_number(m.group("n2")) if m.group("n2") else None
            except ValueError:
                continue
            scale = {"千分之": 0.1, "万分之": 0.01, "百万分之": 0.0001}.get(m.group("head"), 1.0)
            q = Quantity(m.start(), m.end(), "PERCENT", "quantity:pct.chinese", unit=m.group("head"), unit_normalized="%")
            self._set_values(q, round(v1 * scale, 10), None if v2 is None else round(v2 * scale, 10), 1.0)
            q.qualifier = self.qualifier(text, m.start(), m.end(), None)
            add(q)
        for m in self.jiao_fen.finditer(text):
            try:
                yuan = parse_number(m.group("yuan") or m.group("yuan2")) if (m.group("yuan") or m.group("yuan2")) else 0.0
                jiao = parse_number(m.group("jiao")) if m.group("jiao") else 0.0
                fen = parse_number(m.group("fen") or m.group("fen2")) if (m.group("fen") or m.group("fen2")) else 0.0
            except ValueError:
                continue
            v = round(yuan + jiao / 10 + fen / 100, 6)
            add(
                Quantity(
                    m.start(),
                    m.end(),
                    "MONEY",
                    "quantity:cur.cny_jiao_fen",
                    value=v,
                    unit="元",
                    unit_normalized="CNY",
                    value_normalized=v,
                    qualifier=self.qualifier(text, m.start(), m.end(), None),
                )
            )
        if self.money_symbol is not None:
            for m in self.money_symbol.finditer(text):
                try:
                    v = parse_number(m.group("n1"))
                except ValueError:
                    continue
                code = self.spec.currency_symbols[m.group("sym")]
                add(
                    Quantity(
                        m.start(),
                        m.end(),
                        "MONEY",
                        f"quantity:sym.{code.lower()}",
                        value=v,
                        unit=m.group("sym"),
                        unit_normalized=code,
                        value_normalized=v,
                        qualifier=self.qualifier(text, m.start(), m.end(), None),
                    )
                )
        for m in self.quantity.finditer(text):
            qty = self._quantity(text, m)
            if qty is not None:
                add(qty)
        for m in self.cheng.finditer(text):
            if m.group("special"):
                kind, v = m.group("special")[-1], 5.0 if m.group("special") == "半成" else 50.0
            else:
                kind, n = m.group("kind"), m.group("n1")
                n_value = float(n) if n[0].isdigit() else float(DIGITS[n])
                # 75折 is 75 %, 7折 and 6.5成 are 70 % and 65 %; 三成半 is 35 %
                v = n_value if kind == "折" and n_value >= 10 else n_value * 10.0
                v += 5.0 if m.group("half") else 0.0
            add(
                Quantity(
                    m.start(),
                    m.end(),
                    "PERCENT",
                    f"quantity:pct.{'cheng' if kind == '成' else 'zhe'}",
                    value=v,
                    unit=kind,
                    unit_normalized="%",
                    value_normalized=v,
                    qualifier=self.qualifier(text, m.start(), m.end(), None),
                )
            )
        found.sort(key=lambda q: q.start)
        return found

    def _set_values(self, q: Quantity, v1: float, v2: float | None, factor: float | None) -> None:
        if v2 is None:
            q.value = v1
            # 12 significant digits: 7nm is 7e-09 m, not 7.000000000000001e-09
            q.value_normalized = float(f"{v1 * factor:.12g}") if factor is not None else None
        else:
            q.value_low, q.value_high = v1, v2
            q.value_normalized = None

    def _not_after(self, text: str, start: int, kind: str | None) -> bool:
        """第7个 (an ordinal), “四个面向”, “1458” (code names): no quantity; “100万元” is one."""
        if self._ordinal is not None and self._ordinal.search(text, 0, start):
            return True
        return bool(self._quote is not None and self._quote.search(text, 0, start) and kind not in self._quoted_kinds)

    def _quantity(self, text: str, m: re.Match[str]) -> Quantity | None:
        start, end = m.start(), m.end()
        n1, n2 = m.group("n1"), m.group("n2")
        unit = self.units[m.group("unit")]
        if self._not_after(text, start, unit.kind):
            return None
        inner = re.search(r"\d([多余])[万亿]", n1)
        if inner:  # 40多万: the approximation inside the number
            n1 = n1.replace(inner.group(1), "", 1)
        if m.group("u1") and unit.kind != "percent":
            return None
        pair = _NEIGHBOURS.match(n1) if not n2 else None
        v2: float | None
        try:
            if pair is not None and DIGITS[pair.group(2)] == DIGITS[pair.group(1)] + 1:
                # 八九千万元, 三四十万, 两三个: two neighbouring digits are a rough range
                v1, v2 = parse_number(pair.group(1) + pair.group(3)), parse_number(pair.group(2) + pair.group(3))
            else:
                pair = None
                v1 = parse_number(n1)
                v2 = parse_number(n2) if n2 else None
        except ValueError:
            return None
        if m.group("sign"):  # -1.5%, 负2.1%, 负13.5千米
            v1 = -v1
        is_cn = not re.search(r"\d", n1)
        if is_cn and set(n1) <= set("万亿"):
            return None  # 万人发明专利, 每亿元: a multiplier alone is no number
        if is_cn and len(n1) == 1 and n1 in "十百千万" and unit.kind in ("counter", "noun", "time"):
            return None  # 千家万户, 百家, 百年大计: a bare multiplier before a measure word is an idiom, not a count
        if re.fullmatch(r"0\d+", n1):
            return None  # 07省道, 001号: a number with a leading zero is a code
        if is_cn and not n2 and set(n1) <= set("十百千万亿") and (n1[-1] + unit.text) in self.units:
            return None  # 千瓦级, 千米: a unit with no number (its first character is no multiplier here)
        if is_cn and v1 == 1 and v2 is None and unit.kind in ("counter", "noun"):
            return None  # 一批, 一个, 一级: the indefinite article
        if unit.requires_multiplier and not re.search(r"[万亿]", n1):
            return None
        if unit.kind == "time" and unit.text == "年" and v2 is None and not m.group("a1") and re.fullmatch(r"\d{4}", n1):
            return None  # a calendar year: the date grammar's job
        if unit.kind == "noun" and is_cn and len(n1) == 1:
            return None  # 两国, 三省: too often part of words
        half = (
            unit.kind in ("measure", "counter", "time")
            and v2 is None
            and text.startswith("半", end)
            and not text.startswith(("半年", "半月", "半天", "半小时", "半个"), end)
        )
        if half:  # 两吨半, 三斤半: half a unit more
            end += 1
            v1 += 0.5
        label = LABEL_OF_KIND[unit.kind]
        if unit.kind == "currency" and not m.group("sign") and self._currency_prefix is not None:
            prefix = self._currency_prefix.search(text, max(0, start - 4), start)
            if prefix is not None:  # 人民币8000元: the currency's name belongs to the amount
                start = prefix.start()
        q = Quantity(start, end, label, f"quantity:{unit.id}", unit=unit.text, unit_normalized=unit.normalized, kind=unit.kind)
        factor = unit.factor if unit.normalized else None
        per = None if half or self._per is None or unit.kind == "percent" else self._per.match(text, end)
        if per is not None:  # a rate: 0.45元/千瓦时 is 0.45 CNY per 3.6 MJ
            denominator = self.units.get(per.group("per"))
            q.end = end = per.end()
            q.unit = f"{unit.text}/{per.group('per')}"
            q.source = f"quantity:{unit.id}.rate"
            if unit.normalized and denominator is not None and denominator.normalized:
                q.unit_normalized = f"{unit.normalized}/{denominator.normalized}"
                factor = unit.factor / denominator.factor
            else:
                q.unit_normalized, factor = None, None
        self._set_values(q, v1, v2, factor)
        q.qualifier = self.qualifier(text, start, end, m.group("a2") or m.group("a1") or (inner.group(1) if inner else None))
        if pair is not None and q.qualifier == "=":
            q.qualifier = "~"
        return q

    @staticmethod
    def _date_ranges(text: str, dates: list[Quantity]) -> list[Quantity]:
        """Two dates joined by a range word are one DATE (2月4日至10日, 2月4日至2月10日)."""
        out: list[Quantity] = []
        for q in dates:
            prev = out[-1] if out else None
            if (
                prev is not None
                and prev.source == "date.absolute"
                and q.start == prev.end + 1
                and re.fullmatch(RANGE_SEP, text[prev.end])
                and prev.value_low is None
                and q.value_low is None
            ):
                out[-1] = Quantity(prev.start, q.end, "DATE", "date.absolute")
                continue
            out.append(q)
        return out

    def _date(self, m: re.Match[str]) -> Quantity:
        q = Quantity(m.start(), m.end(), "DATE", "date.absolute")
        part = m.group("year") or ""
        if part and re.search(RANGE_SEP, part) and not m.group("month"):
            lo, hi = re.split(RANGE_SEP, part[:-1], maxsplit=1)
            try:
                q.value_low, q.value_high, q.unit = parse_number(lo), parse_number(hi), "年"
            except ValueError:
                pass
        month = m.group("month2") if not m.group("year") else None
        if month and re.search(RANGE_SEP, month) and not m.group("day2"):
            lo, hi = re.split(RANGE_SEP, month.removesuffix("份")[:-1], maxsplit=1)
            q.value_low, q.value_high, q.unit = float(lo), float(hi), "月"
        return q


#: the unit table generated from CLDR (``make rules``), read beside ``units.yaml``
GENERATED_UNITS = "units_cldr.jsonl"


def load_grammar(path: str | Path | None = None, generated: str | Path | None = None) -> QuantityGrammar:
    """The grammar of ``units.yaml`` (hand-kept) and of the generated CLDR table beside it
    (``generated``, default ``units_cldr.jsonl`` in the same folder, if there is one): a
    generated unit or currency symbol whose text the hand-kept file has is left out, so the
    hand-kept meaning wins (吨 is a metric ton here, a US ton in CLDR)."""
    p = Path(path) if path else rule_path("units.yaml")
    spec = load_yaml(p, UnitFile)
    check_unique_ids(p, spec.units)
    check_unique_ids(p, spec.units, "text")
    if any(u.position != "after" for u in spec.units):
        raise RuleFileError(p, None, "units: a hand-kept unit stands after its number (symbols go in currency_symbols)")
    g = Path(generated) if generated else p.with_name(GENERATED_UNITS)
    if generated or g.is_file():
        extra = load_jsonl(g, Unit)
        check_unique_ids(g, extra + spec.units)
        hand = {u.text for u in spec.units}
        symbols = dict(spec.currency_symbols)
        after = []
        for u in extra:
            if u.position == "before":
                if u.kind != "currency" or not u.normalized:
                    raise RuleFileError(g, None, f"{u.id}: only a currency symbol with its code stands before a number")
                symbols.setdefault(u.text, u.normalized)
            elif u.text not in hand:
                after.append(u)
                hand.add(u.text)
        spec = spec.model_copy(update={"units": spec.units + after, "currency_symbols": symbols})
    return QuantityGrammar(spec)


@per_rules_folder
def default_grammar() -> QuantityGrammar:
    """The grammar of the rules read now, loaded once per folder."""
    return load_grammar()
