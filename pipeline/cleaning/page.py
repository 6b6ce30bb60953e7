"""Page layout: raw page text -> article drafts.

A page is read line by line. Each line is classified (blank, heading,
continuation marker, byline, photo credit, paragraph); blank lines group
lines into blocks. Then:

* a heading starts a new article when it is at the page's top heading level,
  or when a byline or a dateline follows it; otherwise it is a section
  heading inside the current article. A short unpunctuated line followed by
  a byline is a headline too (pages without Markdown ``#``).
* ``（上接1版）`` starts a continuation fragment, an article of its own that
  records the page it continues from; ``（下转2版）`` records where it goes on.
* a block that ends in a photo credit (``… 摄``) is a caption: it leaves the
  running text and becomes a caption record of the current article.

Everything here works on raw offsets; :mod:`pipeline.cleaning.article`
turns drafts into clean text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.bylines import Byline, BylineParser

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(\S.*?)[ \t#]*$")
_CONTINUED_FROM = re.compile(r"^[（(]\s*(?:上接|接上)\s*(?:第)?\s*([A-Za-z0-9０-９一二三四五六七八九十]+)\s*版\s*[）)]")
_CONTINUED_TO = re.compile(r"[（(]\s*(?:下转|转)\s*(?:第)?\s*([A-Za-z0-9０-９一二三四五六七八九十]+)\s*版\s*[）)]\s*$")
_FINAL = "。！？!?…；;"
_CLOSERS = "”’」』）)】]》〉\"'"
_MAX_HEADLINE = 60


@dataclass
class Line:
    start: int  # raw offset of the first character
    end: int  # raw offset after the last character (newline excluded)
    text: str
    kind: str = "para"  # blank | heading | continued | byline | credit | para
    level: int = 0
    content_start: int = 0  # raw offset where the content begins (after '#', markers)
    byline: Byline | None = None
    page: str | None = None


@dataclass
class Item:
    kind: str  # heading | para
    start: int
    end: int


@dataclass
class CaptionDraft:
    start: int
    end: int
    credit: Byline


@dataclass
class ArticleDraft:
    headline: Item | None = None
    items: list[Item] = field(default_factory=list)
    bylines: list[Byline] = field(default_factory=list)
    captions: list[CaptionDraft] = field(default_factory=list)
    continued_from: str | None = None
    continued_to: str | None = None
    start: int = -1  # raw extent of everything the article holds (-1: nothing yet)
    end: int = -1

    def extend(self, start: int, end: int) -> None:
        self.start = start if self.start < 0 else min(self.start, start)
        self.end = max(self.end, end)


def split_lines(raw: str) -> list[Line]:
    lines = []
    for m in _LINE.finditer(raw):
        if m.start() == len(raw):
            break
        text = m.group().rstrip("\r\n")
        lines.append(Line(m.start(), m.start() + len(text), text))
    return lines


def ends_sentence(text: str) -> bool:
    t = text.rstrip()
    while t and t[-1] in _CLOSERS:
        t = t[:-1]
    return bool(t) and t[-1] in _FINAL


# a photo credit at the end of the caption's own line, after its last sentence (…节日快乐。 王铮 杨东辉 摄)
_TRAILING_CREDIT = re.compile(r"^(?P<caption>.*[。！？!?”）)])[ \t\u3000]*(?P<credit>[^。！？!?]{2,60}摄)[ \t\u3000]*$")


def split_trailing_credits(lines: list[Line], parser: BylineParser) -> list[Line]:
    """A caption line that ends in its photo credit becomes two lines, the caption and the
    credit, so that the caption block is found as when print puts the credit on its own line."""
    out = []
    for line in lines:
        m = _TRAILING_CREDIT.match(line.text)
        if m and not parser.is_photo_credit(line.text.strip()) and parser.is_photo_credit(m.group("credit").strip()):
            cut = m.start("credit")
            out.append(Line(line.start, line.start + m.end("caption"), line.text[: m.end("caption")]))
            out.append(Line(line.start + cut, line.end, line.text[cut:]))
            continue
        out.append(line)
    return out


def classify(lines: list[Line], parser: BylineParser) -> None:
    for line in lines:
        stripped = line.text.strip()
        lead = len(line.text) - len(line.text.lstrip())
        line.content_start = line.start + lead
        if not stripped:
            line.kind = "blank"
            continue
        m = _HEADING.match(stripped)
        if m:
            line.kind, line.level = "heading", len(m.group(1))
            line.content_start = line.start + lead + m.start(2)
            continue
        m = _CONTINUED_FROM.match(stripped)
        if m:
            line.kind, line.page = "continued", m.group(1) + "版"
            line.content_start = line.start + lead + m.end()
            continue
        credit = parser.is_photo_credit(stripped)
        byline = credit or parser.parse(stripped)
        if byline:
            line.kind, line.byline = ("credit" if credit else "byline"), byline
            byline.start, byline.end = line.start + lead, line.start + lead + len(stripped)


def _next_content(lines: list[Line], i: int) -> Line | None:
    for line in lines[i + 1 :]:
        if line.kind != "blank":
            return line
    return None


def parse_page(raw: str, parser: BylineParser) -> list[ArticleDraft]:
    """The page's articles, drafted from its classified lines (offsets into ``raw``)."""
    lines = split_trailing_credits(split_lines(raw), parser)
    classify(lines, parser)
    top_level = min((ln.level for ln in lines if ln.kind == "heading"), default=1)
    caption_of = _caption_blocks(lines)
    articles: list[ArticleDraft] = []
    current: ArticleDraft | None = None

    def new_article() -> ArticleDraft:
        nonlocal current
        current = ArticleDraft()
        articles.append(current)
        return current

    for idx, line in enumerate(lines):
        if line.kind == "blank":
            continue
        if idx in caption_of:
            caption = caption_of[idx]
            if caption is not None:
                art = current or new_article()
                art.captions.append(caption)
                art.extend(min(caption.start, line.start), line.end)
            continue
        nxt = _next_content(lines, idx)
        kind = line.kind
        if kind == "para" and nxt is not None and nxt.kind == "byline":
            stripped = line.text.strip()
            if len(stripped) <= _MAX_HEADLINE and not ends_sentence(stripped):
                kind, line.level = "heading", top_level  # an unmarked headline
        if kind == "heading":
            starts_article = (
                current is None
                or line.level <= top_level
                or (nxt is not None and nxt.kind == "byline")
                or (nxt is not None and nxt.kind == "para" and parser.match_dateline(nxt.text.strip()) is not None)
            )
            item = Item("heading", line.content_start, line.end)
            if starts_article:
                art = new_article()
                art.headline = item
            else:
                art = current  # type: ignore[assignment]
                art.items.append(item)
            art.extend(line.start, line.end)
        elif kind == "continued":
            art = new_article()
            art.continued_from = line.page
            art.extend(line.start, line.end)
            if line.content_start < line.end and line.text[line.content_start - line.start :].strip():
                art.items.append(Item("para", line.content_start, line.end))
        elif kind in ("byline", "credit"):
            art = current or new_article()
            art.bylines.append(line.byline)  # type: ignore[arg-type]
            art.extend(line.start, line.end)
        else:
            _add_paragraph(current or new_article(), line)
    return [a for a in articles if a.headline or a.items or a.captions]


