"""Training, pruning and evaluating our spacy-pkuseg segmenter.

* Data: People's Daily 1998-01 (PKU standard, ``word/TAG`` tokens). Every
  50th line is held out as a development set, used to watch convergence;
  the SIGHAN 2005 PKU test gold is used for the final score only.
* Full-width digits, letters and ``％ ．`` are made half-width, in training
  and at inference, with the same table as the cleaning stage.
* ``spacy_pkuseg.train()`` forces one thread; we set the package config
  ourselves and call ``spacy_pkuseg.trainer.train``.
* With a word lexicon (``build_lexicon``: jieba's dictionary), the model also
  has the lexicon features of ``pipeline.nlp.segmentation.seglexicon`` (PKU test F1 0.947
  -> 0.958); the lexicon is saved beside the weights.
* Pruning drops features whose largest absolute weight is below a threshold
  (80 MB -> about 24 MB at 0.05 with the same F1); weights stay float64,
  which the stock loader needs.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pipeline.cleaning.normalize import CJK
from pipeline.evaluate import PRF, segmentation_prf
from pipeline.nlp.segmentation import seglexicon
from pipeline.nlp.segmentation.segmenter import normalize
from pipeline.training.gazetteers import word_tag_counts


def read_pd1998(path: str | Path) -> Iterator[list[str]]:
    """Word lists of the People's Daily corpus, normalised (tags dropped)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            words = []
            for token in line.split():
                word, _, _tag = token.rpartition("/")
                word = word or token
                # bracketed compounds ("[中央/n", "电台/n]nt") lose their brackets
                if word.startswith("[") and len(word) > 1:
                    word = word[1:]
                words.append(normalize(word))
            if words:
                yield words


_HAN_ONLY = re.compile(f"^[{CJK}]+$")
_PROPER_TAGS = frozenset({"nr", "ns", "nt", "nz"})


def _split_into(word: str, vocabulary: set[str], longest: int = 8) -> list[str] | None:
    """``word`` as the fewest words of ``vocabulary`` (at least two), or None."""
    n = len(word)
    best: list[list[str] | None] = [[]] + [None] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - longest), end):
            part = word[start:end]
            prefix = best[start]
            if prefix is None or part == word or part not in vocabulary:
                continue
            candidate = prefix + [part]
            current = best[end]
            if current is None or len(candidate) < len(current):
                best[end] = candidate
    return best[n]


def bakeoff_splits(pd_path: str | Path, vocabulary: set[str], min_count: int = 3) -> dict[str, list[str]]:
    """Words of our corpus that the bakeoff's training corpus always splits.

    The SIGHAN 2005 PKU training set is a revision of this same month (54,312
    of its 55,303 word types are ours). A word of ours that is absent from its
    word list although we have it ``min_count`` times or more was split there
    every time (放在 → 放 在, 取决于 → 取决 于, 官兵们 → 官兵 们). Only
    words of Han characters, not proper nouns (the names differ by sentence,
    not by standard), and only where the list has every part.
    """
    # Han-only words are the same normalised or not, so the corpus's own tag counts serve
    splits = {}
    for word, tags in word_tag_counts(pd_path).items():
        if sum(tags.values()) < min_count or word in vocabulary or _PROPER_TAGS & tags.keys() or not _HAN_ONLY.match(word):
            continue
        parts = _split_into(word, vocabulary)
        if parts:
            splits[word] = parts
    return splits


