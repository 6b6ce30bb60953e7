"""Bad input and a hostile environment, end to end: each ends with a clear
message, a recorded failure where there is an input to blame, and nothing
lost of the good inputs."""

import asyncio
import os
import subprocess

import pyarrow.dataset as ds
import pytest

from tests.conftest import write_numbered_pages

pytestmark = pytest.mark.e2e

GOOD = "# 重庆市科技局发布通知\n\n重庆市科技局发布通知，全市新增企业120家。"


def _failures(out):
    return {
        (f["path"].rsplit("/", 1)[-1], f["stage"]): f["error"]
        for f in ds.dataset(out / "failures", format="parquet").to_table().to_pylist()
    }


def test_a_20_mb_single_line_file_is_rejected_with_its_size(prefect_harness, tmp_path):
    from pipeline.flows import extract

    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text(GOOD, encoding="utf-8")
    line = ("重庆市科技局发布通知全市新增企业" * 437_000)[:7_000_000]  # 21 MB of UTF-8, no line break
    (src / "huge.txt").write_text(line, encoding="utf-8")
    assert (src / "huge.txt").stat().st_size >= 20_000_000
    out = tmp_path / "out"
    summary = asyncio.run(extract([str(src)], str(out)))
    assert summary["documents"] == 1 and summary["failures"] == 1
    error = _failures(out)[("huge.txt", "read")]
    assert "document too large" in error and "PIPELINE_MAX_DOC_CHARS" in error


def test_a_file_that_disappears_mid_run_is_a_recorded_failure(prefect_harness, tmp_path, monkeypatch):
    from pipeline import flows

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.txt", "b.txt", "gone.txt"):
        (src / name).write_text(GOOD.replace("120", str(len(name) * ord(name[0]))), encoding="utf-8")
    real_discover = flows.discover

    def discover_then_delete(inputs):
        found = real_discover(inputs)
        (src / "gone.txt").unlink()  # removed between listing and reading
        return found

    monkeypatch.setattr(flows, "discover", discover_then_delete)
    out = tmp_path / "out"
    summary = asyncio.run(flows.extract([str(src)], str(out)))
    assert summary["documents"] == 2
    assert _failures(out) == {("gone.txt", "read"): "file disappeared before it could be read"}


@pytest.fixture()
def readonly_dir(tmp_path):
    """A directory nobody can write: chmod for a normal user; root writes
    through permission bits, so for root a read-only bind mount."""
    d = tmp_path / "readonly"
    d.mkdir()
    if os.geteuid() != 0:
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    ok = subprocess.run(["mount", "--bind", str(d), str(d)], capture_output=True).returncode == 0
    ok = ok and subprocess.run(["mount", "-o", "remount,ro,bind", str(d)], capture_output=True).returncode == 0
    if not ok:
        subprocess.run(["umount", str(d)], capture_output=True)
        pytest.skip("running as root without permission to make a read-only bind mount")
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=True)


def test_read_only_output_directory_is_refused_clearly(readonly_dir, seed_path, capsys):
    from pipeline.cli import main

    code = main(["run", str(seed_path), "--out", str(readonly_dir), "--no-progress"])
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot write to output directory" in err and ("Read-only" in err or "Permission denied" in err)
    assert list(readonly_dir.iterdir()) == []


def test_output_that_turns_read_only_mid_run_ends_clearly_and_resumes(prefect_harness, tmp_path, monkeypatch, capsys):
    """The disk fails after the first batch: clear message, exit 74, the first
    batch stays committed, and a rerun completes the output."""
    from pipeline.cli import EXIT_WRITE_FAILED, main
    from pipeline.io import parquet

    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        (src / f"{i}.txt").write_text(GOOD.replace("120", str(100 + i)), encoding="utf-8")
    out = tmp_path / "out"
    real = parquet._stage_table
    calls = {"n": 0}

    def failing(table, path):
        calls["n"] += 1
        if calls["n"] > 5:  # after the first batch's five parts
            raise OSError(30, "Read-only file system", str(path))
        return real(table, path)

    monkeypatch.setattr(parquet, "_stage_table", failing)
    code = main(["run", str(src), "--out", str(out), "--no-progress", "--batch-size", "1"])
    assert code == EXIT_WRITE_FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "writing the output failed" in err and "run the same command again" in err
    monkeypatch.setattr(parquet, "_stage_table", real)
    assert main(["run", str(src), "--out", str(out), "--no-progress", "--batch-size", "1"]) == 0
    assert ds.dataset(out / "documents", format="parquet").count_rows() == 4


@pytest.mark.slow
@pytest.mark.fuzz
def test_a_directory_of_10000_small_files(prefect_harness, tmp_path):
    from pipeline.flows import extract

    src = write_numbered_pages(tmp_path / "in", 10_000, lambda i: f"第{i}号通知：重庆市科技局发布第{i}号通知。")
    out = tmp_path / "out"
    summary = asyncio.run(extract([str(src)], str(out), batch_size=500))
    assert summary["documents"] == 10_000 and summary["failures"] == 0
    assert ds.dataset(out / "documents", format="parquet").count_rows() == 10_000
    assert ds.dataset(out / "sentences", format="parquet").count_rows() >= 10_000
