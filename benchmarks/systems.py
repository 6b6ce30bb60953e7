"""The systems compared by ``make bench``, on the same sentences.

* ``ours``   -- the NER stage exactly as the flow's NER task runs it on a batch
  (segmentation, rules, statistical model, quantities, linking);
* ``jieba``  -- ``jieba.posseg`` (ns -> LOC, nt -> ORG, nr -> PER);
* ``jiagu``  -- ``jiagu.ner(jiagu.seg(text))`` (word-level BIO).

Each ``*_spans`` function returns, per sentence, the set of (start, end,
PER|LOC|ORG) character spans, for the MSRA F1 computed outside the timed part.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.evaluate import CORPUS_LABELS, PRF

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"
JIEBA_LABELS = {"nr": "PER", "nrt": "PER", "nrfg": "PER", "ns": "LOC", "nt": "ORG"}


# -- corpora -------------------------------------------------------------------


def seed_text() -> str:
    return (ROOT / "data" / "samples" / "000_f0d3a313825c072b.txt").read_text(encoding="utf-8")


def pd_test_sentences() -> list[str] | None:
    """People's Daily NER example.test (219 K characters), or None without ../shared."""
    path = SHARED / "peoples-daily-ner" / "example.test"
    if not path.is_file():
        return None
    from pipeline.training.ner_data import read_char_bio

    return [s.text for s in read_char_bio(path)]


def msra_test():
    path = SHARED / "msra-ner" / "msra_test_bio.txt"
    if not path.is_file():
        return None
    from pipeline.training.ner_data import read_char_bio

    return list(read_char_bio(path))


# -- our NER stage ---------------------------------------------------------------


def prepare_ours(texts: list[str]):
    """Sentence records for the texts (outside the timed part): one document, one paragraph per text."""
    from pipeline import batch
    from pipeline.io.readers import make_document

    doc = make_document("\n\n".join(texts), "<bench>", "utf-8")
    return batch.clean_and_split([doc])


def run_ours(extracted) -> int:
    from pipeline import batch

    return len(batch.recognize_entities(extracted).entities)


def ours_spans(texts: list[str]) -> list[set]:
    from pipeline.nlp import load_nlp

    nlp = load_nlp()
    out = []
    for doc in nlp.pipe(texts, batch_size=256):
        out.append({(e.start_char, e.end_char, CORPUS_LABELS[e.label_]) for e in doc.ents if e.label_ in CORPUS_LABELS})
    return out


# -- peers -----------------------------------------------------------------------


def run_jieba(texts: list[str]) -> int:
    import jieba.posseg as pseg

    n = 0
    for t in texts:
        n += sum(1 for w in pseg.cut(t) if w.flag in JIEBA_LABELS)
    return n


def jieba_spans(texts: list[str]) -> list[set]:
    import jieba.posseg as pseg

    out = []
    for t in texts:
        spans, pos = set(), 0
        for w in pseg.cut(t):
            if w.flag in JIEBA_LABELS:
                spans.add((pos, pos + len(w.word), JIEBA_LABELS[w.flag]))
            pos += len(w.word)
        out.append(spans)
    return out


def run_jiagu(texts: list[str]) -> int:
    import jiagu

    return sum(sum(1 for tag in jiagu.ner(jiagu.seg(t)) if tag.startswith("B-")) for t in texts)


def jiagu_spans(texts: list[str]) -> list[set]:
    import jiagu

    out = []
    for t in texts:
        words = jiagu.seg(t)
        tags = jiagu.ner(words)
        spans, pos, cur = set(), 0, None
        for w, tag in zip(words, tags):
            if tag.startswith("B-") or tag == "O" or (tag.startswith("I-") and (cur is None or cur[2] != tag[2:])):
                if cur:
                    spans.add(tuple(cur))
                cur = [pos, pos + len(w), tag[2:]] if tag != "O" else None
            else:
                cur[1] = pos + len(w)
            pos += len(w)
        if cur:
            spans.add(tuple(cur))
        out.append(spans)
    return out


SPANS = {"ours": ours_spans, "jieba": jieba_spans, "jiagu": jiagu_spans}


def msra_f1(system: str) -> float | None:
    """Micro F1 (PER/LOC/ORG) of ``system`` on the MSRA test, statistical and rule parts included."""
    samples = msra_test()
    if samples is None:
        return None
    pred = SPANS[system]([s.text for s in samples])
    score = PRF()
    for i, (s, p) in enumerate(zip(samples, pred)):
        gold = {(a, b, CORPUS_LABELS.get(lab, lab)) for a, b, lab in s.spans}
        score.add({(i, *g) for g in gold}, {(i, *x) for x in p})
    return round(score.f, 4)


# -- two processes -------------------------------------------------------------------


def _worker_init() -> None:
    from pipeline.nlp import load_nlp

    load_nlp()


def _worker_run(chunk: list[str]) -> int:
    return run_ours(prepare_ours(chunk))


def chunks(texts: list[str], chars: int = 5_000) -> list[list[str]]:
    out, cur, n = [], [], 0
    for t in texts:
        cur.append(t)
        n += len(t)
        if n >= chars:
            out.append(cur)
            cur, n = [], 0
    if cur:
        out.append(cur)
    return out


def process_pool(n: int):
    """A pool of ``n`` worker processes with the pipeline loaded (outside the timed part)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(n, mp_context=mp.get_context("spawn"), initializer=_worker_init)
    list(pool.map(_worker_run, [["预热。"]] * n))  # load the model in every worker
    return pool


def run_pool(pool, batches: list[list[str]]) -> int:
    return sum(pool.map(_worker_run, batches))
