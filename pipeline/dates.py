"""Time expressions to date intervals: ``2022年`` → 2022-01-01/2022-12-31.

The language is in ``rules/dates.yaml`` (patterns with ids, the prefixes and suffixes
that open an interval, relative year words, examples); this module holds the fixed set
of interval builders (:data:`KINDS`) the rules name, and the publication date logic.

    resolver = DateResolver.load()
    resolver.resolve("截至6月底", date(2023, 7, 11))
    # Interval(start=None, end=date(2023, 6, 30), precision='period', rule='date.month_end')

A stage-level function, :func:`resolve_entities`, fills ``date_start``, ``date_end`` and
``date_precision`` of DATE entities from their article's publication date.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal, cast

from pydantic import Field, field_validator

from pipeline.rules import RuleFileError, StrictModel, alternation, check_unique_ids, load_yaml, one_of, rule_path

Precision = Literal["year", "half", "quarter", "month", "day", "period"]
_QUOTES = "“”\"'‘’《》「」"
_CN_DIGITS = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}
#: {N}: a number in Arabic or Chinese numerals (元月 is January, 首季 the first quarter);
#: {Y}: a four-digit year
_MACROS = {
    "{N}": r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3}|元|首)",
    "{Y}": r"(?P<year>\d{4}|[〇○零一二三四五六七八九]{4})",
}


class Example(StrictModel):
    text: str
    published: date
    start: date | None
    end: date | None
    source: str = Field(pattern=r"^(seed|ours|pd1998|dev:[\w-]+)$")


class AffixRule(StrictModel):
    id: str
    words: list[str] = Field(min_length=1)
    means: Literal["until", "since", "same", "since_until_published"]


class DateRule(StrictModel):
    id: str = Field(pattern=r"^date\.[a-z_]+$")
    pattern: str
    kind: str
    precision: Precision | None = None
    year_offset: int | None = None
    days: int | None = None
    examples: list[Example] = Field(min_length=2)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        return one_of(value, KINDS, "kind")


class DateRules(StrictModel):
    version: int
    prefixes: list[AffixRule] = []
    suffixes: list[AffixRule] = []
    time_of_day: str = ""
    year_offsets: dict[str, int]
    day_offsets: dict[str, int] = {}
    solar_holidays: dict[str, tuple[int, int]] = {}
    weekday_holidays: dict[str, tuple[int, int, int]] = {}
    lunar_holidays: dict[str, tuple[int, int]] = {}
    rules: list[DateRule] = Field(min_length=1)


@dataclass(frozen=True)
class Interval:
    start: date | None
    end: date | None
    precision: str | None
    rule: str | None


# -- numbers and calendar helpers ----------------------------------------------------------


def _number(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    if text in ("元", "首"):
        return 1
    if len(text) == 4 and all(ch in _CN_DIGITS for ch in text):  # 一九九八: digit by digit
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    from pipeline.nlp.quantities.numbers import parse_number

    try:
        return int(parse_number(text))
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _Context:
    """What a builder needs: the match's groups, the rule, the publication date, the offsets."""

    def __init__(self, m: re.Match, rule: DateRule, published: date | None, tables: DateRules):
        self.m, self.rule, self.published, self.tables = m, rule, published, tables

    def group(self, name: str) -> str | None:
        return self.m.groupdict().get(name)

    def num(self, name: str) -> int | None:
        return _number(self.group(name))

    def year(self, end_month: int | None = None, nearest: bool = True) -> int | None:
        """The year written, or counted from publication (an offset word), or the year of
        publication (the year before when the time would end over six months after it)."""
        written = self.num("year")
        if written is not None:
            return written
        if self.published is None:
            return None
        offset = self.group("offset")
        if offset is not None or self.rule.year_offset is not None:
            return self.published.year + (self.tables.year_offsets.get(offset, 0) if offset else 0) + (self.rule.year_offset or 0)
        if nearest and end_month is not None and end_month > self.published.month + 6:
            return self.published.year - 1
        return self.published.year


def _day(c: _Context):
    month, day = c.num("month"), c.num("day")
    if month is None and day is None:  # 今天
        return (c.published, c.published) if c.published else None
    year = c.year(month)
    if year is None or month is None or day is None:
        return None
    d = date(year, month, day)
    return d, d


def _day_of_month(c: _Context):
    """A day without its month (10日): in the month of publication, or the month before
    when it would fall over ten days after publication (30日 in a paper of the 5th)."""
    day = c.num("day")
    if c.published is None or day is None:
        return None
    year, month = c.published.year, c.published.month
    if day > c.published.day + 10:
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    d = date(year, month, day)
    return d, d


