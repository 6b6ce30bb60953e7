"""Scaling: 1x, 4x and 16x the corpus. Time per character may not grow by more
than 15 %, and peak memory must stay flat (batches are streamed; the corpus's
Docs are never held)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE_CHARS = int(os.environ.get("BENCH_SCALE_BASE_CHARS", "25000"))


@pytest.fixture(scope="module")
def runs():
    out = {}
    for k in (1, 4, 16):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.scale", str(k), str(BASE_CHARS)], cwd=ROOT,
                              capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        out[k] = json.loads(proc.stdout.strip().splitlines()[-1])
    (ROOT / ".benchmarks").mkdir(exist_ok=True)
    (ROOT / ".benchmarks" / "scaling.json").write_text(json.dumps(out, indent=1))
    return out


def test_time_per_character_grows_at_most_15_percent(runs):
    per_char = {k: r["seconds"] / r["chars"] for k, r in runs.items()}
    assert per_char[16] <= 1.15 * per_char[1], per_char
    assert per_char[4] <= 1.15 * per_char[1], per_char


def test_peak_memory_is_flat(runs):
    growth = {k: (r["peak_rss_kb"] - runs[1]["peak_rss_kb"]) / 1024 for k, r in runs.items()}
    # flat: 16x the text may not cost more than 5 % of the 1x process (texts themselves are small)
    assert runs[16]["peak_rss_kb"] <= 1.05 * runs[1]["peak_rss_kb"], growth
