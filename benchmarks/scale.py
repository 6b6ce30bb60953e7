"""One scaling measurement in a fresh process: the NER stage streamed over
K times a base corpus in flow-sized batches; prints JSON with seconds,
characters and peak RSS. Used by test_scaling.py."""

from __future__ import annotations

import json
import resource
import sys
import time


def peak_rss_kb() -> int:
    """This process's peak resident set in kB: ``VmHWM`` of its own memory map where /proc
    has it. ``ru_maxrss`` (the fallback elsewhere) keeps, on Linux, the parent's resident
    set at the fork: started from ``make bench``'s pytest, every size reported pytest's
    own 640-690 MB, whatever the stage used."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(times: int, base_chars: int, batch_chars: int = 20_000) -> dict:
    from benchmarks import systems
    from pipeline import batch
    from pipeline.nlp import load_nlp

    texts = systems.pd_test_sentences() or [systems.seed_text()]
    base, n = [], 0
    for t in texts:
        if n >= base_chars:
            break
        base.append(t)
        n += len(t)
    load_nlp()  # model loading is not part of the stage's throughput,
    batch.recognize_entities(systems.prepare_ours(base[:20]))  # nor are the rules' and gazetteers' lazy loads
    rss0 = peak_rss_kb()
    total, ents, t0 = 0, 0, time.perf_counter()
    chunk: list[str] = []
    for _ in range(times):
        for t in base:
            chunk.append(t)
            if sum(map(len, chunk)) >= batch_chars:
                ents += len(batch.recognize_entities(systems.prepare_ours(chunk)).entities)
                total += sum(map(len, chunk))
                chunk = []
    if chunk:
        ents += len(batch.recognize_entities(systems.prepare_ours(chunk)).entities)
        total += sum(map(len, chunk))
    seconds = time.perf_counter() - t0
    rss = peak_rss_kb()
    return {"times": times, "chars": total, "seconds": seconds, "entities": ents, "rss_before_kb": rss0, "peak_rss_kb": rss}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
