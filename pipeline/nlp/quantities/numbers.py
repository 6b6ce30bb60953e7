"""One number grammar for Chinese news: Arabic, Chinese and mixed numerals.

:func:`parse_number` turns the text of a number into its value:

* Arabic numerals with decimals and thousands separators: ``48838``,
  ``1,234.5``, ``112.96`` (full-width digits are made half-width upstream);
* Chinese numerals: ``一百二十三``, ``两千``, ``十二``, ``〇``/``零``, ``廿`` (20),
  ``卅`` (30), ``一万二千``, ``三点五``, digit strings ``二〇二三``;
* multipliers on either kind, also combined: ``2.4万亿`` = 2.4e12,
  ``1.27万`` = 12700, ``百万`` = 1e6, ``3千`` = 3000.

Approximation words (多, 余, 来, 几) and fractions (百分之, 成, 折) are handled
by the quantity grammar (:mod:`pipeline.nlp.quantities.grammar`), which calls this.
"""

from __future__ import annotations

import math
import re

DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
SPECIAL = {"廿": 20, "卅": 30, "卌": 40}

CN_DIGIT_CHARS = "".join(DIGITS)
_ARABIC = re.compile(r"^\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")


def _parse_chinese_int(text: str) -> int:
    """A Chinese integer numeral without a decimal point."""
    if all(ch in DIGITS for ch in text) and len(text) > 1:
        return int("".join(str(DIGITS[ch]) for ch in text))  # 二〇二三 -> 2023
    total = 0  # finished 亿/万 sections
    section = 0  # current section below 万
    number = 0  # digit waiting for its unit
    seen_any = False
    for ch in text:
        if ch in DIGITS:
            number = DIGITS[ch]
            seen_any = True
        elif ch in SPECIAL:
            number = SPECIAL[ch]
            seen_any = True
        elif ch in SMALL_UNITS:
            section += (number or 1) * SMALL_UNITS[ch]
            number = 0
            seen_any = True
        elif ch in BIG_UNITS:
            unit = BIG_UNITS[ch]
            section += number
            if unit == 100_000_000:
                total = (total + section) * unit
            else:
                total += (section or (0 if total else 1)) * unit
            section = number = 0
            seen_any = True
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    if not seen_any:
        raise ValueError(f"empty numeral: {text!r}")
    return total + section + number


def _parse_plain(text: str) -> float:
    """A numeral without trailing multipliers: Arabic, or Chinese (with 点)."""
    if _ARABIC.match(text):
        return float(text.replace(",", "").replace("，", ""))
    if "点" in text:
        whole, _, frac = text.partition("点")
        if not frac or not all(ch in DIGITS for ch in frac):
            raise ValueError(f"bad decimal numeral: {text!r}")
        return _parse_chinese_int(whole) + float("0." + "".join(str(DIGITS[ch]) for ch in frac))
    return float(_parse_chinese_int(text))


def multiplier(text: str) -> float:
    """Value of a multiplier string such as 万, 亿, 万亿, 百万, 千亿."""
    if not text:
        return 1.0
    value = 1.0
    pending = 1.0
    for ch in text:
        if ch in SMALL_UNITS:
            pending *= SMALL_UNITS[ch]
        elif ch in BIG_UNITS:
            value *= pending * BIG_UNITS[ch]
            pending = 1.0
        else:
            raise ValueError(f"not a multiplier: {text!r}")
    return value * pending


#: largest value a numeral may have: beyond it a "number" is a run of digits, not a figure
MAX_VALUE = 1e30


def parse_number(text: str) -> float:
    """Value of a numeral; raises ValueError when ``text`` is not one, or is out of
    range (一一一…一 three hundred times reads digit by digit as 10^310)."""
    try:
        value = _parse_number(text)
    except OverflowError:
        raise ValueError(f"numeral out of range: {text[:20]!r}") from None
    if not math.isfinite(value) or abs(value) > MAX_VALUE:
        raise ValueError(f"numeral out of range: {text[:20]!r}")
    return value


def _parse_number(text: str) -> float:
    text = text.strip()
    if not text:
        raise ValueError("empty numeral")
    # Arabic digits followed by Chinese multipliers: 2.4万亿, 1.27万, 3千
    m = re.fullmatch(r"(\d+(?:[,，]\d{3})*(?:\.\d+)?)([十百千万亿]*)", text)
    if m:
        return _parse_plain(m.group(1)) * multiplier(m.group(2))
    # a bare multiplier: 百万, 千万, 万
    if all(ch in "十百千万亿" for ch in text) and text[0] in "百千万亿":
        return multiplier(text)
    # Chinese with 点: 三点五万 -> 3.5 * 万
    if "点" in text:
        head, _, tail = text.partition("点")
        frac = "".join(ch for ch in tail if ch in DIGITS)
        mult = tail[len(frac) :]
        return _parse_plain(f"{head}点{frac}") * multiplier(mult)
    return float(_parse_chinese_int(text))


# -- formatting (used by tests and the property test) ---------------------------
_CN = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """Standard Chinese numeral of a non-negative integer (for round trips)."""
    if n == 0:
        return "零"
    if n < 0:
        raise ValueError("negative")

    def below_10000(x: int, leading: bool) -> str:
        out = []
        units = [(1000, "千"), (100, "百"), (10, "十"), (1, "")]
        zero = False
        started = False
        for value, name in units:
            d = x // value
            x %= value
            if d:
                if zero and started:
                    out.append("零")
                zero = False
                if not (name == "十" and d == 1 and not started and leading):
                    out.append(_CN[d])
                out.append(name)
                started = True
            elif started:
                zero = True
        return "".join(out)

    parts = []
    yi, rest = divmod(n, 100_000_000)
    wan, low = divmod(rest, 10_000)
    if yi:
        parts.append(to_chinese(yi) + "亿")
    if wan:
        if yi and wan < 1000:
            parts.append("零")
        parts.append(below_10000(wan, not yi) + "万")
    if low:
        if (yi or wan) and low < 1000:
            parts.append("零")
        parts.append(below_10000(low, not (yi or wan)))
    return "".join(parts)