def _month(c: _Context):
    month = c.num("month")
    year = c.year(month)
    if year is None or month is None:
        return None
    return date(year, month, 1), _month_end(year, month)


def _year(c: _Context):
    year = c.year()
    return None if year is None else (date(year, 1, 1), date(year, 12, 31))


def _year_range(c: _Context):
    y1, y2 = c.num("year"), c.num("year2")
    return None if y1 is None or y2 is None or y2 < y1 else (date(y1, 1, 1), date(y2, 12, 31))


def _month_range(c: _Context):
    m1, m2 = c.num("month"), c.num("month2")
    if m1 is None or m2 is None or m2 < m1:
        return None
    year = c.year(m2)
    return None if year is None else (date(year, m1, 1), _month_end(year, m2))


def _day_range(c: _Context):
    month, d1, d2 = c.num("month"), c.num("day"), c.num("day2")
    month2 = c.num("month2") or month
    year = c.year(month2)
    if year is None or month is None or d1 is None or d2 is None:
        return None
    assert month2 is not None  # it falls back on month
    start, end = date(year, month, d1), date(year, month2, d2)
    return None if end < start else (start, end)


def _xun(c: _Context):
    """上旬 days 1-10, 中旬 11-20, 下旬 21 to the month's end."""
    month = c.num("month")
    year = c.year(month)
    if year is None or month is None:
        return None
    # the groups a kind's builder reads are in its rules' patterns, so they matched (casts below too)
    first = {"上": 1, "中": 11, "下": 21}[cast(str, c.group("xun"))]
    last = _month_end(year, month) if first == 21 else date(year, month, first + 9)
    return date(year, month, first), last


def _first_months(c: _Context):
    n = c.num("months")
    if n is None or not 1 <= n <= 12:
        return None
    year = c.year(n)
    return None if year is None else (date(year, 1, 1), _month_end(year, n))


def _day_offset(c: _Context):
    if c.published is None:
        return None
    d = c.published + timedelta(days=c.tables.day_offsets[cast(str, c.group("dayword"))])
    return d, d


def _solar_holiday(c: _Context):
    month, day = c.tables.solar_holidays[cast(str, c.group("holiday"))]
    year = c.year(month)
    if year is None:
        return None
    d = date(year, month, day)
    return d, d


def _weekday_holiday(c: _Context):
    month, nth, weekday = c.tables.weekday_holidays[cast(str, c.group("holiday"))]
    year = c.year(month)
    if year is None:
        return None
    first = date(year, month, 1)
    d = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    return d, d


def _lunar_to_solar(year: int, month: int, day: int) -> date | None:
    """The solar date of a lunar (month, day) that falls in solar ``year`` (腊八 of the
    lunar year before falls in January); 除夕 is (0, 0): the eve of the new year."""
    from lunardate import LunarDate

    try:
        if (month, day) == (0, 0):
            new_year = _lunar_to_solar(year, 1, 1)
            return new_year - timedelta(days=1) if new_year else None
        for lunar_year in (year, year - 1):
            solar = LunarDate(lunar_year, month, day)
            solar = solar.to_solar_date() if hasattr(solar, "to_solar_date") else solar.toSolarDate()
            if solar.year == year:
                return solar
    except ValueError:  # outside the table (1900-2099), or no such day
        return None
    return None


def _lunar_holiday(c: _Context):
    month, day = c.tables.lunar_holidays[cast(str, c.group("holiday"))]
    year = c.year(None)
    d = None if year is None else _lunar_to_solar(year, month, day)
    return None if d is None else (d, d)


def _lunar_new_year_day(c: _Context):
    day = c.num("lday")
    year = c.year(None)
    d = None if year is None or day is None else _lunar_to_solar(year, 1, day)
    return None if d is None else (d, d)


def _month_end_kind(c: _Context):
    month = c.num("month")
    year = c.year(month)
    if year is None or month is None:
        return None
    d = _month_end(year, month)
    return d, d


def _year_end(c: _Context):
    year = c.year(nearest=False)
    return None if year is None else (date(year, 12, 31), date(year, 12, 31))


def _half(c: _Context):
    first = c.group("half") == "上"
    year = c.year(6 if first else 12)
    if year is None:
        return None
    return (date(year, 1, 1), date(year, 6, 30)) if first else (date(year, 7, 1), date(year, 12, 31))


def _quarter(c: _Context):
    q = c.num("quarter")
    if q is None or not 1 <= q <= 4:
        return None
    year = c.year(3 * q)
    return None if year is None else (date(year, 3 * q - 2, 1), _month_end(year, 3 * q))


