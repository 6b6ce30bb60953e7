"""The whole flow as users run it: ``python -m pipeline run`` in a subprocess.

Pages are built from People's Daily 1998 text (``pipeline.training.corpora``: the copy
beside the checkout, or the one the training flow fetches from the package index),
about 5,000 characters each. One run is measured from the outside and from its output:

* ``steady_chars_per_s``: characters of the documents committed after the first batch
  (with ``--workers k``: after the k-th, as k batches finish together), over the time
  between that batch's and the last batch's ``processed_at`` (start-up, model load and the
  first batches excluded: the same measure for one process and for Dask);
* ``startup_s`` (the CLI's start-up line: Prefect and the flow run, model load) and
  ``first_batch_s`` (from the command to the first batch written);
* the stage wall seconds of the CLI's summary, and the NER stage's chars/s from them;
* ``peak_rss_mb``: the largest summed RSS of the run's whole process tree (the CLI, its
  Prefect server, Dask workers), sampled every 0.2 s from ``/proc``.

The environment is the user's: ``OMP_NUM_THREADS`` and friends are removed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_CHARS = 5_000
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def build_pages(directory: Path, n_pages: int) -> int:
    """Write ``n_pages`` pages of People's Daily 1998 sentences; returns their characters.
    Past the corpus's end the pages repeat its text with a page number in front (distinct documents)."""
    from pipeline.training import corpora

    lines = []
    for line in corpora.peoples_daily_1998().read_text(encoding="utf-8").splitlines():
        text = re.sub(r"/[A-Za-z]+|\[|\]|\s", "", line)
        if len(text) >= 10:
            lines.append(text)
    directory.mkdir(parents=True, exist_ok=True)
    total, i, page = 0, 0, 0
    while page < n_pages:
        body, size = [], 0
        while size < PAGE_CHARS:
            sentence = lines[i % len(lines)]
            body.append(sentence)
            size += len(sentence)
            i += 1
        text = f"# 第{page + 1}版\n\n" + "\n\n".join(body) + "\n"
        (directory / f"{page:05d}.txt").write_text(text, encoding="utf-8")
        total += len(unicodedata.normalize("NFKC", text))
        page += 1
    return total


def _tree_rss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        m = re.search(r"VmRSS:\s+(\d+)", status)
        rss[int(entry.name)] = int(m.group(1)) if m else 0
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run(pages: Path, out: Path, *args: str) -> dict:
    """One ``pipeline run`` over ``pages`` into a fresh ``out``; the measures above."""
    import shutil

    import pyarrow.compute as pc

    from pipeline.io.parquet import read_table

    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARS and k != "PREFECT_API_URL"}
    env.update(COLUMNS="250", PREFECT_LOGGING_LEVEL="WARNING")
    cmd = [sys.executable, "-m", "pipeline", "run", str(pages), "--out", str(out), "--no-progress", *args]
    peak = [0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {stderr[-3000:]}")
    text = " ".join(stdout.split())
    stages = {
        k: float(w)
        for k, w, _ in re.findall(r"([\w-]+) ([\d.]+)/([\d.]+)", text.split("stages, wall/CPU seconds:")[1].split("start-up")[0])
    }
    m = re.search(r"Prefect and the flow run ([\d.]+) s, model load ([\d.]+) s; first batch written ([\d.]+|None) s", text)
    docs = read_table(out, "documents").select(["n_chars", "processed_at"]).to_pylist()
    times = sorted({d["processed_at"] for d in docs})
    # with k workers the first k batches finish together: the window starts at the k-th
    workers = int(args[args.index("--workers") + 1]) if "--workers" in args else 1
    first, last = times[min(workers, len(times)) - 1], times[-1]
    later = sum(d["n_chars"] for d in docs if d["processed_at"] > first)
    chars = sum(d["n_chars"] for d in docs)
    span = (last - first).total_seconds()
    row = next((line for line in stdout.splitlines() if line.count("│") >= 8 and re.search(r"\d", line)), None)
    flow_seconds = float([c.strip() for c in row.split("│") if c.strip()][-1]) if row else None
    return {
        "args": list(args),
        "pages": len(docs),
        "chars": chars,
        "batches": len(times),
        "command_s": round(wall, 2),
        "flow_s": flow_seconds,
        "steady_chars_per_s": round(later / span) if span > 0 else None,
        "startup_s": {"prefect": float(m.group(1)), "models": float(m.group(2))} if m else None,
        "first_batch_s": float(m.group(3)) if m and m.group(3) != "None" else None,
        "stage_seconds": stages,
        "ner_chars_per_s": round(chars / stages["ner"]) if stages.get("ner") else None,
        "peak_rss_mb": round(peak[0] / 1024),
        "entities": read_table(out, "entities").num_rows,
        "n_chars_check": int(pc.sum(read_table(out, "documents").column("n_chars")).as_py()),
    }


if __name__ == "__main__":  # python -m benchmarks.flow PAGES OUT [run args...]
    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:])))
