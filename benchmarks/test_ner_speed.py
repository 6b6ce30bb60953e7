"""NER stage speed against the peers, on the same sentences in the same run.

``make bench`` runs this file and prints the table of benchmarks/report.py
(chars/s, our ratio to each peer, MSRA test F1 computed outside the timed part).
"""

import pytest

from benchmarks import systems

#: timed rounds per corpus, after one warm-up round: the report reads each system's median
#: round, and the sample page's runs take a tenth of a second, where one stall of this
#: machine's scheduler moves a mean of two rounds by half
ROUNDS = {"pd-test": 3, "seed": 15, "pd-test-procs": 3}


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