def _first_quarters(c: _Context):
    q = c.num("quarters")
    if q is None or not 1 <= q <= 4:
        return None
    year = c.year(3 * q)
    return None if year is None else (date(year, 1, 1), _month_end(year, 3 * q))


def _years_ago(c: _Context):
    n = c.num("years")
    if n is None or c.published is None:
        return None
    year = c.published.year - n
    return date(year, 1, 1), date(year, 12, 31)


def _future_years(c: _Context):
    n = c.num("years")
    if n is None or c.published is None:
        return None
    return c.published, _add_years(c.published, n) - timedelta(days=1)


def _five_year_plan(c: _Context):
    n = c.num("plan")  # 一五 1953-1957, 二五 1958-1962, then three years of adjustment: 三五 1966-1970
    if n is None or not 1 <= n <= 20:
        return None
    start = 1953 + 5 * (n - 1) if n <= 2 else 1966 + 5 * (n - 3)
    return date(start, 1, 1), date(start + 4, 12, 31)


def _recent_days(c: _Context):
    if c.published is None:
        return None
    return c.published - timedelta(days=c.rule.days or 10), c.published


#: kind -> (builder, precision of its interval)
KINDS = {
    "day": (_day, "day"),
    "day_of_month": (_day_of_month, "day"),
    "month": (_month, "month"),
    "year": (_year, "year"),
    "year_range": (_year_range, "period"),
    "month_range": (_month_range, "period"),
    "day_range": (_day_range, "period"),
    "xun": (_xun, "period"),
    "first_months": (_first_months, "period"),
    "day_offset": (_day_offset, "day"),
    "solar_holiday": (_solar_holiday, "day"),
    "weekday_holiday": (_weekday_holiday, "day"),
    "lunar_holiday": (_lunar_holiday, "day"),
    "lunar_new_year_day": (_lunar_new_year_day, "day"),
    "month_end": (_month_end_kind, "day"),
    "year_end": (_year_end, "day"),
    "half": (_half, "half"),
    "quarter": (_quarter, "quarter"),
    "first_quarters": (_first_quarters, "period"),
    "years_ago": (_years_ago, "year"),
    "future_years": (_future_years, "period"),
    "five_year_plan": (_five_year_plan, "period"),
    "recent_days": (_recent_days, "period"),
}


class DateResolver:
    def __init__(self, rules: DateRules, path: str = "rules/dates.yaml"):
        self.rules = rules
        check_unique_ids(path, rules.rules)
        tables = {
            "{OFFSET}": alternation(rules.year_offsets),
            "{DAYWORD}": alternation(rules.day_offsets),
            "{SOLAR}": alternation(rules.solar_holidays),
            "{WEEKDAY_HOLIDAY}": alternation(rules.weekday_holidays),
            "{LUNAR}": alternation(rules.lunar_holidays),
        }
        self._time_of_day = re.compile(f"(.+?)(?:{rules.time_of_day})") if rules.time_of_day else None
        self._compiled: list[tuple[DateRule, re.Pattern]] = []
        for rule in rules.rules:
            source = rule.pattern
            for macro, regex in tables.items():
                source = source.replace(macro, regex)
            for macro, regex in _MACROS.items():
                source = source.replace(macro, regex)
            try:
                self._compiled.append((rule, re.compile(source)))
            except re.error as exc:
                raise RuleFileError(path, None, f"rules[{rule.id}].pattern: {exc}") from None
        self._prefixes = sorted(((w, a) for a in rules.prefixes for w in a.words), key=lambda x: -len(x[0]))
        self._suffixes = sorted(((w, a) for a in rules.suffixes for w in a.words), key=lambda x: -len(x[0]))

    def suffix_after(self, text: str, pos: int, min_len: int = 2) -> str:
        """The suffix word of these rules (以来, 期间, 为止 …) of ``min_len`` characters or more that
        stands at ``pos`` of ``text`` (right after a time expression), or ''."""
        return next((w for w, _ in self._suffixes if len(w) >= min_len and text.startswith(w, pos)), "")

    @classmethod
    def load(cls, path=None) -> DateResolver:
        path = path or rule_path("dates.yaml")
        return cls(load_yaml(path, DateRules), str(path))

    def resolve(self, text: str, published: date | None) -> Interval | None:
        """The interval of ``text`` (a whole time expression), or ``None`` when no rule
        covers it or it needs a publication date that is unknown."""
        core = text.strip().strip(_QUOTES)
        found = self._match(core, published)
        if found is not None:
            return found
        if self._time_of_day is not None:  # 1月2日下午3时15分: the day
            m = self._time_of_day.fullmatch(core)
            if m is not None and m.group(1) != core:
                found = self._match(m.group(1), published)
                if found is not None and found.precision == "day":
                    return found
        opening = closing = None
        for word, affix in self._prefixes:
            if core.startswith(word) and len(core) > len(word):
                core, opening = core[len(word) :].strip(_QUOTES), affix
                break
        for word, affix in self._suffixes:
            if core.endswith(word) and len(core) > len(word):
                core, closing = core[: -len(word)].strip(_QUOTES), affix
                break
        if opening is None and closing is None:
            return None
        inner = self._match(core, published)
        if inner is None:
            return None
        start, end, precision = inner.start, inner.end, inner.precision
        if closing is not None and closing.means == "same" and precision == "day":
            return None  # 春节期间: the days around a day, which the expression does not bound
        for edge in (opening, closing):
            if edge is None or edge.means == "same":
                continue
            if edge.means == "until":
                start = None
            elif edge.means == "since":
                end = None
            elif edge.means == "since_until_published":
                end = published
            precision = "period"
        return Interval(start, end, precision, inner.rule)

    def _match(self, text: str, published: date | None) -> Interval | None:
        for rule, regex in self._compiled:
            m = regex.fullmatch(text)
            if m is None:
                continue
            builder, precision = KINDS[rule.kind]
            try:
                span = builder(_Context(m, rule, published, self.rules))
            except ValueError:  # 2月30日
                span = None
            if span is None:  # a number that is none (三四月份 for 月), or no publication date
                continue
            return Interval(span[0], span[1], rule.precision or precision, rule.id)
        return None


