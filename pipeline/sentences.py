"""Sentence splitting of clean article text.

Rules (each covered by tests):

* sentence-final ``。！？；…`` (and ``!?``) end a sentence, runs of them
  (``？！``, ``……``) stay together;
* closing quotes and brackets right after the final mark belong to the
  sentence (``……。”``);
* nothing inside a matched ``《…》`` title splits;
* an ellipsis between digits (``1…6``) is not a boundary; decimal points,
  ranges (``1—6月``), times (``10:30``) and list markers (``1.`` ``（一）``) use
  no sentence-final mark, so they never split;
* a colon is not a boundary;
* every line of the clean text (headline, section heading, paragraph) ends
  its sentence: headlines and headings are sentences of their own.
"""

from __future__ import annotations

import re

from pipeline.records import Article, Sentence

FINAL = set("。！？；…!?")
CLOSERS = set("”’」』）)】]》〉")
_SPACE = " \t\u3000"


def _protected(line: str) -> list[tuple[int, int]]:
    """Spans inside matched 《…》 pairs (nested pairs allowed)."""
    spans = []
    stack: list[int] = []
    for i, ch in enumerate(line):
        if ch == "《":
            stack.append(i)
        elif ch == "》" and stack:
            start = stack.pop()
            if not stack:
                spans.append((start, i + 1))
    return spans


def split_line(line: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of one line, whitespace trimmed."""
    protected = _protected(line)
    inside = [False] * len(line)
    for s, e in protected:
        for k in range(s, e):
            inside[k] = True
    spans: list[tuple[int, int]] = []
    start = 0
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch in FINAL and not inside[i]:
            j = i
            while j < n and line[j] in FINAL:
                j += 1
            if line[i:j].strip("…") == "" and 0 < i and j < n and line[i - 1].isdigit() and line[j].isdigit():
                i = j  # 1…6: an ellipsis inside a range of numbers
                continue
            while j < n and line[j] in CLOSERS:
                j += 1
            spans.append((start, j))
            start = i = j
            continue
        i += 1
    if start < n:
        spans.append((start, n))
    out = []
    for s, e in spans:
        while s < e and line[s] in _SPACE:
            s += 1
        while e > s and line[e - 1] in _SPACE:
            e -= 1
        if e > s:
            out.append((s, e))
    return out


_NEWLINE = re.compile(r"\n")


def split_text(text: str) -> list[tuple[int, int, int]]:
    """Sentence spans of a multi-line text: ``(start, end, line_index)``."""
    out = []
    pos = 0
    for line_index, line in enumerate(text.split("\n")):
        for s, e in split_line(line):
            out.append((pos + s, pos + e, line_index))
        pos += len(line) + 1
    return out


def split_article(article: Article) -> list[Sentence]:
    """Sentences of an article with offsets in its clean text and in the raw page.

    The running text comes first (kinds ``headline``, ``heading``, ``body``),
    then the article's metadata text (``byline``, ``dateline``, ``caption``,
    ``credit``), which has raw offsets but no clean-text offsets.
    """
    kinds = article.line_kinds
    out: list[Sentence] = []

    def add(kind: str, ot, start: int | None, end: int | None) -> None:
        raw_start, raw_end = ot.raw_span(0, len(ot))
        index = len(out)
        out.append(
            Sentence(
                sent_id=f"{article.article_id}-s{index:03d}",
                doc_id=article.doc_id,
                article_id=article.article_id,
                index=index,
                kind=kind,
                text=ot.text,
                start=start,
                end=end,
                raw_start=raw_start,
                raw_end=raw_end,
                offsets=ot,
            )
        )

    for start, end, line_index in split_text(article.clean_text):
        kind = kinds[line_index] if line_index < len(kinds) else "body"
        add(kind, article.offsets[start:end], start, end)
    for kind, ot in article.segments:
        spans = split_line(ot.text) if kind == "caption" else [(0, len(ot))]
        for s, e in spans:
            piece = ot[s:e].strip()
            if len(piece):
                add(kind, piece, None, None)
    return out
