"""``pipeline compact``: every row kept, fewer files, and a compaction killed midway is
rolled forward by the next run or compaction."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from pipeline.io.parquet import DatasetWriter, read_table
from tests.conftest import output_snapshot, write_numbered_pages

pytestmark = pytest.mark.e2e


def _snapshot(out):
    return output_snapshot(out)


@pytest.fixture()
def output(prefect_harness, tmp_path):
    from pipeline.flows import extract

    pages = write_numbered_pages(
        tmp_path / "pages", 9, lambda i: f"# 第{i}号通知\n\n重庆市科技局发布通知，全市新增企业{100 + i}家，投入资金{i + 2}亿元。"
    )
    (pages / "bad.txt").write_bytes(b"")
    (pages / "bad2.md").write_bytes(b"   ")
    out = tmp_path / "out"
    asyncio.run(extract([str(pages)], str(out), batch_size=2))
    return pages, out


def test_compact_keeps_every_row_in_fewer_files(output, capsys):
    from pipeline.cli import main

    pages, out = output
    before = _snapshot(out)
    writer = DatasetWriter(out)
    n_before = len(writer.parts("entities"))
    assert main(["compact", str(out)]) == 0
    assert "rows unchanged" in " ".join(capsys.readouterr().out.split())
    assert _snapshot(out) == before
    assert len(writer.parts("entities")) == 2 < n_before  # the schema part and one merged part
    assert not writer.damaged_batches()
    # a later run over the same input skips everything; --force redoes it on the merged parts
    from pipeline.flows import extract

    again = asyncio.run(extract([str(pages)], str(out), batch_size=2))
    assert again["documents"] == 0 and again["skipped"] == 9
    assert _snapshot(out)["entities"] == before["entities"]


def test_a_small_target_merges_in_groups(output):
    from pipeline.io.compact import compact

    _, out = output
    before = _snapshot(out)
    report = compact(out, target_bytes=1)  # every batch is over the target: nothing to merge
    assert report.groups == 0 and _snapshot(out) == before
    writer = DatasetWriter(out)
    key = writer.key_of(writer.parts("documents")[0])
    size = max(
        writer.part_path(name, key).stat().st_size for name in ("documents", "articles", "sentences", "entities", "relations")
    )
    report = compact(out, target_bytes=int(size * 2.5))  # two batches a group
    assert report.groups >= 2 and _snapshot(out) == before


@pytest.mark.parametrize("fault", ["kill-after-rename:1", "kill-before-rename:3", "kill-after-rename:5"])
def test_a_compaction_killed_midway_loses_and_duplicates_nothing(output, prefect_harness, fault):
    pages, out = output
    before = _snapshot(out)
    env = {**os.environ, "PIPELINE_FAULT": fault}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "compact", str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == -9, proc.stderr[-2000:]
    # what a reader sees through documents right after the kill: no row twice
    docs = read_table(out, "documents").column("doc_id").to_pylist()
    assert len(docs) == len(set(docs))
    ents = read_table(out, "entities").column("ent_id").to_pylist()
    assert len(ents) == len(set(ents))
    # the next run (or compaction) finishes it
    from pipeline.flows import extract

    summary = asyncio.run(extract([str(pages)], str(out), batch_size=2))
    assert summary["documents"] == 0
    assert _snapshot(out) == before
    assert not (out / ".compacting.json").exists() and not list(out.rglob("*.tmp"))
