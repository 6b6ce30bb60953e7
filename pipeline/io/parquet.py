"""Writing the output datasets: atomic, idempotent, resumable.

Layout: ``OUT/<table>/part-<key>.parquet`` for each table of
:data:`pipeline.schema.TABLES`. One batch of documents writes one part per
table, all named by the same ``key`` (a hash of the batch's document ids),
in :data:`pipeline.schema.WRITE_ORDER`: ``documents`` comes last and acts as
the commit record of the batch.

* Atomic: each file is written under a hidden temporary name
  (``.part-<key>.parquet.<pid>.tmp``, ignored by pyarrow, DuckDB globs and
  Polars), flushed to disk and renamed into place.
* Idempotent: documents already present in ``documents`` are skipped by the
  caller (:meth:`DatasetWriter.existing_doc_ids`); rewriting a batch with the
  same documents replaces the same files.
* Resumable: parts of a batch whose ``documents`` part is missing (a run
  killed between two writes) are orphans; :meth:`DatasetWriter.recover`
  removes them before a run, with the temporary files a killed writer left
  behind, and finishes a ``--force`` removal that was cut short (its
  document ids are journaled in ``OUT/.removing.json`` first). The
  documents are then processed again.

Only one run writes an output directory at a time (:mod:`pipeline.io.lock`).

Fault injection for the crash tests: ``PIPELINE_FAULT=kill-before-rename:N``
(or ``kill-after-rename:N``) makes the process SIGKILL itself at its N-th
part file, with the temporary file written but not renamed (or just after
the rename).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import signal
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import schema

PART_PREFIX = "part-"
PART_SUFFIX = ".parquet"
REMOVAL_JOURNAL = ".removing.json"

_write_count = itertools.count(1)


def _maybe_fault(moment: str, nth: int) -> None:
    """Test hook: SIGKILL this process at its ``nth`` write (``PIPELINE_FAULT``)."""
    spec = os.environ.get("PIPELINE_FAULT")
    if not spec:
        return
    kind, _, n = spec.partition(":")
    if kind == f"kill-{moment}" and nth == int(n or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def batch_key(ids: Iterable[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(set(ids))).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:20]


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomic(path: Path, write) -> None:
    """``write(tmp)`` a hidden temporary beside ``path``, fsync it, rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nth = next(_write_count)  # atomic under the GIL: batches write from several threads
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        _maybe_fault("before-rename", nth)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    _maybe_fault("after-rename", nth)


def write_table_atomic(table: pa.Table, path: Path) -> None:
    _write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd", write_statistics=True))


def write_text_atomic(text: str, path: Path) -> None:
    _write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json_atomic(obj, path: Path) -> None:
    write_text_atomic(json.dumps(obj), path)


class DatasetWriter:
    def __init__(self, out_dir: str | os.PathLike, metadata: Mapping[str, str] | None = None):
        self.out = Path(out_dir)
        self.metadata = {"schema_version": schema.SCHEMA_VERSION, **dict(metadata or {})}

    def table_dir(self, name: str) -> Path:
        return self.out / name

    def part_path(self, name: str, key: str) -> Path:
        return self.table_dir(name) / f"{PART_PREFIX}{key}{PART_SUFFIX}"

    def parts(self, name: str) -> list[Path]:
        d = self.table_dir(name)
        if not d.is_dir():
            return []
        return sorted(p for p in d.iterdir() if p.name.startswith(PART_PREFIX) and p.name.endswith(PART_SUFFIX))

    @staticmethod
    def key_of(path: Path) -> str:
        return path.name[len(PART_PREFIX):-len(PART_SUFFIX)]

    def ensure_tables(self) -> None:
        """Create every table directory, so that readers find all six datasets."""
        for name in schema.TABLES:
            self.table_dir(name).mkdir(parents=True, exist_ok=True)

    def check_writable(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        probe = self.out / f".write-probe.{os.getpid()}.tmp"
        try:
            probe.write_bytes(b"")
        finally:
            probe.unlink(missing_ok=True)

    def existing_doc_ids(self) -> set[str]:
        return set(self.existing_documents())

    def existing_documents(self) -> dict[str, str]:
        """``doc_id -> path`` of every committed document."""
        docs: dict[str, str] = {}
        for part in self.parts("documents"):
            table = pq.read_table(part, columns=["doc_id", "path"])
            docs.update(zip(table.column("doc_id").to_pylist(), table.column("path").to_pylist()))
        return docs

    def recover(self) -> list[Path]:
        """Undo what an interrupted run left: temporary files, a cut-short
        ``--force`` removal, parts of uncommitted batches. Call it holding the
        output lock. Returns the files removed."""
        removed = self.clean_temporaries()
        journal = self.out / REMOVAL_JOURNAL
        if journal.is_file():
            ids = set(json.loads(journal.read_text(encoding="utf-8")))
            self.remove_documents(ids)
        return removed + self.clean_orphans()

    def clean_temporaries(self) -> list[Path]:
        removed = []
        for name in schema.TABLES:
            d = self.table_dir(name)
            if not d.is_dir():
                continue
            for p in d.iterdir():
                if p.name.startswith(".") and p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)
                    removed.append(p)
        return removed

    def clean_orphans(self) -> list[Path]:
        """Remove parts whose batch never committed its ``documents`` part."""
        committed = {self.key_of(p) for p in self.parts("documents")}
        removed = []
        for name in schema.TABLES:
            if name in ("documents", "failures"):
                continue
            for part in self.parts(name):
                if self.key_of(part) not in committed:
                    part.unlink(missing_ok=True)
                    removed.append(part)
        return removed

    def write_batch(self, key: str, tables: Mapping[str, pa.Table]) -> dict[str, int]:
        """Write one batch's tables (any subset of the schema's tables)."""
        counts = {}
        for name in schema.WRITE_ORDER:
            if name not in tables:
                continue
            table = tables[name]
            expected = schema.TABLES[name]
            if not table.schema.equals(expected, check_metadata=False):
                raise ValueError(f"table {name!r} does not match its schema")
            meta = {**(table.schema.metadata or {}), **{k.encode(): v.encode() for k, v in self.metadata.items()}}
            write_table_atomic(table.replace_schema_metadata(meta), self.part_path(name, key))
            counts[name] = table.num_rows
        return counts

    def remove_documents(self, doc_ids: set[str]) -> None:
        """Take ``doc_ids`` out of every table (used by ``--force``).

        ``documents`` goes first (un-commit), then the other tables; each
        affected part is rewritten atomically without those rows. The ids
        are journaled first, so that a run killed half-way through is
        finished by :meth:`recover` instead of leaving rows of documents
        that are no longer committed.
        """
        if not doc_ids:
            return
        journal = self.out / REMOVAL_JOURNAL
        write_json_atomic(sorted(doc_ids), journal)
        for name in ("documents", "articles", "sentences", "entities", "relations"):
            for part in self.parts(name):
                table = pq.read_table(part)
                mask = pc.is_in(table.column("doc_id"), value_set=pa.array(sorted(doc_ids)))
                if not pc.any(mask).as_py():
                    continue
                kept = table.filter(pc.invert(mask))
                if kept.num_rows == 0 and name == "documents":
                    part.unlink()
                else:
                    write_table_atomic(kept, part)
        journal.unlink(missing_ok=True)
        _fsync_dir(self.out)
