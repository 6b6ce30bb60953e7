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
  killed between two writes) are orphans; :meth:`DatasetWriter.clean_orphans`
  removes them before a run, and the documents are processed again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import schema

PART_PREFIX = "part-"
PART_SUFFIX = ".parquet"


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


def write_table_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


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
        ids: set[str] = set()
        for part in self.parts("documents"):
            table = pq.read_table(part, columns=["doc_id"])
            ids.update(table.column("doc_id").to_pylist())
        return ids

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
        affected part is rewritten atomically without those rows.
        """
        if not doc_ids:
            return
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
