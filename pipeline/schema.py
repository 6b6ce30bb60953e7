"""The Parquet contract: one pyarrow schema per output table.

This module is the single source of truth for the output. Every table is a
dataset directory under the output folder (``OUT/<table>/part-*.parquet``),
compressed with zstd; each file's schema metadata carries
``schema_version``, ``pipeline_version`` and the versions (content hashes) of
the rules and models that produced it. README.md documents the same columns.

Compatibility policy: ``SCHEMA_VERSION`` is ``MAJOR.MINOR``. Adding a
nullable column bumps MINOR (readers keep working); renaming, removing or
retyping a column bumps MAJOR.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = "1.1"

_str = pa.string()
_i64 = pa.int64()
_f64 = pa.float64()

#: one input record of a document's text (a page file, or one line of a JSONL file)
SOURCE = pa.struct(
    [
        pa.field("path", _str),
        pa.field("line", _i64),
        pa.field("source_id", _str),
        pa.field("source", _str),
        pa.field("date", _str),
        pa.field("url", _str),
    ]
)

DOCUMENTS = pa.schema(
    [
        pa.field("doc_id", _str, nullable=False),
        pa.field("path", _str, nullable=False),
        pa.field("encoding", _str, nullable=False),
        pa.field("n_chars", _i64, nullable=False),
        pa.field("sha256", _str, nullable=False),
        pa.field("n_articles", _i64, nullable=False),
        pa.field("source_id", _str),
        pa.field("source", _str),
        pa.field("date", _str),
        pa.field("url", _str),
        pa.field("pipeline_version", _str, nullable=False),
        pa.field("processed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        # every input record with this text, the one above first (since 1.1)
        pa.field("sources", pa.list_(SOURCE)),
        # publication date: JSONL date, a date in the path, or --published (since 1.1)
        pa.field("published", pa.date32()),
    ]
)

CAPTION = pa.struct(
    [
        pa.field("text", _str),
        pa.field("credit", _str),
        pa.field("photographers", pa.list_(_str)),
        pa.field("raw_start", _i64),
        pa.field("raw_end", _i64),
    ]
)

LATIN_WORD = pa.struct([pa.field("text", _str), pa.field("start", _i64), pa.field("end", _i64)])

ARTICLES = pa.schema(
    [
        pa.field("article_id", _str, nullable=False),
        pa.field("doc_id", _str, nullable=False),
        pa.field("index", _i64, nullable=False),
        pa.field("headline", _str),
        pa.field("subheadline", _str),
        pa.field("section_headings", pa.list_(_str)),
        pa.field("agency", _str),
        pa.field("reporters", pa.list_(_str)),
        pa.field("correspondents", pa.list_(_str)),
        pa.field("photographers", pa.list_(_str)),
        pa.field("byline", _str),
        pa.field("dateline_place", _str),
        pa.field("dateline_date", _str),
        pa.field("continued_from", _str),
        pa.field("continued_to", _str),
        pa.field("truncated", pa.bool_(), nullable=False),
        pa.field("joined_breaks", _i64, nullable=False),
        pa.field("clean_text", _str, nullable=False),
        pa.field("raw_start", _i64, nullable=False),
        pa.field("raw_end", _i64, nullable=False),
        pa.field("captions", pa.list_(CAPTION)),
        pa.field("latin_words", pa.list_(LATIN_WORD)),
        # the dateline's date, else the document's publication date (since 1.1)
        pa.field("published", pa.date32()),
    ]
)

SENTENCES = pa.schema(
    [
        pa.field("sent_id", _str, nullable=False),
        pa.field("doc_id", _str, nullable=False),
        pa.field("article_id", _str, nullable=False),
        pa.field("index", _i64, nullable=False),
        pa.field("kind", _str, nullable=False),
        pa.field("text", _str, nullable=False),
        pa.field("start", _i64),
        pa.field("end", _i64),
        pa.field("raw_start", _i64, nullable=False),
        pa.field("raw_end", _i64, nullable=False),
    ]
)

ENTITIES = pa.schema(
    [
        pa.field("ent_id", _str, nullable=False),
        pa.field("doc_id", _str, nullable=False),
        pa.field("article_id", _str, nullable=False),
        pa.field("sent_id", _str),
        pa.field("text", _str, nullable=False),
        pa.field("label", _str, nullable=False),
        pa.field("start", _i64),
        pa.field("end", _i64),
        pa.field("raw_start", _i64, nullable=False),
        pa.field("raw_end", _i64, nullable=False),
        pa.field("source", _str, nullable=False),
        pa.field("score", _f64),
        pa.field("value", _f64),
        pa.field("value_low", _f64),
        pa.field("value_high", _f64),
        pa.field("unit", _str),
        pa.field("unit_normalized", _str),
        pa.field("value_normalized", _f64),
        pa.field("qualifier", _str),
        pa.field("normalized", _str),
        pa.field("kb_id", _str),
        # DATE entities resolved against the article's publication date (since 1.1)
        pa.field("date_start", pa.date32()),
        pa.field("date_end", pa.date32()),
        pa.field("date_precision", _str),
    ]
)

RELATION_ATTRS = pa.struct(
    [
        pa.field("position", _str),
        pa.field("indicator", _str),
        pa.field("time", _str),
        pa.field("status", _str),
        # the time phrase resolved against the article's publication date (since 1.1)
        pa.field("time_start", pa.date32()),
        pa.field("time_end", pa.date32()),
    ]
)

RELATIONS = pa.schema(
    [
        pa.field("rel_id", _str, nullable=False),
        pa.field("doc_id", _str, nullable=False),
        pa.field("article_id", _str, nullable=False),
        pa.field("sent_id", _str),
        pa.field("label", _str, nullable=False),
        pa.field("head_ent_id", _str, nullable=False),
        pa.field("tail_ent_id", _str),
        pa.field("head_text", _str, nullable=False),
        pa.field("tail_text", _str),
        pa.field("attrs", RELATION_ATTRS),
        pa.field("source", _str, nullable=False),
        pa.field("score", _f64),
    ]
)

FAILURES = pa.schema(
    [
        pa.field("path", _str, nullable=False),
        pa.field("stage", _str, nullable=False),
        pa.field("error", _str, nullable=False),
        pa.field("at", pa.timestamp("us", tz="UTC"), nullable=False),
        # since 1.1: the input file, the JSONL line and id, and when a later run read the
        # same input without this failure (null: still failing)
        pa.field("input", _str),
        pa.field("line", _i64),
        pa.field("source_id", _str),
        pa.field("resolved_at", pa.timestamp("us", tz="UTC")),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "documents": DOCUMENTS,
    "articles": ARTICLES,
    "sentences": SENTENCES,
    "entities": ENTITIES,
    "relations": RELATIONS,
    "failures": FAILURES,
}

#: Order in which a batch is written: ``documents`` last, so that a document
#: present in ``documents`` has all its rows in every other table.
WRITE_ORDER = ("failures", "articles", "sentences", "entities", "relations", "documents")


def _as_row(record: Any) -> Mapping[str, Any]:
    if isinstance(record, Mapping):
        return record
    if dataclasses.is_dataclass(record):
        return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    raise TypeError(f"cannot turn {type(record).__name__} into a row")


def _convert(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _convert(v) for k, v in _as_row(value).items()}
    if isinstance(value, list):
        return [_convert(v) for v in value]
    return value


def to_table(name: str, records: Iterable[Any], metadata: Mapping[str, str] | None = None) -> pa.Table:
    """Build the Arrow table ``name`` from records (dataclasses or dicts).

    Columns are taken by name from the schema; extra record fields are
    ignored, missing nullable ones become null. Metadata is attached to the
    schema (values must be strings).
    """
    schema = TABLES[name]
    records = list(records)
    for r in records:
        if not isinstance(r, Mapping) and not dataclasses.is_dataclass(r):
            raise TypeError(f"cannot turn {type(r).__name__} into a row")
    columns = {}
    for f in schema:
        key = f.name
        values = [r.get(key) if isinstance(r, Mapping) else getattr(r, key, None) for r in records]
        if pa.types.is_nested(f.type):  # lists and structs: dataclasses inside become dicts
            values = [_convert(v) for v in values]
        columns[key] = values
    table = pa.Table.from_pydict(columns, schema=schema)
    if metadata:
        table = table.replace_schema_metadata({**(schema.metadata or {}), **dict(metadata)})
    return table


def empty_table(name: str) -> pa.Table:
    return TABLES[name].empty_table()
