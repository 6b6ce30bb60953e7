"""Character-level normalisation steps (``OText -> OText``), textacy style.

* :func:`to_half_width` -- full-width ASCII digits, letters and the symbols
  that are not Chinese punctuation (``％ ． ＋ －`` ...) become half-width;
  the ideographic space becomes a space. Chinese punctuation (``，。：；！？（）
  “”《》、``) is kept as it is.
* :func:`remove_stray_spaces` -- whitespace between two CJK characters (or
  CJK punctuation) is an artefact of print layouts and is removed; spaces
  next to Latin words or digits are kept.
* :func:`collapse_heading_spaces` -- in headings a whitespace run between two
  CJK characters separates headline parts: it is kept as one space, and
  removed next to punctuation.
* :func:`find_latin_words` -- Latin words standing between spaces inside
  Chinese text (``科研机构 and 科技领军企业``), which are usually extraction
  or translation artefacts worth a look.
"""

from __future__ import annotations

import re

from pipeline.cleaning.otext import OText
from pipeline.records import LatinWord

# Full-width forms kept as they are: these are Chinese punctuation.
_KEEP_FULL_WIDTH = set("！＂＇（），：；？［］｛｝～｀")
HALF_WIDTH = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP_FULL_WIDTH}
HALF_WIDTH[0x3000] = " "  # ideographic space
# Other spaces from PDF/HTML extraction.
for _cp in (0x00A0, 0x2002, 0x2003, 0x2009, 0x200A, 0x202F, 0x205F):
    HALF_WIDTH[_cp] = " "

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2014\u2026\u2018\u2019\u201c\u201d\u00b7"
_SPACE = "[ \t\u00a0\u3000]+"

_STRAY_SPACES = re.compile(f"(?<=[{CJK}{CJK_PUNCT}]){_SPACE}(?=[{CJK}{CJK_PUNCT}])")
_HEADING_SPACES = re.compile(f"(?<=[{CJK}{CJK_PUNCT}A-Za-z0-9]){_SPACE}(?=[{CJK}{CJK_PUNCT}A-Za-z0-9])")
_PUNCT = re.compile(f"[{CJK_PUNCT}]")
_LATIN_WORD = re.compile(f"(?<=[{CJK}{CJK_PUNCT}]){_SPACE}([A-Za-z][A-Za-z'\\-]*){_SPACE}(?=[{CJK}{CJK_PUNCT}])")


def to_half_width(ot: OText) -> OText:
    return ot.translate(HALF_WIDTH)


def half_width(text: str) -> str:
    """``text`` with full-width ASCII forms and the ideographic space in half width, one
    character for one (offsets stay): what the segmenter and the quantities read."""
    return text.translate(HALF_WIDTH)


def remove_stray_spaces(ot: OText) -> OText:
    return ot.delete_matches(_STRAY_SPACES)


def collapse_heading_spaces(ot: OText) -> OText:
    spans = []
    text = ot.text
    for m in _HEADING_SPACES.finditer(text):
        before, after = text[m.start() - 1], text[m.end()]
        if _PUNCT.match(before) or _PUNCT.match(after):
            spans.append(m.span())  # "管理： 发布" -> "管理：发布"
        elif m.end() - m.start() > 1:
            spans.append((m.start() + 1, m.end()))  # keep one separator
    out = ot.delete(spans)
    # the kept separator may be a tab or an ideographic space: make it a space
    return out.translate({ord("\t"): " ", 0x3000: " ", 0xA0: " "})


def strip_line(ot: OText) -> OText:
    return ot.strip(" \t\u3000\u00a0\r\n\f\v")


def find_latin_words(text: str) -> list[LatinWord]:
    return [LatinWord(m.group(1), m.start(1), m.end(1)) for m in _LATIN_WORD.finditer(text)]


def normalize_paragraph(ot: OText) -> OText:
    return ot.pipe(strip_line, to_half_width, remove_stray_spaces)


def normalize_heading(ot: OText) -> OText:
    return ot.pipe(strip_line, to_half_width, collapse_heading_spaces)