@lru_cache(maxsize=4)
def _resolver(path: str) -> DateResolver:
    return DateResolver.load(path)


def resolver() -> DateResolver:
    return _resolver(str(rule_path("dates.yaml")))


def resolve_entities(entities: Iterable, published_of_article: Mapping[str, date | None]) -> None:
    """Fill ``date_start``, ``date_end``, ``date_precision`` of each DATE entity, resolved
    against its article's publication date (unresolvable: left null)."""
    r = resolver()
    for e in entities:
        if e.label != "DATE":
            continue
        found = r.resolve(e.text, published_of_article.get(e.article_id))
        if found is not None and (found.start or found.end):
            e.date_start, e.date_end, e.date_precision = found.start, found.end, found.precision


def resolve_relation_times(relations: Iterable, published_of_article: Mapping[str, date | None]) -> None:
    """Add ``time_start`` and ``time_end`` to the attributes of relations that carry a time
    phrase (metrics): what lets their figures be sorted and plotted by period."""
    r = resolver()
    for rel in relations:
        phrase = (rel.attrs or {}).get("time")
        if not phrase:
            continue
        found = r.resolve(phrase, published_of_article.get(rel.article_id))
        if found is not None and (found.start or found.end):
            rel.attrs["time_start"], rel.attrs["time_end"] = found.start, found.end


# -- publication dates -----------------------------------------------------------------

_ISO = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-/.年_]?(0[1-9]|1[0-2]|[1-9](?=\D))[-/.月_]?(0[1-9]|[12]\d|3[01]|[1-9](?!\d))日?(?!\d)"
)


def parse_date(text: str | None) -> date | None:
    """A calendar date written in ``text`` (2023-07-11, 2023/7/11, 20230711, 2023年7月11日,
    an ISO timestamp), or ``None``."""
    if not text:
        return None
    m = _ISO.search(str(text))
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def date_in_path(path: str) -> date | None:
    """The last date written in a file's path (``2023-07-11/page1.txt``, ``rmrb20230711.txt``)."""
    found = None
    for m in _ISO.finditer(path):
        try:
            found = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
    return found


_DATELINE = re.compile(r"(?P<month>\d{1,2}|[一二三四五六七八九十]{1,3})月(?P<day>\d{1,2}|[一二三四五六七八九十]{1,3})日")


def dateline_date(dateline: str | None, published: date | None) -> date | None:
    """The date of a dateline (新华社北京7月10日电 → 7月10日) in the year that puts it
    nearest before the paper's publication date; ``None`` without both."""
    if not dateline or published is None:
        return None
    m = _DATELINE.search(dateline)
    if m is None:
        return None
    month, day = _number(m.group("month")), _number(m.group("day"))
    if month is None or day is None:  # (what date() below answers with a TypeError)
        return None
    for year in (published.year, published.year - 1):
        try:
            d = date(year, month, day)
        except (TypeError, ValueError):
            return None
        if d <= published + timedelta(days=1):
            return d
    return None
