"""Crash safety: a run SIGKILLed while writing, then run again, ends with
complete and identical output, no duplicate rows, and no partial file visible
to readers at any point. Also: two runs on one output directory."""

import asyncio
import json
import os
import subprocess
import sys

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline import schema

pytestmark = pytest.mark.e2e

PAGES = [
    "# 重庆市科技局发布新政\n\n□ 重庆日报记者 张亦筑\n\n7月10日，重庆市科技局发布消息，全市研发投入强度达到2.36%。云阳县新增企业120家。",
    "# 西南油气田公司增产\n\n中国石油西南油气田公司重庆气矿日产天然气1.27万立方米，位于云阳县人和街道。",
    "# 大足区教委召开会议\n\n新渝报讯（记者 邓小强）大足区教委近日召开会议，部署2023年工作。",
    "# 成渝地区双城经济圈\n\n四川省和重庆市签署协议，未来五年投资超过3000亿元。",
    "# 自贸试验区\n\n中国（重庆）自由贸易试验区1—6月新增市场主体5000余户。",
]


def _rows(out, name):
    table = ds.dataset(out / name, format="parquet").to_table()
    cols = [c for c in table.column_names if c not in ("processed_at", "at")]
    return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) for r in table.select(cols).to_pylist())


def _snapshot(out):
    return {name: _rows(out, name) for name in schema.TABLES}


def _visible_files_are_complete(out):
    for name in schema.TABLES:
        for p in (out / name).iterdir():
            if not p.name.startswith("."):
                pq.read_metadata(p)  # raises on a partial file


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("pages")
    for i, text in enumerate(PAGES):
        (d / f"p{i}.txt").write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def reference(prefect_harness, pages, tmp_path_factory):
    from pipeline.flows import extract

    out = tmp_path_factory.mktemp("reference")
    asyncio.run(extract([str(pages)], str(out), batch_size=2))
    return _snapshot(out)


def _killed_run(pages, out, fault, api_url):
    env = {**os.environ, "PIPELINE_FAULT": fault, "PREFECT_API_URL": api_url, "PREFECT_LOGGING_LEVEL": "ERROR"}
    cmd = [sys.executable, "-m", "pipeline", "run", str(pages), "--out", str(out), "--batch-size", "2", "--no-progress"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


# batches of 2 documents write 5 parts each (articles, sentences, entities,
# relations, then documents): kill inside the first batch, right after the
# first commit, and inside the last batch
@pytest.mark.parametrize("fault", ["kill-before-rename:2", "kill-after-rename:5", "kill-before-rename:13"])
def test_killed_run_then_rerun_gives_identical_output(prefect_harness, pages, reference, tmp_path, fault):
    from pipeline.flows import extract

    out = tmp_path / "out"
    proc = _killed_run(pages, out, fault, prefect_harness)
    assert proc.returncode == -9, proc.stdout[-3000:] + proc.stderr[-3000:]
    _visible_files_are_complete(out)  # what a reader sees after the crash
    summary = asyncio.run(extract([str(pages)], str(out), batch_size=2))
    assert summary["documents"] + summary["skipped"] == len(PAGES)
    assert _snapshot(out) == reference
    assert not list(out.rglob("*.tmp"))
    # and once more: nothing left to do, nothing changes
    again = asyncio.run(extract([str(pages)], str(out), batch_size=2))
    assert again["documents"] == 0 and again["skipped"] == len(PAGES)
    assert _snapshot(out) == reference


def test_killed_force_run_then_rerun_gives_identical_output(prefect_harness, pages, reference, tmp_path):
    from pipeline.flows import extract

    out = tmp_path / "out"
    asyncio.run(extract([str(pages)], str(out), batch_size=2))
    env_fault = "kill-after-rename:2"  # in the middle of --force's removal of old rows
    env = {**os.environ, "PIPELINE_FAULT": env_fault, "PREFECT_API_URL": prefect_harness, "PREFECT_LOGGING_LEVEL": "ERROR"}
    cmd = [
        sys.executable,
        "-m",
        "pipeline",
        "run",
        str(pages),
        "--out",
        str(out),
        "--batch-size",
        "2",
        "--no-progress",
        "--force",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert (out / ".removing.json").exists()
    asyncio.run(extract([str(pages)], str(out), batch_size=2))
    assert _snapshot(out) == reference


def test_a_second_run_on_the_same_output_waits_or_fails_clearly(prefect_harness, pages, tmp_path, capsys):
    from pipeline.cli import EXIT_LOCKED, main
    from pipeline.io.lock import OutputLock

    out = tmp_path / "out"
    with OutputLock(out):
        code = main(["run", str(pages), "--out", str(out), "--no-progress", "--lock-timeout", "0.5"])
    assert code == EXIT_LOCKED
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "is in use by another run (pid" in err
    assert not list(out.rglob("*.parquet"))  # the waiting run wrote nothing
