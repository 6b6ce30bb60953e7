"""Article drafts -> clean :class:`Article` records with an exact offset map.

For each draft: normalise the headline and every paragraph, take a dateline
off the first paragraph into metadata, join paragraphs split by column
breaks (a paragraph that ends without sentence-final punctuation and goes on
in the next one), flag an article that ends mid-sentence as ``truncated``,
and join the lines with ``\\n`` into ``clean_text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.bylines import Byline, BylineParser
from pipeline.cleaning.normalize import (
    find_latin_words,
    normalize_heading,
    normalize_paragraph,
    strip_line,
    to_half_width,
)
from pipeline.cleaning.otext import OText
from pipeline.cleaning.page import ArticleDraft, ends_sentence
from pipeline.records import Article, Caption

# A paragraph ending in one of these introduces what follows: a real boundary.
_INTRODUCES = ("：", ":", "——", "—", "－－")
# A paragraph starting like this is a list item or a new unit, not a continuation.
_LIST_START = re.compile(
    r"^(?:[一二三四五六七八九十]+[、．.]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、．.](?!\d)|[■□●◆◇▲△○◎★☆·•\-*]|#)"
)


@dataclass
class Line:
    kind: str  # headline | heading | body
    ot: OText


def is_column_break(prev: OText, nxt: OText) -> bool:
    """Whether paragraph ``prev`` runs on into ``nxt`` (a column break to join)."""
    text = prev.text
    if not text or not nxt.text or ends_sentence(text):
        return False
    if text.endswith(_INTRODUCES):
        return False
    return not _LIST_START.match(nxt.text)


def _merge(people: list[str], more: list[str]) -> None:
    for name in more:
        if name not in people:
            people.append(name)


def build_article(draft: ArticleDraft, raw: str, doc_id: str, index: int, parser: BylineParser) -> Article:
    headline_ot = None
    if draft.headline is not None:
        headline_ot = normalize_heading(OText.from_raw(raw, draft.headline.start, draft.headline.end))

    bylines: list[Byline] = list(draft.bylines)
    # text that is metadata, not running text: kept with its offsets so that
    # later stages can still find entities in it (bylines name papers and people)
    segments: list[tuple[str, OText]] = [
        ("byline", to_half_width(OText.from_raw(raw, b.start, b.end))) for b in draft.bylines if b.start >= 0 and b.end > b.start
    ]
    lines, joined, dateline = _body_lines(draft, raw, parser, bylines, segments)
    agency, place, date = dateline

    all_lines = ([Line("headline", headline_ot)] if headline_ot is not None and len(headline_ot) else []) + lines
    clean = OText.join([ln.ot for ln in all_lines], sep="\n")

    reporters: list[str] = []
    correspondents: list[str] = []
    photographers: list[str] = []
    for b in bylines:
        agency = agency or b.agency
        _merge(reporters, b.reporters)
        _merge(correspondents, b.correspondents)
        _merge(photographers, b.photographers)
    captions = _captions(draft, raw, segments, photographers)

    headline = subheadline = None
    if headline_ot is not None and len(headline_ot):
        parts = headline_ot.text.split(" ")
        headline = parts[0]
        subheadline = " ".join(parts[1:]) or None

    body_lines = [ln for ln in lines if ln.kind == "body"]
    truncated = bool(body_lines) and lines[-1].kind == "body" and not ends_sentence(body_lines[-1].ot.text)

    article = Article(
        article_id=f"{doc_id}-a{index:02d}",
        doc_id=doc_id,
        index=index,
        clean_text=clean.text,
        raw_start=draft.start,
        raw_end=draft.end,
        headline=headline,
        subheadline=subheadline,
        section_headings=[ln.ot.text for ln in lines if ln.kind == "heading"],
        agency=agency,
        reporters=reporters,
        correspondents=correspondents,
        photographers=photographers,
        byline="；".join(b.text for b in bylines) or None,
        dateline_place=place,
        dateline_date=date,
        continued_from=draft.continued_from,
        continued_to=draft.continued_to,
        truncated=truncated,
        captions=captions,
        latin_words=find_latin_words(clean.text),
        joined_breaks=joined,
        offsets=clean,
        line_kinds=[ln.kind for ln in all_lines],
        segments=segments,
    )
    return article


def _body_lines(
    draft: ArticleDraft, raw: str, parser: BylineParser, bylines: list[Byline], segments: list[tuple[str, OText]]
) -> tuple[list[Line], int, tuple[str | None, str | None, str | None]]:
    """The article's headings and body paragraphs, with column breaks inside a paragraph joined
    (and how many), and the (agency, place, date) of a dateline that opens the first paragraph;
    the dateline's byline goes first in ``bylines``, its text to ``segments``."""
    agency = place = date = None
    lines: list[Line] = []
    joined = 0
    first_para = True
    for item in draft.items:
        ot = OText.from_raw(raw, item.start, item.end)
        if item.kind == "heading":
            ot = normalize_heading(ot)
            if len(ot):
                lines.append(Line("heading", ot))
            continue
        if first_para and ot.text.strip():
            first_para = False
            # the dateline's credit needs its spaces ("记者 邓小强 通讯员 黄亚"):
            # match it before stray spaces go
            ot = to_half_width(strip_line(ot))
            dl = parser.match_dateline(ot.text)
            if dl is not None:
                agency, place, date = dl.agency, dl.place, dl.date
                if dl.byline is not None:
                    bylines.insert(0, dl.byline)
                segments.append(("dateline", strip_line(ot[: dl.end])))
                ot = ot[dl.end :]
        ot = normalize_paragraph(ot)
        if not len(ot):
            continue
        if lines and lines[-1].kind == "body" and is_column_break(lines[-1].ot, ot):
            lines[-1] = Line("body", OText.join([lines[-1].ot, ot]))
            joined += 1
        else:
            lines.append(Line("body", ot))
    return lines, joined, (agency, place, date)


def _captions(draft: ArticleDraft, raw: str, segments: list[tuple[str, OText]], photographers: list[str]) -> list[Caption]:
    """The article's photo captions, each joined into one line; their texts and credits go to
    ``segments``, their photographers to ``photographers``."""
    captions = []
    for cap in draft.captions:
        cap_ot = normalize_paragraph(OText.from_raw(raw, cap.start, cap.end)) if cap.end > cap.start else OText.empty()
        # caption lines are separate paragraphs in print; join them without breaks
        cap_ot = OText.join([normalize_paragraph(p) for p in _split_lines(cap_ot)], sep="") if len(cap_ot) else cap_ot
        if len(cap_ot):
            segments.append(("caption", cap_ot))
        if cap.credit.start >= 0:
            segments.append(("credit", to_half_width(OText.from_raw(raw, cap.credit.start, cap.credit.end))))
        captions.append(
            Caption(
                text=cap_ot.text,
                credit=cap.credit.text,
                photographers=list(cap.credit.photographers),
                raw_start=cap.start,
                raw_end=cap.end,
            )
        )
        _merge(photographers, cap.credit.photographers)
    return captions


def _split_lines(ot: OText) -> list[OText]:
    out = []
    pos = 0
    for m in re.finditer(r"\r\n|\r|\n", ot.text):
        out.append(ot[pos : m.start()])
        pos = m.end()
    out.append(ot[pos:])
    return [p for p in out if p.text.strip()]
