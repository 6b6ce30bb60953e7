"""Preparing data for and training the statistical NER (spaCy).

``prepare`` writes ``train.spacy`` / ``dev.spacy`` DocBins from the public
corpora (never from the MSRA test split); ``train`` runs spaCy's trainer on
``models/ner/config.cfg``. The development set is the fixed MSRA development
split (about 5 % of MSRA train, by a stable hash: ``ner_data.is_msra_dev``):
early stopping and the choice between runs are made on it, and its sentences
are removed from every training source.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from spacy.tokens import DocBin

from pipeline.training import corpora
from pipeline.training.ner_data import (
    PD1998_LABELS,
    Sample,
    dedupe,
    is_msra_dev,
    msra_splits,
    read_char_bio,
    read_cluener,
    read_pd1998_silver,
    to_docs,
)

#: the shipped recipe: all of MSRA train but its development split, People's
#: Daily NER (deduplicated: most of it is MSRA text), People's Daily 1998 silver and
#: CLUENER (web news, its finer labels mapped to ours)
SOURCES = ("msra-train", "pd-ner", "pd1998-silver", "cluener")
#: labels taken from the People's Daily 1998 silver data (the others are marked
#: missing). PERSON came back once runs of nr words were cut into names at
#: surnames (李/nr 鹏/nr 乔/nr 石/nr is two people, not one): merged, they had
#: cost 9 points of PER F1 on MSRA
SILVER_LABELS = ("PERSON", "LOC", "ORG")


def needed_corpus(name: str, why: str) -> Path:
    """The folder of the corpus ``name``, or :class:`corpora.CorpusNotFound` saying ``why`` it is needed."""
    folder = corpora.corpus_dir(name)
    if folder is None:
        raise corpora.CorpusNotFound(
            f"{name} corpus not found ({why}): set PIPELINE_CORPORA_DIR or place it in ../shared/corpora"
        )
    return folder


def msra_dir() -> Path:
    return needed_corpus("msra-ner", "needed to exclude its test sentences")


def msra_dev() -> list[Sample]:
    """The MSRA development split (choices are made on it, never on the test)."""
    return msra_splits(msra_dir() / "train" / "msra_train_bio.txt")[1]


def load_pool(
    sources: tuple[str, ...] = SOURCES, silver_labels: tuple[str, ...] = PD1998_LABELS, org_compounds: bool = False
) -> tuple[list[Sample], list[Sample]]:
    """(training pool, development set).

    The pool never holds a sentence of the MSRA test or of the development
    split, whatever corpus it comes from, nor a sentence twice (MSRA first:
    its annotation wins over People's Daily NER's copy of the same text).
    ``silver_labels``: the labels taken from the People's Daily 1998 silver
    data; the words of the others are marked missing (``read_pd1998_silver``).
    """
    msra = msra_dir()
    test_keys = {s.key for s in read_char_bio(msra / "msra_test_bio.txt")}
    train, dev = msra_splits(msra / "train" / "msra_train_bio.txt")
    samples: list[Sample] = []
    if "msra-train" in sources:
        samples += train
    if "pd-ner" in sources:
        pd = needed_corpus("peoples-daily-ner", "the training source pd-ner")
        samples += list(read_char_bio(pd / "example.dev", "pd-ner")) + list(read_char_bio(pd / "example.test", "pd-ner"))
    if "cluener" in sources:
        cl = needed_corpus("cluener2020", "the training source cluener")
        samples += list(read_cluener(cl / "train.json")) + list(read_cluener(cl / "dev.json"))
    if "pd1998-silver" in sources:
        samples += list(read_pd1998_silver(corpora.peoples_daily_1998(), labels=silver_labels, org_compounds=org_compounds))
    exclude = test_keys | {s.key for s in dev}
    pool = [s for s in dedupe(samples, exclude=exclude) if not is_msra_dev(s.key)]
    return pool, dev


def prepare(
    out_dir: str | Path,
    sources: tuple[str, ...] = SOURCES,
    seed: int = 0,
    silver_labels: tuple[str, ...] = SILVER_LABELS,
    org_compounds: bool = True,
) -> dict:
    import spacy

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train, dev = load_pool(sources, silver_labels=silver_labels, org_compounds=org_compounds)
    random.Random(seed).shuffle(train)
    nlp = spacy.blank("zh")  # reference docs: one token per character
    nlp.tokenizer = _char_tokenizer(nlp)
    for name, part in (("train", train), ("dev", dev)):
        db = DocBin(store_user_data=False)
        for doc in to_docs(part, nlp):
            db.add(doc)
        db.to_disk(out / f"{name}.spacy")
    return {
        "train": len(train),
        "dev": len(dev),
        "train_chars": sum(len(s.text) for s in train),
        "by_source": dict(Counter(s.source for s in train)),
        "entities": dict(Counter(lab for s in train for _, _, lab in s.spans)),
    }


def _char_tokenizer(nlp):
    from pipeline.nlp.tokenizer import CharWordTokenizer

    return CharWordTokenizer(nlp.vocab, use_words=False)


def train(
    config: str | Path, data_dir: str | Path, output: str | Path, segmenter: str | Path, overrides: dict | None = None
) -> Path:
    from spacy.cli.train import train as spacy_train

    import pipeline.nlp.factories  # noqa: F401  (registers the tokenizer)

    data_dir = Path(data_dir)
    ov = {
        "paths.train": str(data_dir / "train.spacy"),
        "paths.dev": str(data_dir / "dev.spacy"),
        "paths.segmenter": str(segmenter),
        # spaCy does not interpolate ${paths.*} inside [nlp.tokenizer] when it builds the nlp
        "nlp.tokenizer.segmenter_dir": str(segmenter),
        **(overrides or {}),
    }
    spacy_train(Path(config), Path(output), overrides=ov, use_gpu=-1)
    return Path(output) / "model-best"
