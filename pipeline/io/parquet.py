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
#: key of the ``documents`` part's schema metadata that lists its batch's other parts
#: (table -> size and SHA-256): the batch's commit record, verified before every run
MANIFEST_KEY = b"pipeline.batch_parts"
#: key of the zero-row batch that gives every table its schema from the first run on
SCHEMA_KEY = "schema"
#: the tables a batch writes besides ``documents``
BATCH_SIBLINGS = ("articles", "sentences", "entities", "relations")

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


class _Staged:
    """A file written under a hidden temporary name beside its final path, fsynced, with
    its size and SHA-256; :meth:`commit` renames it into place."""

    def __init__(self, path: Path, write):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            write(self.tmp)
            digest = hashlib.sha256()
            with open(self.tmp, "rb+") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
                os.fsync(fh.fileno())
                self.size = fh.tell()
            self.sha256 = digest.hexdigest()
        except BaseException:
            self.tmp.unlink(missing_ok=True)
            raise

    def commit(self) -> None:
        nth = next(_write_count)  # atomic under the GIL: batches write from several threads
        try:
            _maybe_fault("before-rename", nth)
            os.replace(self.tmp, self.path)
        except BaseException:
            self.tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)
        _maybe_fault("after-rename", nth)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def _write_atomic(path: Path, write) -> None:
    """``write(tmp)`` a hidden temporary beside ``path``, fsync it, rename it into place."""
    _Staged(path, write).commit()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stage_table(table: pa.Table, path: Path) -> _Staged:
    return _Staged(path, lambda tmp: pq.write_table(table, tmp, compression="zstd", write_statistics=True))


def write_table_atomic(table: pa.Table, path: Path) -> None:
    _stage_table(table, path).commit()


def write_text_atomic(text: str, path: Path) -> None:
    _write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json_atomic(obj, path: Path) -> None:
    write_text_atomic(json.dumps(obj), path)


