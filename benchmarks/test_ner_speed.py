"""NER stage speed against the peers, on the same sentences in the same run.

``make bench`` runs this file and prints the table of benchmarks/report.py
(chars/s, our ratio to each peer, MSRA test F1 computed outside the timed part).
"""

import statistics
import time

import pytest

from benchmarks import systems

#: timed rounds per corpus, after one warm-up round: the report reads each system's median
#: round, and the sample page's runs take a tenth of a second, where one stall of this
#: machine's scheduler moves a mean of two rounds by half
ROUNDS = {"pd-test": 3, "seed": 15, "pd-test-procs": 3}
#: paired rounds (ours and jiagu back to back) per corpus, for the ratio the target reads
PAIRED_ROUNDS = {"pd-test": 4, "seed": 16, "pd-test-procs": 4}


def _bench(benchmark, run, arg, n_chars, system, corpus):
    benchmark.group = corpus
    benchmark.extra_info.update(system=system, corpus=corpus, chars=n_chars)
    benchmark.pedantic(run, args=(arg,), rounds=ROUNDS[corpus], iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("system", ["ours", "jieba", "jiagu"])
@pytest.mark.parametrize("corpus", ["pd-test", "seed"])
def test_ner_speed(benchmark, request, corpus, system):
    texts = request.getfixturevalue("pd_texts" if corpus == "pd-test" else "seed_texts")
    n = sum(map(len, texts))
    if system == "ours":
        _bench(benchmark, systems.run_ours, systems.prepare_ours(texts), n, system, corpus)
    else:
        pytest.importorskip(system)
        _bench(benchmark, getattr(systems, f"run_{system}"), texts, n, system, corpus)


@pytest.mark.parametrize("processes", [1, 2])
def test_pd_test_corpus_processes(benchmark, pd_texts, processes):
    """The flow's way to use more cores: batches in parallel worker processes."""
    n = sum(map(len, pd_texts))
    pool = systems.process_pool(processes)
    try:
        _bench(benchmark, lambda b: systems.run_pool(pool, b), systems.chunks(pd_texts), n, f"ours x{processes} proc", "pd-test-procs")
    finally:
        pool.shutdown()


@pytest.mark.parametrize("corpus", ["pd-test", "seed"])
def test_ours_against_jiagu_in_paired_rounds(benchmark, request, corpus):
    """Our speed relative to jiagu's from paired rounds: each round times the two systems back
    to back, first one then the other in turn, so that both see the same state of this
    machine, whose speed drifts by 10-20 % between the minutes in which the separate tests
    above time each system. The report's target line reads the median of the rounds' ratios."""
    pytest.importorskip("jiagu")
    texts = request.getfixturevalue("pd_texts" if corpus == "pd-test" else "seed_texts")
    prepared = systems.prepare_ours(texts)
    runs = {"ours": (systems.run_ours, prepared), "jiagu": (systems.run_jiagu, texts)}
    for run, arg in runs.values():  # warm-up
        run(arg)
    seconds: dict[str, list[float]] = {"ours": [], "jiagu": []}

    def paired_rounds():
        for r in range(PAIRED_ROUNDS[corpus]):
            for name in ("ours", "jiagu") if r % 2 == 0 else ("jiagu", "ours"):
                run, arg = runs[name]
                start = time.perf_counter()
                run(arg)
                seconds[name].append(time.perf_counter() - start)

    benchmark.group = f"{corpus}-paired"
    benchmark.pedantic(paired_rounds, rounds=1, iterations=1)
    ratios = [j / o for o, j in zip(seconds["ours"], seconds["jiagu"])]
    benchmark.extra_info.update(system="ours vs jiagu, paired", paired="jiagu", corpus=corpus,
                                chars=sum(map(len, texts)), seconds=seconds, ratios=ratios,
                                ratio=statistics.median(ratios))


def test_processes_in_paired_rounds(benchmark, pd_texts):
    """Two worker processes against one, in paired rounds as against jiagu: the speed-up the
    target line reads is the median of the rounds' ratios."""
    batches = systems.chunks(pd_texts)
    pools = {1: systems.process_pool(1), 2: systems.process_pool(2)}
    seconds: dict[int, list[float]] = {1: [], 2: []}
    try:
        for pool in pools.values():  # warm-up
            systems.run_pool(pool, batches)

        def paired_rounds():
            for r in range(PAIRED_ROUNDS["pd-test-procs"]):
                for k in (1, 2) if r % 2 == 0 else (2, 1):
                    start = time.perf_counter()
                    systems.run_pool(pools[k], batches)
                    seconds[k].append(time.perf_counter() - start)

        benchmark.group = "pd-test-procs-paired"
        benchmark.pedantic(paired_rounds, rounds=1, iterations=1)
    finally:
        for pool in pools.values():
            pool.shutdown()
    speedups = [one / two for one, two in zip(seconds[1], seconds[2])]
    benchmark.extra_info.update(system="2 processes vs 1, paired", paired="processes", corpus="pd-test-procs",
                                chars=sum(map(len, pd_texts)), seconds={str(k): v for k, v in seconds.items()},
                                ratios=speedups, ratio=statistics.median(speedups))
