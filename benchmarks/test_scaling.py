"""Scaling: 1x, 4x and 16x the corpus. Time per character may not grow by more
than 15 %, and peak memory must stay flat (batches are streamed; the corpus's
Docs are never held).

Each size runs ``ROUNDS`` times in fresh processes, the sizes in turn (1x, 4x,
16x, 1x, ...). A round's growth is its time per character at 4x or 16x over
its own 1x's, measured seconds apart; the check reads the median over the
rounds. Single runs failed it on this machine with no growth at all: the 1x run
takes under half a second, consecutive 1x passes of one process vary by
+-20 %, and one failed run had 16x faster than 1x. Peak memory counts each
size's largest round.
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE_CHARS = int(os.environ.get("BENCH_SCALE_BASE_CHARS", "25000"))
ROUNDS = int(os.environ.get("BENCH_SCALE_ROUNDS", "5"))
SIZES = (1, 4, 16)


@pytest.fixture(scope="module")
def runs():
    rounds: dict[int, list[dict]] = {k: [] for k in SIZES}
    for _ in range(ROUNDS):
        for k in SIZES:
            proc = subprocess.run(
                [sys.executable, "-m", "benchmarks.scale", str(k), str(BASE_CHARS)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "OMP_NUM_THREADS": "1"},
            )
            rounds[k].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    out = {}
    for k, rs in rounds.items():
        per_char = [r["seconds"] / r["chars"] for r in rs]
        growth = [pc / (base["seconds"] / base["chars"]) for pc, base in zip(per_char, rounds[1])]
        out[k] = {
            "chars": rs[0]["chars"],
            "seconds": statistics.median(r["seconds"] for r in rs),
            "peak_rss_kb": max(r["peak_rss_kb"] for r in rs),
            "rounds_seconds": [r["seconds"] for r in rs],
            "growth": statistics.median(growth),
            "rounds_growth": growth,
        }
    (ROOT / ".benchmarks").mkdir(exist_ok=True)
    (ROOT / ".benchmarks" / "scaling.json").write_text(json.dumps(out, indent=1))
    return out


def test_time_per_character_grows_at_most_15_percent(runs):
    growth = {k: r["rounds_growth"] for k, r in runs.items()}
    assert runs[16]["growth"] <= 1.15, growth
    assert runs[4]["growth"] <= 1.15, growth


def test_peak_memory_is_flat(runs):
    growth = {k: (r["peak_rss_kb"] - runs[1]["peak_rss_kb"]) / 1024 for k, r in runs.items()}
    # flat: 16x the text may not cost more than 5 % of the 1x process (texts themselves are small)
    assert runs[16]["peak_rss_kb"] <= 1.05 * runs[1]["peak_rss_kb"], growth
