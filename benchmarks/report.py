"""Print the ``make bench`` table from the pytest-benchmark JSON.

    python -m benchmarks.report .benchmarks/ner.json

chars/s per system and corpus (from each system's median round), our ratio to
each peer, and each system's MSRA test micro F1 (computed once, outside the timed part, and cached in
.benchmarks/msra_f1.json with the pipeline's rules and model versions).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: jiagu's NER speed on one core when issue 6 was written: the target is jiagu's speed in the
#: same run, as this machine's speed moves by up to 50 % between sittings
ORIENTATION_CHARS_PER_S = 65_000


def msra_scores(systems_seen: set[str]) -> dict[str, float | None]:
    from benchmarks import systems
    from pipeline.flows import output_metadata

    cache_path = ROOT / ".benchmarks" / "msra_f1.json"
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() else {}
    key = json.dumps(output_metadata(), sort_keys=True)
    out = {}
    for s in sorted(systems_seen):
        base = s.split(" ")[0]
        ck = f"{base}|{key if base == 'ours' else ''}"
        if ck not in cache:
            cache[ck] = systems.msra_f1(base)
        out[s] = cache[ck]
    cache_path.parent.mkdir(exist_ok=True)
    cache_path.write_text(json.dumps(cache, indent=1))
    return out


def main(path: str) -> int:
    data = json.loads(Path(path).read_text())
    rows = []
    paired: dict[str, dict] = {}  # corpus -> extra_info of the paired rounds against jiagu
    paired_procs: dict | None = None  # extra_info of the paired rounds of 2 processes against 1
    quantities: dict | None = None  # extra_info of the quantities component's share of the NER stage
    for b in data["benchmarks"]:
        info = b["extra_info"]
        if info.get("paired") == "processes":
            paired_procs = info
            continue
        if "share" in info:
            quantities = info
            continue
        if "ratios" in info:
            paired[info["corpus"]] = info
            continue
        rows.append((info["corpus"], info["system"], info["chars"] / b["stats"]["median"]))
    f1 = msra_scores({r[1] for r in rows})
    by_corpus: dict[str, dict[str, float]] = {}
    for corpus, system, cps in rows:
        by_corpus.setdefault(corpus, {})[system] = cps
    print(f"{'corpus':<15}{'system':<16}{'chars/s':>10}{'ours/this':>11}{'MSRA F1':>9}")
    for corpus, systems_ in by_corpus.items():
        ours = systems_.get("ours") or systems_.get("ours x1 proc")
        for system, cps in sorted(systems_.items(), key=lambda kv: -kv[1]):
            ratio = f"{ours / cps:.2f}" if ours else ""
            score = f1.get(system)
            print(f"{corpus:<15}{system:<16}{cps:>10,.0f}{ratio:>11}{'' if score is None else f'{score:.3f}':>9}")
    if quantities is not None:
        shares = " ".join(f"{x:.1%}" for x in quantities["shares"])
        ok = "met" if quantities["share"] < 0.10 else "NOT MET"
        print(
            f"\nquantities component inside the NER stage: {quantities['share']:.1%} of its time "
            f"(rounds {shares}; target < 10%: {ok})"
        )
    procs = by_corpus.get("pd-test-procs", {})
    if "ours x1 proc" in procs and "ours x2 proc" in procs:
        print(f"\n2 processes / 1 process, each one's median round: {procs['ours x2 proc'] / procs['ours x1 proc']:.2f}x")
    if paired_procs is not None:
        rounds = " ".join(f"{r:.2f}" for r in paired_procs["ratios"])
        ok = "met" if paired_procs["ratio"] >= 1.7 else "NOT met"
        print(f"2 processes / 1 process, paired rounds: {paired_procs['ratio']:.2f}x (rounds {rounds}; target >= 1.7x: {ok})")
    pd = by_corpus.get("pd-test", {})
    if "ours" in pd:
        jiagu = f"{pd['jiagu']:,.0f}" if "jiagu" in pd else "not run"
        print(
            f"NER stage on one core: {pd['ours']:,.0f} chars/s ({ORIENTATION_CHARS_PER_S:,} was jiagu's speed "
            f"when issue 6 was written; jiagu in this run: {jiagu})"
        )
    ratios = {corpus: s["ours"] / s["jiagu"] for corpus, s in by_corpus.items() if "ours" in s and "jiagu" in s}
    if ratios:
        shown = ", ".join(f"{corpus} {r:.2f}" for corpus, r in ratios.items())
        print(f"ours / jiagu, each system's median round: {shown}")
    if paired:
        # the target: each round of the pair sees the same state of the machine
        for corpus, info in paired.items():
            rounds = " ".join(f"{r:.2f}" for r in info["ratios"])
            print(f"ours / jiagu, paired rounds: {corpus} {info['ratio']:.2f} (median of the rounds: {rounds})")
        ok = "met" if min(info["ratio"] for info in paired.values()) >= 1.0 else "NOT met"
        print(f"target: at least jiagu's speed in the same run, paired ratio >= 1.0 on each corpus: {ok}")
    elif ratios:
        ok = "met" if min(ratios.values()) >= 1.0 else "NOT met"
        print(f"target: at least jiagu's speed in the same run, >= 1.0 on each corpus: {ok} (this JSON has no paired rounds)")
    flow = ROOT / ".benchmarks" / "flow.json"
    if flow.is_file():
        print("\nwhole flow, `python -m pipeline run` as a user runs it (no OMP_NUM_THREADS):")
        print(
            f"{'run':<12}{'pages':>6}{'steady chars/s':>15}{'NER chars/s':>12}{'flow/NER':>9}{'start-up s':>11}"
            f"{'1st batch s':>12}{'peak RSS MB':>12}   stage shares"
        )
        runs = json.loads(flow.read_text())
        for name, r in runs.items():
            total = sum(r["stage_seconds"].values()) or 1.0
            shares = " ".join(f"{k} {v / total:.0%}" for k, v in r["stage_seconds"].items())
            startup = sum((r.get("startup_s") or {}).values())
            ratio = (
                r["steady_chars_per_s"] / r["ner_chars_per_s"] if r.get("ner_chars_per_s") and r.get("steady_chars_per_s") else 0
            )
            print(
                f"{name:<12}{r['pages']:>6}{r['steady_chars_per_s'] or 0:>15,}{r['ner_chars_per_s'] or 0:>12,}{ratio:>9.2f}"
                f"{startup:>11.1f}{r['first_batch_s'] or 0:>12.1f}{r['peak_rss_mb']:>12,}   {shares}"
            )
        if "workers 2" in runs and "default" in runs:
            print(
                f"--workers 2 / one process: {runs['workers 2']['steady_chars_per_s'] / runs['default']['steady_chars_per_s']:.2f}x (target >= 1.7)"
            )
    scaling = ROOT / ".benchmarks" / "scaling.json"
    if scaling.is_file():
        s = json.loads(scaling.read_text())
        for k, r in s.items():
            rounds = " ".join(f"{g:.2f}" for g in r.get("rounds_growth", []))
            print(
                f"scaling {k:>2}x: {r['chars']:>9,} chars  {r['chars'] / r['seconds']:>8,.0f} chars/s  "
                f"time/char {r.get('growth', 1.0):.2f}x of 1x (rounds {rounds})  peak RSS {r['peak_rss_kb'] / 1024:.0f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / ".benchmarks" / "ner.json")))
