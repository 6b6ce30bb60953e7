"""``python -m pipeline compact OUT``: merge small batches into files of a target size.

A nightly run of 16-document batches leaves six part files per batch; readers open every
one of them. Compaction merges consecutive committed batches into one batch (all five
batch tables together, so that ``documents`` stays the commit record of its rows) until
the group's largest table reaches the target size, and merges the failure parts into one.
No row changes: the tables hold the same rows before and after (tested).

Crash safety: the merged parts are first written under hidden temporary names and
fsynced; then a journal (``OUT/.compacting.json``) names them and the batches they
replace; then the old batches are un-committed (their ``documents`` parts removed), the
merged parts renamed into place (``documents`` last) and the old parts removed. A run
killed anywhere after the journal is rolled forward by :func:`recover_compaction` (called
by every run's recovery and by the next compaction); killed before it, the temporary
files are removed and nothing changed. Readers that read through ``documents`` see each
row once at every moment (at worst, for the few renames of a commit, not at all).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.io import parquet
from pipeline.io.parquet import BATCH_SIBLINGS, MANIFEST_KEY, SCHEMA_KEY, DatasetWriter, batch_key, write_json_atomic

JOURNAL = ".compacting.json"


@dataclass
class CompactionReport:
    files_before: int = 0
    files_after: int = 0
    batches_merged: int = 0
    groups: int = 0
    failure_parts_merged: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def _files(writer: DatasetWriter) -> int:
    return sum(len(writer.parts(name)) for name in ("documents", *BATCH_SIBLINGS, "failures"))


def compact(out: str | os.PathLike, target_bytes: int = 128 << 20) -> CompactionReport:
    """Merge ``out``'s small batches (hold the output lock while calling this)."""
    writer = DatasetWriter(out)
    recover_compaction(writer)
    writer.recover()
    report = CompactionReport(files_before=_files(writer))
    for group in _groups(writer, target_bytes):
        _merge_batches(writer, group)
        report.batches_merged += len(group)
        report.groups += 1
    report.failure_parts_merged = _merge_failures(writer)
    report.files_after = _files(writer)
    report.rows = {name: parquet.read_table(out, name).num_rows for name in ("documents", *BATCH_SIBLINGS, "failures")}
    return report


def _groups(writer: DatasetWriter, target_bytes: int) -> list[list[str]]:
    """Runs of committed batches (in key order) whose largest table stays under the target."""
    groups: list[list[str]] = []
    current: list[str] = []
    sizes = {name: 0 for name in ("documents", *BATCH_SIBLINGS)}
    for part in writer.parts("documents"):
        key = writer.key_of(part)
        if key == SCHEMA_KEY:
            continue
        part_sizes = {name: writer.part_path(name, key).stat().st_size for name in sizes if writer.part_path(name, key).is_file()}
        if current and max(sizes[n] + part_sizes.get(n, 0) for n in sizes) > target_bytes:
            groups.append(current)
            current, sizes = [], {name: 0 for name in sizes}
        current.append(key)
        for n, s in part_sizes.items():
            sizes[n] += s
    groups.append(current)
    return [g for g in groups if len(g) > 1]


def _merge_batches(writer: DatasetWriter, keys: list[str]) -> None:
    tables = {
        name: pa.concat_tables([pq.read_table(writer.part_path(name, k)) for k in keys])
        for name in ("documents", *BATCH_SIBLINGS)
    }
    new_key = batch_key(tables["documents"].column("doc_id").to_pylist())
    staged, manifest = [], {}
    try:
        for name in BATCH_SIBLINGS:
            part = parquet._stage_table(tables[name], writer.part_path(name, new_key))
            staged.append(part)
            manifest[name] = {"size": part.size, "sha256": part.sha256}
        docs = tables["documents"]
        meta = dict(docs.schema.metadata or {})
        meta[MANIFEST_KEY] = json.dumps(manifest, sort_keys=True).encode()
        staged.append(parquet._stage_table(docs.replace_schema_metadata(meta), writer.part_path("documents", new_key)))
    except BaseException:
        for part in staged:
            part.discard()
        raise
    journal = {"kind": "batches", "new_key": new_key, "old_keys": keys, "staged": [[str(p.tmp), str(p.path)] for p in staged]}
    write_json_atomic(journal, writer.out / JOURNAL)
    _roll_forward(writer, journal)


def _merge_failures(writer: DatasetWriter) -> int:
    parts = [p for p in writer.parts("failures") if writer.key_of(p) != SCHEMA_KEY]
    if len(parts) < 2:
        return 0
    table = pa.concat_tables([pq.read_table(p) for p in parts])
    key = "failures-" + batch_key(f"{writer.key_of(p)}" for p in parts)
    part = parquet._stage_table(table, writer.part_path("failures", key))
    journal = {
        "kind": "failures",
        "new_key": key,
        "old_keys": [writer.key_of(p) for p in parts],
        "staged": [[str(part.tmp), str(part.path)]],
    }
    write_json_atomic(journal, writer.out / JOURNAL)
    _roll_forward(writer, journal)
    return len(parts)


def _roll_forward(writer: DatasetWriter, journal: dict) -> None:
    """Finish a journaled merge from wherever it stopped: un-commit the old parts, rename
    the staged ones into place (``documents`` last), remove the old ones, drop the journal."""
    old, new = journal["old_keys"], journal["new_key"]
    if journal["kind"] == "batches":
        for key in old:  # un-commit: from now on their rows are not read through documents
            if key != new:
                writer.part_path("documents", key).unlink(missing_ok=True)
        parquet._fsync_dir(writer.table_dir("documents"))
    for tmp, final in journal["staged"]:
        if Path(tmp).exists():
            nth = next(parquet._write_count)
            parquet._maybe_fault("before-rename", nth)
            os.replace(tmp, final)
            parquet._fsync_dir(Path(final).parent)
            parquet._maybe_fault("after-rename", nth)
    tables = ("documents", *BATCH_SIBLINGS) if journal["kind"] == "batches" else ("failures",)
    for key in old:
        if key == new:
            continue
        for name in tables:
            writer.part_path(name, key).unlink(missing_ok=True)
    (writer.out / JOURNAL).unlink(missing_ok=True)
    parquet._fsync_dir(writer.out)


def recover_compaction(writer: DatasetWriter) -> bool:
    """Roll forward a compaction that was cut short; True if there was one."""
    path = writer.out / JOURNAL
    if not path.is_file():
        return False
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # written atomically: only tampering gets here
        path.unlink()
        return False
    staged_ok = all(Path(tmp).exists() or Path(final).exists() for tmp, final in journal["staged"])
    if not staged_ok:  # the merged files are gone: the old batches must stay
        path.unlink()
        return False
    _roll_forward(writer, journal)
    return True