class DatasetWriter:
    def __init__(self, out_dir: str | os.PathLike, metadata: Mapping[str, str] | None = None):
        self.out = Path(out_dir)
        self.metadata = {"schema_version": schema.SCHEMA_VERSION, **dict(metadata or {})}
        #: ``batch key -> what was wrong`` of the batches the last :meth:`recover` removed
        self.last_damaged: dict[str, str] = {}

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
        return path.name[len(PART_PREFIX) : -len(PART_SUFFIX)]

    def ensure_tables(self) -> None:
        """Create every table with at least its schema: a zero-row batch ``part-schema``
        (all six tables, committed like any batch), so that every reader opens every table
        of a fresh or clean output (DuckDB's ``'OUT/failures/*.parquet'`` errs on an empty
        folder). Rewritten when it is missing, damaged or of another schema version."""
        for name in schema.TABLES:
            self.table_dir(name).mkdir(parents=True, exist_ok=True)
        if all(self._schema_part_current(name) for name in schema.TABLES):
            return
        self.write_batch(SCHEMA_KEY, {name: schema.empty_table(name) for name in schema.TABLES})

    def _schema_part_current(self, name: str) -> bool:
        part = self.part_path(name, SCHEMA_KEY)
        try:
            meta = pq.read_schema(part).metadata or {}
        except Exception:
            return False
        return meta.get(b"schema_version") == schema.SCHEMA_VERSION.encode()

    def check_writable(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        probe = self.out / f".write-probe.{os.getpid()}.tmp"
        try:
            probe.write_bytes(b"")
        finally:
            probe.unlink(missing_ok=True)

    def existing_doc_ids(self) -> set[str]:
        return set(self.existing_documents())

    def existing_documents(self) -> dict[str, list[dict]]:
        """``doc_id -> input records`` (``documents.sources``) of every committed document."""
        docs: dict[str, list[dict]] = {}
        for part in self.parts("documents"):
            table = pq.read_table(part)
            ids = table.column("doc_id").to_pylist()
            if "sources" in table.column_names:
                sources = table.column("sources").to_pylist()
            else:  # written by schema 1.0: the one record of the flat columns
                sources = [None] * len(ids)
            flat = table.select(["path", "source_id", "source", "date", "url"]).to_pylist()
            for doc_id, srcs, row in zip(ids, sources, flat):
                docs[doc_id] = srcs or [{"line": None, **row}]
        return docs

    # -- recovery and verification ---------------------------------------------------

    def recover(self) -> list[Path]:
        """Undo what an interrupted run left, and what damaged the output since: temporary
        files, a cut-short removal, batches whose parts no longer match their commit record
        (deleted or corrupted), parts of uncommitted batches, unreadable failure parts.
        Call it holding the output lock. Returns the files removed; the documents of
        removed batches are no longer committed, so the run processes them again."""
        from pipeline.io.compact import recover_compaction

        recover_compaction(self)  # first: its journal names temporary files it still needs
        removed = self.clean_temporaries()
        journal = self.out / REMOVAL_JOURNAL
        if journal.is_file():
            try:
                ids = set(json.loads(journal.read_text(encoding="utf-8")))
            except ValueError:  # a journal is written atomically: only tampering gets here
                ids = set()
            if ids:
                self.remove_documents(ids)
            journal.unlink(missing_ok=True)
        removed += self.remove_damaged()
        return removed + self.clean_orphans()

    def damaged_batches(self) -> dict[str, str]:
        """``batch key -> what is wrong`` for every committed batch whose ``documents`` part
        cannot be read, or whose other parts are missing or differ from the sizes and
        SHA-256 its manifest lists; failure parts that cannot be read too (key ``failures/...``)."""
        damaged: dict[str, str] = {}
        for part in self.parts("documents"):
            key = self.key_of(part)
            try:
                meta = pq.read_schema(part).metadata or {}
            except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
                damaged[key] = f"documents part unreadable ({type(exc).__name__})"
                continue
            raw = meta.get(MANIFEST_KEY)
            if raw is None:
                continue  # written before manifests existed (schema 1.0): nothing to check against
            try:
                manifest = json.loads(raw)
            except ValueError:
                damaged[key] = "documents part has a corrupt manifest"
                continue
            for table, expected in manifest.items():
                sib = self.part_path(table, key)
                if not sib.is_file():
                    damaged[key] = f"{table} part missing"
                    break
                if sib.stat().st_size != expected["size"] or file_sha256(sib) != expected["sha256"]:
                    damaged[key] = f"{table} part changed (size or SHA-256 differs from the manifest)"
                    break
        for part in self.parts("failures"):
            try:
                pq.read_schema(part)
            except Exception as exc:
                damaged[f"failures/{self.key_of(part)}"] = f"failures part unreadable ({type(exc).__name__})"
        return damaged

    def remove_damaged(self) -> list[Path]:
        """Remove every damaged batch (documents part first: un-commit), so that it is redone."""
        removed = []
        self.last_damaged = self.damaged_batches()
        for key in self.last_damaged:
            if key.startswith("failures/"):
                part = self.part_path("failures", key.split("/", 1)[1])
                part.unlink(missing_ok=True)
                removed.append(part)
                continue
            for name in ("documents", *BATCH_SIBLINGS):
                part = self.part_path(name, key)
                if part.exists():
                    part.unlink()
                    removed.append(part)
            _fsync_dir(self.table_dir("documents"))
        return removed

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
        for name in BATCH_SIBLINGS:
            for part in self.parts(name):
                if self.key_of(part) not in committed:
                    part.unlink(missing_ok=True)
                    removed.append(part)
        return removed

    # -- writing ------------------------------------------------------------------------

    def _with_metadata(self, table: pa.Table, extra: Mapping[bytes, bytes] | None = None) -> pa.Table:
        meta = {**(table.schema.metadata or {}), **{k.encode(): v.encode() for k, v in self.metadata.items()}}
        meta.update(extra or {})
        return table.replace_schema_metadata(meta)

    def write_batch(self, key: str, tables: Mapping[str, pa.Table]) -> dict[str, int]:
        """Write one batch's tables (any subset of the schema's tables).

        Every file is first written under a hidden temporary name (staged); then all are
        renamed into place, ``documents`` last, with a manifest of the others' sizes and
        SHA-256 in its metadata. Readers that glob ``part-*.parquet`` never see a file
        being written; the rows of a batch become visible together, to within the few
        renames (readers that join on ``documents`` see only committed batches, always).
        """
        counts: dict[str, int] = {}
        staged: list[_Staged] = []
        manifest: dict[str, dict] = {}
        try:
            for name in schema.WRITE_ORDER:
                if name not in tables:
                    continue
                table = tables[name]
                if not table.schema.equals(schema.TABLES[name], check_metadata=False):
                    raise ValueError(f"table {name!r} does not match its schema")
                extra = None
                if name == "documents":
                    extra = {MANIFEST_KEY: json.dumps(manifest, sort_keys=True).encode()}
                part = _stage_table(self._with_metadata(table, extra), self.part_path(name, key))
                staged.append(part)
                if name in BATCH_SIBLINGS:
                    manifest[name] = {"size": part.size, "sha256": part.sha256}
                counts[name] = table.num_rows
            for part in staged:
                part.commit()
        except BaseException:
            for part in staged:
                part.discard()
            raise
        return counts

    def _rewrite_batch(self, key: str, documents: pa.Table | None, siblings: Mapping[str, pa.Table]) -> None:
        """Replace a committed batch's parts: ``documents`` first (with the new manifest),
        then the others, each staged before anything is renamed. Killed half-way, the
        manifest no longer matches and :meth:`recover` removes the batch (redone next run).
        ``documents`` None or empty: the batch goes (documents part first)."""
        if documents is None or documents.num_rows == 0:
            for name in ("documents", *BATCH_SIBLINGS):
                self.part_path(name, key).unlink(missing_ok=True)
            _fsync_dir(self.table_dir("documents"))
            _maybe_fault("after-rename", next(_write_count))  # a batch removed counts as one write
            return
        staged = {name: _stage_table(table, self.part_path(name, key)) for name, table in siblings.items()}
        try:
            meta = dict(documents.schema.metadata or {})
            raw = meta.get(MANIFEST_KEY)
            if raw is not None or staged:
                manifest = json.loads(raw) if raw is not None else {}
                for name, part in staged.items():
                    manifest[name] = {"size": part.size, "sha256": part.sha256}
                meta[MANIFEST_KEY] = json.dumps(manifest, sort_keys=True).encode()
            write_table_atomic(documents.replace_schema_metadata(meta), self.part_path("documents", key))
            for part in staged.values():
                part.commit()
        except BaseException:
            for part in staged.values():
                part.discard()
            raise

    def remove_documents(self, doc_ids: set[str]) -> None:
        """Take ``doc_ids`` out of every table (``--force``, changed inputs).

        Batch by batch, ``documents`` goes first (un-commit), then the other tables;
        each affected part is rewritten atomically without those rows. The ids are
        journaled first, so that a run killed half-way through is finished by
        :meth:`recover` instead of leaving rows of documents that are no longer committed.
        """
        if not doc_ids:
            return
        journal = self.out / REMOVAL_JOURNAL
        write_json_atomic(sorted(doc_ids), journal)
        value_set = pa.array(sorted(doc_ids))
        keys = sorted({self.key_of(p) for name in ("documents", *BATCH_SIBLINGS) for p in self.parts(name)})
        for key in keys:
            tables: dict[str, pa.Table] = {}
            touched = False
            for name in ("documents", *BATCH_SIBLINGS):
                part = self.part_path(name, key)
                if not part.is_file():
                    continue
                table = pq.read_table(part)
                mask = pc.is_in(table.column("doc_id"), value_set=value_set)
                if pc.any(mask).as_py():
                    touched = True
                    table = table.filter(pc.invert(mask))
                tables[name] = table
            if not touched:
                continue
            documents = tables.pop("documents", None)
            if documents is None:  # parts of an uncommitted batch: orphans, removed by clean_orphans
                continue
            self._rewrite_batch(key, documents, tables)
        journal.unlink(missing_ok=True)
        _fsync_dir(self.out)

    def _update_rows(self, name: str, column: str, change) -> int:
        """Rewrite (atomically) each part of table ``name`` in which ``change(row)`` changed a
        row (it returns True when it did); parts without ``column`` (an older minor schema)
        are left alone. Returns how many rows changed."""
        changed = 0
        for part in self.parts(name):
            table = pq.read_table(part)
            if column not in table.column_names:
                continue
            rows = table.to_pylist()
            hits = sum(1 for row in rows if change(row))
            if hits:
                write_table_atomic(pa.Table.from_pylist(rows, schema=table.schema), part)
                changed += hits
        return changed

    def update_sources(self, sources: Mapping[str, list[dict]]) -> int:
        """Set ``documents.sources`` (and the flat first-source columns) of committed
        documents; returns how many rows changed. Only ``documents`` parts are rewritten."""
        if not sources:
            return 0

        def change(row: dict) -> bool:
            new = sources.get(row["doc_id"])
            if new is None or new == row["sources"]:
                return False
            row["sources"] = new
            # the flat columns follow the first record (path is never null)
            row.update({k: new[0].get(k) for k in ("source_id", "source", "date", "url")})
            row["path"] = new[0].get("path") or row["path"]
            return True

        return self._update_rows("documents", "sources", change)

    def open_failures(self) -> set[tuple[str, str, str]]:
        """``(path, stage, error)`` of every failure not marked resolved."""
        found = set()
        for part in self.parts("failures"):
            for row in pq.read_table(part).to_pylist():
                if row.get("resolved_at") is None:
                    found.add((row["path"], row["stage"], row["error"]))
        return found

    def resolve_failures(self, inputs: set[str], still_failing: set[tuple[str, str, str]], at) -> int:
        """Mark as resolved (``resolved_at = at``) the open failures of ``inputs`` (files
        this run read) that this run did not meet again (``(path, stage, error)``)."""
        if not inputs:
            return 0

        def change(row: dict) -> bool:
            if row["resolved_at"] is not None or (row["input"] or row["path"]) not in inputs:
                return False
            if (row["path"], row["stage"], row["error"]) in still_failing:
                return False
            row["resolved_at"] = at
            return True

        return self._update_rows("failures", "resolved_at", change)


def read_table(out_dir: str | os.PathLike, name: str, committed_only: bool = True, committed: pa.Array | None = None) -> pa.Table:
    """One output table as the README's readers should see it: the ``part-*.parquet``
    files only (a stray file in the folder is not read), in this release's schema (parts
    of an older minor version get nulls for the newer columns), and, for the tables a
    batch writes, only rows of committed documents (``committed``: their ids, if known) (``documents`` is the commit record:
    rows of a batch cut short by a kill are left out, as the README's DuckDB recipe does)."""
    import pyarrow.dataset as ds

    writer = DatasetWriter(out_dir)
    files = [str(p) for p in writer.parts(name)]
    table = ds.dataset(files, format="parquet", schema=schema.TABLES[name]).to_table()
    if committed_only and name in BATCH_SIBLINGS and table.num_rows:
        if committed is None:  # a caller reading several tables passes the committed ids once
            committed = read_table(out_dir, "documents").column("doc_id")
        table = table.filter(pc.is_in(table.column("doc_id"), value_set=committed))
    return table