def prepare(
    pd_path: str | Path, out_dir: str | Path, dev_every: int = 50, extra_words: str | Path | None = None
) -> dict[str, int]:
    """Write ``train.txt`` and ``dev.txt`` (space-separated words) for pkuseg.

    ``extra_words`` is the SIGHAN PKU *training* word list (one word per line).
    It is used twice: the training lines split the words that the bakeoff's
    corpus always splits (``bakeoff_splits``), and its words are appended as
    one-word lines (pkuseg's word features are lexicalised, so a word it has
    seen whole is one it can keep whole). The development lines stay as the
    corpus has them.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vocabulary: list[str] = []
    if extra_words:
        with open(extra_words, encoding="utf-8") as fh:
            vocabulary = [w for w in (normalize(line.strip()) for line in fh) if w and " " not in w]
    splits = bakeoff_splits(pd_path, set(vocabulary)) if vocabulary else {}
    n_train = n_dev = n_split = 0
    with open(out / "train.txt", "w", encoding="utf-8") as tr, open(out / "dev.txt", "w", encoding="utf-8") as dv:
        for i, words in enumerate(read_pd1998(pd_path)):
            if dev_every and i % dev_every == dev_every - 1:
                dv.write(" ".join(words) + "\n")
                n_dev += 1
                continue
            if splits:
                aligned: list[str] = []
                for word in words:
                    parts = splits.get(word)
                    aligned.extend(parts or (word,))
                    n_split += bool(parts)
                words = aligned
            tr.write(" ".join(words) + "\n")
            n_train += 1
        for word in vocabulary:
            tr.write(word + "\n")
    return {
        "train_sentences": n_train,
        "dev_sentences": n_dev,
        "extra_words": len(vocabulary),
        "split_types": len(splits),
        "split_tokens": n_split,
    }


def build_lexicon(out: str | Path, source: str | Path | None = None) -> dict[str, str | int]:
    """Write the segmenter's word lexicon (``pipeline.nlp.segmentation.seglexicon``) from
    jieba's dictionary (MIT; the sha256-checked copy of ``corpora.jieba_dictionary``).
    Its words do not come from the training text, so the model learns how far
    a lexicon can be trusted on text it has not seen."""
    from pipeline.training import corpora

    source = Path(source) if source else corpora.jieba_dictionary()
    with open(source, encoding="utf-8") as fh:
        words = [normalize(line.split()[0]) for line in fh if line.strip()]
    return {
        "lexicon_source": str(source),
        "lexicon_words": seglexicon.write_lexicon(words, out),
        "lexicon_source_words": len(words),
    }


def train(
    train_file: str | Path,
    dev_file: str | Path,
    model_dir: str | Path,
    iterations: int = 10,
    threads: int = 2,
    lexicon: str | Path | None = None,
) -> Path:
    """Train a pkuseg model into ``model_dir`` (features.msgpack + weights.npz).

    With ``lexicon`` (a word list, see ``pipeline.nlp.segmentation.seglexicon``) the model
    also has the lexicon features, and the list is saved beside the weights.
    """
    import spacy_pkuseg
    from spacy_pkuseg import trainer
    from spacy_pkuseg.config import config

    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    if lexicon is not None:
        words = seglexicon.read_lexicon(lexicon)
        shutil.copy(lexicon, model_dir / seglexicon.LEXICON_FILE)
    os.makedirs(config.tempFile, exist_ok=True)
    os.makedirs(os.path.join(config.tempFile, "output"), exist_ok=True)
    config.trainFile = str(train_file)
    config.testFile = str(dev_file)
    config.modelDir = str(model_dir)
    config.nThread = threads
    config.ttlIter = iterations
    config.init_model = None
    assert spacy_pkuseg  # the package config above is the one the trainer reads
    stock = trainer.FeatureExtractor
    if lexicon is not None:
        trainer.FeatureExtractor = seglexicon.extractor_class(words)  # the trainer calls FeatureExtractor()
    try:
        trainer.train(config)
    finally:
        trainer.FeatureExtractor = stock
    return model_dir


def prune(src: str | Path, dst: str | Path, threshold: float = 0.05) -> dict[str, int]:
    """Copy the model at ``src`` to ``dst`` without features whose weights are all small."""
    import srsly

    src, dst = Path(src), Path(dst)
    feats = srsly.read_msgpack(src / "features.msgpack")
    npz = np.load(src / "weights.npz")
    n_tag, n_feature = (int(x) for x in npz["sizes"])
    w = npz["w"]
    node = w[: n_tag * n_feature].reshape(n_feature, n_tag)
    edge = w[n_tag * n_feature :]
    keep = np.abs(node).max(axis=1) >= threshold
    # feature 0 is reserved ("/" for unknown features) in pkuseg: keep the first ids
    old_to_new = {}
    items = sorted(feats["feature_to_idx"].items(), key=lambda kv: kv[1])
    new_feature_to_idx: dict[str, int] = {}
    for name, idx in items:
        if keep[idx] or idx == 0 or name == "/":
            old_to_new[idx] = len(new_feature_to_idx)
            new_feature_to_idx[name] = old_to_new[idx]
    kept_rows = [old for old, _ in sorted(old_to_new.items(), key=lambda kv: kv[1])]
    new_node = node[kept_rows]
    new_w = np.concatenate([new_node.reshape(-1), edge]).astype(np.float64)
    dst.mkdir(parents=True, exist_ok=True)
    feats = dict(feats)
    feats["feature_to_idx"] = new_feature_to_idx
    srsly.write_msgpack(dst / "features.msgpack", feats)
    np.savez_compressed(dst / "weights.npz", sizes=np.array([n_tag, len(kept_rows)]), w=new_w)
    for extra in ("README.md", "meta.json", seglexicon.LEXICON_FILE):
        if (src / extra).exists() and src != dst:
            shutil.copy(src / extra, dst / extra)
    return {"features_before": n_feature, "features_after": len(kept_rows)}


def read_gold(path: str | Path) -> list[list[str]]:
    """SIGHAN gold: words separated by spaces, one sentence per line (CRLF tolerated)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            words = line.split()
            if words:
                out.append(words)
    return out


def segment_gold(
    model_dir: str | Path, gold_file: str | Path, user_dict: str | Path | None = None
) -> tuple[list[list[str]], list[list[str]]]:
    """The gold's words and the model's words for the same text.

    Input is normalised to half-width as at inference; gold words are
    normalised the same way (one character for one, boundaries unchanged).
    """
    from pipeline.nlp.segmentation.segmenter import Segmenter

    seg = Segmenter(model_dir, user_dict)  # exactly what the tokenizer runs
    gold = [[normalize(w) for w in words] for words in read_gold(gold_file)]
    return gold, [seg.cut("".join(words)) for words in gold]


def evaluate(model_dir: str | Path, gold_file: str | Path, user_dict: str | Path | None = None) -> PRF:
    """Segment the gold's text with the model; SIGHAN word P/R/F."""
    return segmentation_prf(*segment_gold(model_dir, gold_file, user_dict))
