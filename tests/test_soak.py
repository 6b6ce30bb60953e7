"""Soak test (``make test-slow``): many pages, JSONL files appended between runs, runs
SIGKILLed at random points, a part deleted and one corrupted between runs. After the
final rerun the tables equal a clean run's row for row, and no process of the pipeline
is left (killed runs' temporary Prefect servers are stopped by the next run).

``PIPELINE_SOAK_PAGES`` sets the number of pages (default 2,000 of the sample's size);
``PIPELINE_SOAK_SEED`` the seed of the kill times and damage.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import schema
from pipeline.io.parquet import DatasetWriter, read_table

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROUNDS = 5


def _variant(text: str, i: int) -> str:
    """The sample page with its figures changed: a distinct page of the same size and shape."""
    digits = str(i)
    out, k = [], 0
    for ch in text:
        if ch.isdigit():
            ch = digits[k % len(digits)]
            k += 1
        out.append(ch)
    return f"# 第{i}期\n\n" + "".join(out)


def _snapshot(out: Path) -> dict[str, list[str]]:
    from tests.conftest import output_snapshot

    return output_snapshot(out, [name for name in schema.TABLES if name != "failures"], ("processed_at",))


def _cli(inputs: Path, out: Path, env: dict) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pipeline", "run", str(inputs), "--out", str(out), "--no-progress", "--batch-size", "32"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_soak_killed_appended_damaged_runs_end_equal_to_a_clean_run(tmp_path, seed_text):
    from pipeline import ephemeral

    n_pages = int(os.environ.get("PIPELINE_SOAK_PAGES", "2000"))
    rng = random.Random(int(os.environ.get("PIPELINE_SOAK_SEED", "20261203")))
    inputs = tmp_path / "in"
    (inputs / "pages").mkdir(parents=True)
    for i in range(n_pages):
        (inputs / "pages" / f"{i:05d}.txt").write_text(_variant(seed_text, i + 1), encoding="utf-8")
    lines = [
        json.dumps({"id": f"j{i}", "text": f"重庆市科技局第{i}次会议召开，投入资金{i + 5}亿元。"}, ensure_ascii=False) + "\n"
        for i in range(ROUNDS * 20)
    ]
    feed = inputs / "feed.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # the ephemeral mode, as users run it
    env["PREFECT_LOGGING_LEVEL"] = "ERROR"

    out = tmp_path / "out"
    for round_ in range(ROUNDS):
        with feed.open("a", encoding="utf-8") as fh:  # the feed grows between runs
            fh.writelines(lines[round_ * 20 : (round_ + 1) * 20])
        proc = _cli(inputs, out, env)
        # kill somewhere after the start-up (15-40 s: server, models) and before the end
        time.sleep(rng.uniform(20, 60))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        writer = DatasetWriter(out)
        if round_ == 2 and writer.parts("entities"):
            rng.choice(writer.parts("entities")).unlink()
        if round_ == 3 and writer.parts("sentences"):
            part = rng.choice(writer.parts("sentences"))
            data = bytearray(part.read_bytes())
            data[len(data) // 2] ^= 0xFF
            part.write_bytes(bytes(data))
    final = _cli(inputs, out, env)
    _, err = final.communicate(timeout=3 * 3600)
    assert final.returncode == 0, err[-3000:]

    reference = tmp_path / "reference"
    clean = _cli(inputs, reference, env)
    _, err = clean.communicate(timeout=3 * 3600)
    assert clean.returncode == 0, err[-3000:]

    assert _snapshot(out) == _snapshot(reference)
    assert read_table(out, "documents").num_rows == n_pages + len(lines)
    assert not DatasetWriter(out).damaged_batches()
    assert not list(out.rglob("*.tmp"))
    # no process of the pipeline is left: the last runs stopped the killed runs' servers
    assert ephemeral.orphans() == []
