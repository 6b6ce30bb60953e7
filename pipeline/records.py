"""Typed records passed between stages.

Stages exchange these small dataclasses; :mod:`pipeline.schema` turns them
into Arrow tables. Field names match the Parquet column names one to one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any


@dataclass
class Document:
    """One decoded input document (a page file or one JSONL line)."""

    doc_id: str
    path: str
    encoding: str
    text: str
    sha256: str
    source_id: str | None = None
    source: str | None = None
    date: str | None = None
    url: str | None = None
    #: line of a JSONL file (None for a page file)
    line: int | None = None
    #: every input record of this text: the first is the one above; a text met again under
    #: another file or id adds one (``documents.sources``)
    sources: list[dict] | None = None
    # (``datetime.date``: in this class body the field ``date`` above shadows the class)
    #: publication date (the JSONL ``date``, a date in the path, or the run's ``--published``)
    published: datetime.date | None = None

    @property
    def n_chars(self) -> int:
        return len(self.text)

    @property
    def source_key(self) -> tuple[str, str | None]:
        """The identity of the input record: (file, JSONL id); a page file has no id."""
        return (self.path, self.source_id)

    def source_record(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "source_id": self.source_id,
            "source": self.source,
            "date": self.date,
            "url": self.url,
        }


@dataclass
class Caption:
    text: str
    credit: str
    photographers: list[str]
    raw_start: int
    raw_end: int


@dataclass
class LatinWord:
    text: str
    start: int
    end: int


@dataclass
class Article:
    article_id: str
    doc_id: str
    index: int
    clean_text: str
    raw_start: int
    raw_end: int
    headline: str | None = None
    subheadline: str | None = None
    section_headings: list[str] = field(default_factory=list)
    agency: str | None = None
    reporters: list[str] = field(default_factory=list)
    correspondents: list[str] = field(default_factory=list)
    photographers: list[str] = field(default_factory=list)
    byline: str | None = None
    dateline_place: str | None = None
    dateline_date: str | None = None
    continued_from: str | None = None
    continued_to: str | None = None
    truncated: bool = False
    captions: list[Caption] = field(default_factory=list)
    latin_words: list[LatinWord] = field(default_factory=list)
    joined_breaks: int = 0
    #: the date relative times are resolved against: the dateline's, else the document's
    published: date | None = None
    # Not written to Parquet: the OText that maps clean_text offsets to raw
    # offsets, and the kind of each line of clean_text (headline/heading/body).
    offsets: Any = field(default=None, repr=False, compare=False)
    line_kinds: list[str] = field(default_factory=list, repr=False, compare=False)
    # (kind, OText) of bylines, datelines, captions and photo credits: metadata
    # text outside clean_text, kept with its raw offsets for later stages.
    segments: list = field(default_factory=list, repr=False, compare=False)


@dataclass
class Sentence:
    sent_id: str
    doc_id: str
    article_id: str
    index: int
    kind: str  # headline | heading | body | byline | dateline | caption | credit
    text: str
    start: int | None  # offsets in the article's clean_text (None outside it)
    end: int | None
    raw_start: int
    raw_end: int
    # Not written: the OText of the sentence (maps its characters to raw offsets).
    offsets: Any = field(default=None, repr=False, compare=False)


@dataclass(kw_only=True)
class QuantityValues:
    """Normalised attributes of a quantity, shared by the grammar's matches and Entity rows."""

    value: float | None = None
    value_low: float | None = None
    value_high: float | None = None
    unit: str | None = None
    unit_normalized: str | None = None
    value_normalized: float | None = None
    qualifier: str | None = None


#: Their names, for copying them between matches, Span extensions and rows.
QUANTITY_ATTRS = tuple(f.name for f in fields(QuantityValues))
#: The labels of the quantity grammar: only their entities carry QuantityValues.
QUANTITY_LABELS = frozenset({"QUANTITY", "MONEY", "PERCENT", "DATE"})


@dataclass
class Entity(QuantityValues):
    ent_id: str
    doc_id: str
    article_id: str
    sent_id: str | None
    text: str
    label: str
    start: int | None
    end: int | None
    raw_start: int
    raw_end: int
    source: str
    score: float | None = None
    normalized: str | None = None
    kb_id: str | None = None
    #: DATE entities: the inclusive interval the expression stands for, and its precision
    date_start: date | None = None
    date_end: date | None = None
    date_precision: str | None = None


def entity_at(sent: Sentence, s: int, e: int, label: str, source: str, *, id_kind: str = "e", **attrs: Any) -> Entity:
    """The entity of the characters ``s:e`` of the clean sentence ``sent``: its text, its raw
    offsets (the row's tie to the input), its offsets in the article's clean text and its id
    (``{doc_id}-{id_kind}{raw_start}-{raw_end}``: ``e`` for the stages' entities, ``g`` for the
    gold mentions of ``eval pages``)."""
    raw_start, raw_end = sent.offsets.raw_span(s, e)
    start, end = (sent.start + s, sent.start + e) if sent.start is not None else (None, None)
    return Entity(
        ent_id=f"{sent.doc_id}-{id_kind}{raw_start}-{raw_end}",
        doc_id=sent.doc_id,
        article_id=sent.article_id,
        sent_id=sent.sent_id,
        text=sent.text[s:e],
        label=label,
        start=start,
        end=end,
        raw_start=raw_start,
        raw_end=raw_end,
        source=source,
        **attrs,
    )


@dataclass
class Relation:
    rel_id: str
    doc_id: str
    article_id: str
    sent_id: str | None
    label: str
    head_ent_id: str
    tail_ent_id: str | None
    head_text: str
    tail_text: str | None
    attrs: dict[str, str] = field(default_factory=dict)
    source: str = ""
    score: float | None = None


@dataclass
class Failure:
    path: str
    stage: str
    error: str
    at: str
    #: the input file (``path`` may name a line of it, ``FILE:LINE``)
    input: str | None = None
    line: int | None = None
    source_id: str | None = None
    #: when a later run read the same input without this failure
    resolved_at: str | None = None