def _add_paragraph(art: ArticleDraft, line: Line) -> None:
    """A body line to its article, up to a "（下转N版）" it ends with (the article's continuation)."""
    end = line.end
    m = _CONTINUED_TO.search(line.text)
    if m:
        art.continued_to = m.group(1) + "版"
        end = line.start + m.start()
    if line.text[line.content_start - line.start : end - line.start].strip():
        art.items.append(Item("para", line.content_start, end))
    art.extend(line.start, line.end)


def _caption_blocks(lines: list[Line]) -> dict[int, CaptionDraft | None]:
    """Caption blocks: consecutive non-blank lines whose last line is a credit, and only plain
    lines above it. Per line index of a block: its caption on the credit's line, None on the others."""
    caption_of: dict[int, CaptionDraft | None] = {}
    i = 0
    while i < len(lines):
        if lines[i].kind == "blank":
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and lines[j + 1].kind != "blank":
            j += 1
        if lines[j].kind == "credit":
            body = [ln for ln in lines[i:j] if ln.kind == "para"]
            if len(body) == j - i:  # only plain lines above the credit
                cap = CaptionDraft(
                    start=body[0].content_start if body else lines[j].content_start,
                    end=body[-1].start + len(body[-1].text.rstrip()) if body else lines[j].content_start,
                    credit=lines[j].byline,  # type: ignore[arg-type]
                )
                for k in range(i, j + 1):
                    caption_of[k] = cap if k == j else None
        i = j + 1
    return caption_of
