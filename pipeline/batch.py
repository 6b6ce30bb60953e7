"""Batch-level stage functions: what one Prefect task does, without Prefect.

Each function takes a batch (a list of paths or documents) and returns
records; a document that fails a stage becomes a :class:`Failure` and the
rest of the batch goes on. :mod:`pipeline.flows` wraps each of these in a
task; tests and other orchestrators can call them directly.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pyarrow as pa

from pipeline import __version__, dates, schema
from pipeline.cleaning import clean_document
from pipeline.io.readers import InputError, read_path
from pipeline.records import Article, Document, Entity, Failure, Relation, Sentence
from pipeline.sentences import split_article

_NER_LOCK = threading.Lock()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def failure(
    path: str, stage: str, error: str, input: str | None = None, line: int | None = None, source_id: str | None = None
) -> Failure:
    return Failure(
        path=path,
        stage=stage,
        error=error,
        at=now_utc(),  # type: ignore[arg-type]
        input=input or path,
        line=line,
        source_id=source_id,
    )


def doc_failure(doc: Document, stage: str, error: str) -> Failure:
    """A failure of one document: named ``FILE:LINE`` when it is a line of a JSONL file."""
    where = doc.path if doc.line is None else f"{doc.path}:{doc.line}"
    return failure(where, stage, error, input=doc.path, line=doc.line, source_id=doc.source_id)


@dataclass
class ReadResult:
    documents: list[Document] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Extracted:
    """Everything one batch of documents produced."""

    documents: list[Document] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    #: wall seconds each stage took on this batch (observability)
    seconds: dict[str, float] = field(default_factory=dict)
    #: CPU seconds of the thread that ran each stage
    cpu_seconds: dict[str, float] = field(default_factory=dict)


class _Timer:
    """Wall and CPU seconds of a stage (CPU: of the thread that runs it, which with BLAS
    pinned to one thread is all the stage's work)."""

    def __init__(self, seconds: dict[str, float], stage: str, cpu: dict[str, float] | None = None):
        self.seconds, self.stage, self.cpu = seconds, stage, cpu

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.c0 = time.thread_time()

    def __exit__(self, *exc):
        self.seconds[self.stage] = self.seconds.get(self.stage, 0.0) + time.perf_counter() - self.t0
        if self.cpu is not None:
            self.cpu[self.stage] = self.cpu.get(self.stage, 0.0) + time.thread_time() - self.c0


def read_documents(paths: Iterable[str], published: date | None = None) -> ReadResult:
    """Read ``paths``; each document's publication date is its JSONL ``date``, else a date
    in its path, else ``published`` (the run's ``--published``), else null."""
    out = ReadResult()
    with _Timer(out.seconds, "read", out.cpu_seconds):
        for path in paths:
            in_path = dates.date_in_path(path)
            for item in read_path(path):
                if isinstance(item, InputError):
                    out.failures.append(failure(item.path, item.stage, item.reason, item.input, item.line, item.source_id))
                else:
                    item.published = dates.parse_date(item.date) or in_path or published
                    out.documents.append(item)
    return out


def clean_and_split(documents: Iterable[Document]) -> Extracted:
    out = Extracted()
    with _Timer(out.seconds, "clean-and-split", out.cpu_seconds):
        _clean_and_split(documents, out)
    return out


def _clean_and_split(documents: Iterable[Document], out: Extracted) -> None:
    for doc in documents:
        try:
            articles = clean_document(doc)
            for a in articles:
                a.published = dates.dateline_date(a.dateline_date, doc.published) or doc.published
            sentences = [s for a in articles for s in split_article(a)]
        except Exception as exc:  # a bug or a pathological page: record, go on
            out.failures.append(doc_failure(doc, "clean", _describe(exc)))
            continue
        out.documents.append(doc)
        out.articles.extend(articles)
        out.sentences.extend(sentences)


def recognize_entities(extracted: Extracted, nlp=None) -> Extracted:
    """Fill ``extracted.entities``; a document whose NER fails becomes a failure.

    The batch runs as one ``nlp.pipe``; only if that raises is it redone
    document by document, so that one bad document cannot sink the others.
    """
    from pipeline.ner import recognize

    # one batch in the NER stage at a time per process: the pipeline is shared, and
    # parallelism comes from processes (Dask workers), not from threads of one
    with _NER_LOCK, _Timer(extracted.seconds, "ner", extracted.cpu_seconds):
        return _isolating_failures(extracted, "ner", "entities", lambda arts, sents, ents: recognize(arts, sents, nlp))


def resolve_dates(extracted: Extracted) -> Extracted:
    """DATE entities to intervals against their article's publication date (``pipeline.dates``)."""
    with _Timer(extracted.seconds, "dates", extracted.cpu_seconds):
        dates.resolve_entities(extracted.entities, {a.article_id: a.published for a in extracted.articles})
    return extracted


def extract_relations(extracted: Extracted) -> Extracted:
    """Fill ``extracted.relations``; a document whose relation step fails becomes a failure."""
    from pipeline.relations import extract_relations as extract

    with _Timer(extracted.seconds, "relations", extracted.cpu_seconds):
        _isolating_failures(extracted, "relations", "relations", extract)
        dates.resolve_relation_times(extracted.relations, {a.article_id: a.published for a in extracted.articles})
    return extracted


def _isolating_failures(extracted: Extracted, stage: str, field_name: str, run) -> Extracted:
    """Set ``extracted.<field_name>`` to ``run(articles, sentences, entities)`` for the
    whole batch; if that raises, redo it per document and turn the documents
    that still fail into failures of ``stage`` (their rows leave the batch)."""
    try:
        setattr(extracted, field_name, run(extracted.articles, extracted.sentences, extracted.entities))
        return extracted
    except Exception:  # isolate the culprit below
        pass
    results, keep = [], []
    for doc in extracted.documents:
        arts = [a for a in extracted.articles if a.doc_id == doc.doc_id]
        sents = [s for s in extracted.sentences if s.doc_id == doc.doc_id]
        ents = [e for e in extracted.entities if e.doc_id == doc.doc_id]
        try:
            results.extend(run(arts, sents, ents))
            keep.append(doc)
        except Exception as exc:
            extracted.failures.append(doc_failure(doc, stage, _describe(exc)))
    kept = {d.doc_id for d in keep}
    extracted.documents = keep
    extracted.articles = [a for a in extracted.articles if a.doc_id in kept]
    extracted.sentences = [s for s in extracted.sentences if s.doc_id in kept]
    extracted.entities = [e for e in extracted.entities if e.doc_id in kept]
    setattr(extracted, field_name, results)
    return extracted


def _describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def document_rows(extracted: Extracted, processed_at: datetime) -> list[dict]:
    n_articles: dict[str, int] = {}
    for a in extracted.articles:
        n_articles[a.doc_id] = n_articles.get(a.doc_id, 0) + 1
    return [
        {
            "doc_id": d.doc_id,
            "path": d.path,
            "encoding": d.encoding,
            "n_chars": d.n_chars,
            "sha256": d.sha256,
            "n_articles": n_articles.get(d.doc_id, 0),
            "source_id": d.source_id,
            "source": d.source,
            "date": d.date,
            "url": d.url,
            "pipeline_version": __version__,
            "processed_at": processed_at,
            "sources": d.sources or [d.source_record()],
            "published": d.published,
        }
        for d in extracted.documents
    ]


def to_tables(extracted: Extracted, metadata: Mapping[str, str] | None = None) -> dict[str, pa.Table]:
    processed_at = now_utc()
    return {
        "documents": schema.to_table("documents", document_rows(extracted, processed_at), metadata),
        "articles": schema.to_table("articles", extracted.articles, metadata),
        "sentences": schema.to_table("sentences", extracted.sentences, metadata),
        "entities": schema.to_table("entities", extracted.entities, metadata),
        "relations": schema.to_table("relations", extracted.relations, metadata),
        "failures": schema.to_table("failures", extracted.failures, metadata),
    }
