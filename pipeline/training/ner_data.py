"""Reading NER corpora into one shape, and turning them into spaCy DocBins.

A :class:`Sample` is a normalised text (half-width, one character for one)
with character spans ``(start, end, label)`` in our model's labels:
``PERSON``, ``ORG`` and ``LOC`` (all places: the corpora do not tell
administrative divisions from other places; the place-typing component
splits LOC into GPE / LOC / FAC afterwards).

Corpora (see ``../shared/corpora/*/SOURCE.md``):

* MSRA: ``msra_test_bio.txt`` (char TAB tag) -- EVALUATION ONLY, read once
  per shipped model for the model card; ``train/msra_train_bio.txt`` (45,000
  sentences) -- training, minus a fixed development split of about 5 % chosen
  by a stable hash of the sentence (:func:`is_msra_dev`), on which models are
  chosen. ``val_from_train/`` is a subset of train (not held out): not used.
* People's Daily NER ``example.dev`` / ``example.test`` (char SPACE tag) --
  training, minus the sentences that also occur in MSRA (298 shared).
* CLUENER2020 ``train.json`` / ``dev.json`` -- news text with fine labels:
  name -> PERSON; company, government, organization -> ORG; address,
  scene -> LOC; book, game, movie, position -> not entities.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.nlp.segmentation.segmenter import normalize
from pipeline.training.lexicons import training_lexicon

BIO_LABELS = {"PER": "PERSON", "LOC": "LOC", "ORG": "ORG"}
CLUENER_LABELS = {
    "name": "PERSON",
    "company": "ORG",
    "government": "ORG",
    "organization": "ORG",
    "address": "LOC",
    "scene": "LOC",
}


@dataclass
class Sample:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    source: str = ""
    # character ranges whose annotation is unknown (silver data): no loss there
    missing: list[tuple[int, int]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return "".join(self.text.split())


def bio_to_spans(tags: list[str], label_map: dict[str, str] = BIO_LABELS) -> list[tuple[int, int, str]]:
    spans = []
    start = label = None
    for i, tag in enumerate(tags + ["O"]):
        prefix, _, kind = tag.partition("-")
        if prefix in ("B", "S", "O") or (prefix in ("I", "M", "E") and kind != label):
            if label is not None:
                assert start is not None  # set with label
                spans.append((start, i, label))
                start = label = None
            if prefix in ("B", "S") or (prefix in ("I", "M", "E") and kind):
                start, label = i, kind
        if prefix in ("E", "S") and label is not None:
            assert start is not None  # set with label
            spans.append((start, i + 1, label))
            start = label = None
    return [(s, e, label_map[lab]) for s, e, lab in spans if lab in label_map]


def read_char_bio(path: str | Path, source: str = "") -> Iterator[Sample]:
    """One character per line (``char<TAB or SPACE>tag``), blank line between sentences."""
    chars: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                if chars:
                    yield Sample(normalize("".join(chars)), bio_to_spans(tags), source)
                    chars, tags = [], []
                continue
            parts = line.split("\t") if "\t" in line else line.split(" ")
            if len(parts) < 2:
                continue
            char, tag = parts[0] or " ", parts[-1] or "O"  # MSRA train: 57 empty tags
            chars.append(char[:1])
            tags.append(tag)
    if chars:
        yield Sample(normalize("".join(chars)), bio_to_spans(tags), source)


#: share of MSRA train, in hundredths, that is the development split
MSRA_DEV_PERCENT = 5


def is_msra_dev(key: str) -> bool:
    """Whether a sentence (its :attr:`Sample.key`) is in the MSRA development split.

    A stable hash of the text, so the split is the same on every machine and in
    every run, and a sentence repeated in another corpus (People's Daily NER
    shares 4,478 sentences with MSRA train) falls on the same side.
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < MSRA_DEV_PERCENT


def read_msra_train(path: str | Path, source: str = "msra-train") -> Iterator[Sample]:
    """MSRA train (char TAB tag). The 47 sentences that still hold SIGHAN XML
    residue (``<ADDREX0TYPE="PHONE">``, with 57 empty tags) are dropped."""
    for sample in read_char_bio(path, source):
        if "TYPE=" in sample.text or "</" in sample.text:
            continue
        yield sample


def msra_splits(path: str | Path) -> tuple[list[Sample], list[Sample]]:
    """(train, dev) of MSRA train, split by :func:`is_msra_dev`."""
    train: list[Sample] = []
    dev: list[Sample] = []
    for sample in read_msra_train(path):
        (dev if is_msra_dev(sample.key) else train).append(sample)
    return train, dev


def read_msra_val(directory: str | Path, source: str = "msra-val") -> Iterator[Sample]:
    directory = Path(directory)
    with open(directory / "sentences.txt", encoding="utf-8") as fs, open(directory / "tags.txt", encoding="utf-8") as ft:
        for sline, tline in zip(fs, ft):
            chars, tags = sline.split(), tline.split()
            if not chars or len(chars) != len(tags):
                continue
            yield Sample(normalize("".join(chars)), bio_to_spans(tags), source)


def read_cluener(path: str | Path, source: str = "cluener") -> Iterator[Sample]:
    text = Path(path).read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        obj, pos = decoder.raw_decode(text, pos)
        spans = []
        for label, mentions in obj.get("label", {}).items():
            mapped = CLUENER_LABELS.get(label)
            if mapped is None:
                continue
            for _mention, offsets in mentions.items():
                for start, end_inclusive in offsets:
                    spans.append((start, end_inclusive + 1, mapped))
        yield Sample(normalize(obj["text"]), _drop_overlaps(spans), source)


_NOMINAL = {"n", "ns", "nz", "nt", "j", "vn", "b", "an", "nr", "m", "f"}


def _pd1998_tokens(line: str) -> list[tuple[str, str]]:
    """(word, tag) pairs of one corpus line; compound brackets dropped."""
    tokens = []
    for token in line.split():
        word, _, tag = token.rpartition("/")
        word = normalize(word.lstrip("[") or token)
        if word:
            tokens.append((word, tag.split("]")[0]))
    return tokens


def _nr_runs(tokens: list[tuple[str, str]]) -> Iterator[tuple[int, int]]:
    """(first, last) indices of each run of consecutive nr words."""
    i = 0
    while i < len(tokens):
        if tokens[i][1] == "nr":
            j = i
            while j + 1 < len(tokens) and tokens[j + 1][1] == "nr":
                j += 1
            yield i, j
            i = j + 1
        else:
            i += 1


def _pd1998_name_runs(path: str | Path) -> list[list[str]]:
    """The words of every run of nr words in the corpus, in one pass."""
    runs: list[list[str]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            tokens = _pd1998_tokens(line)
            runs.extend([w for w, _ in tokens[a : b + 1]] for a, b in _nr_runs(tokens))
    return runs


def surnames_of(runs: list[list[str]], min_share: float = 0.5) -> frozenset[str]:
    """Words that the corpus tags as a surname: nr words of one or two
    characters that begin a run of nr words at least ``min_share`` of the
    times they occur, and at least twice (李 1,233 of 1,306, 欧阳 16 of 17;
    克林顿 0 of 147).

    The corpus tags a Chinese name as surname/nr + given name/nr (江/nr 泽民/nr),
    and a list of names as one unbroken run (李/nr 鹏/nr 乔/nr 石/nr).
    """
    first: dict[str, int] = {}
    seen: dict[str, int] = {}
    for words in runs:
        for w in words:
            seen[w] = seen.get(w, 0) + 1
        if len(words) > 1:
            first[words[0]] = first.get(words[0], 0) + 1
    return frozenset(w for w, n in first.items() if len(w) <= 2 and n >= 2 and n >= min_share * seen[w])


def pd1998_surnames(path: str | Path, min_share: float = 0.5) -> frozenset[str]:
    """:func:`surnames_of` the corpus at ``path``."""
    return surnames_of(_pd1998_name_runs(path), min_share)


def split_names(words: list[str], surnames: frozenset[str]) -> list[tuple[int, int]]:
    """Cut a run of nr words into names: a surname takes the word after it
    (李 鹏 乔 石 -> 李鹏, 乔石); any other word is a name of its own (克林顿)."""
    out, i = [], 0
    while i < len(words):
        if i + 1 < len(words) and words[i] in surnames and len(words[i + 1]) <= 3:
            out.append((i, i + 1))
            i += 2
        else:
            out.append((i, i))
            i += 1
    return out


def _person_names(runs: list[list[str]], surnames: frozenset[str], min_count: int = 2) -> set[str]:
    """Full person names (nr runs cut by ``split_names``), seen min_count times."""
    counts: dict[str, int] = {}
    for words in runs:
        for i, j in split_names(words, surnames):
            name = "".join(words[i : j + 1])
            if len(name) >= 2:
                counts[name] = counts.get(name, 0) + 1
    return {n for n, c in counts.items() if c >= min_count}


PD1998_LABELS = ("PERSON", "LOC", "ORG")


def _org_compounds(tokens: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """(first, last) word indices of rebuilt compound organisation names."""
    out: list[tuple[int, int]] = []
    heads = training_lexicon("SILVER_ORG_COMPOUND_HEAD")
    for i, (word, tag) in enumerate(tokens):
        if tag not in ("n", "vn", "nt", "nz", "j") or not word.endswith(heads):
            continue
        k = i
        while k - 1 >= 0 and i - (k - 1) <= 4 and tokens[k - 1][1] in _NOMINAL:
            k -= 1
        # start at the first proper name of the run (ns/nt/nz/j)
        while k < i and tokens[k][1] not in ("ns", "nt", "nz", "j"):
            k += 1
        if k < i and sum(len(w) for w, _ in tokens[k : i + 1]) >= 4 and not (out and out[-1][1] >= k):
            out.append((k, i))
    return out


def read_pd1998_silver(
    path: str | Path,
    source: str = "pd1998-silver",
    labels: Iterable[str] = PD1998_LABELS,
    org_compounds: bool = False,
) -> Iterator[Sample]:
    """People's Daily 1998-01 as silver NER: nr -> PERSON, ns -> LOC, nt -> ORG.

    The corpus copy has only single-word tags: compound organisation names
    (中央/n 人民/n 广播/vn 电台/n) lost their brackets. Such regions -- a word
    ending in an organisation head plus up to four nominal words before it --
    and words tagged nz or j (other proper nouns, abbreviations) are marked
    missing, so the model learns neither "O" nor a wrong label there.
    A run of nr words is cut into names by ``split_names`` (the corpus runs a
    list of names together: 李/nr 鹏/nr 乔/nr 石/nr is 李鹏 and 乔石, as in MSRA
    and People's Daily NER). A person's name that begins a longer word
    (邓小平理论, 毛泽东思想) is a PERSON, as in MSRA and People's Daily NER.

    ``labels`` selects the labels emitted; the words of a label left out
    (e.g. every nr word when PERSON is not in ``labels``) are marked missing
    instead, so the model learns neither that label nor "O" there.

    ``org_compounds`` rebuilds compound organisation names instead of marking
    them missing: a nominal run that starts with a proper name (ns, nt, nz, j)
    and ends in an organisation head (电台, 委员会, 部 ...), 4 characters or more.
    """
    labels = frozenset(labels)
    org_heads = training_lexicon("SILVER_ORG_HEAD")
    unknown = labels - set(PD1998_LABELS)
    if unknown:
        raise ValueError(f"unknown silver labels {sorted(unknown)}; expected a subset of {PD1998_LABELS}")
    runs = _pd1998_name_runs(path)
    surnames = surnames_of(runs)
    names = _person_names(runs, surnames)
    by_first: dict[str, list[str]] = {}
    for n in names:
        by_first.setdefault(n[0], []).append(n)
    for first in by_first:
        by_first[first].sort(key=len, reverse=True)
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            tokens = _pd1998_tokens(line)
            if not tokens:
                continue
            starts = []
            pos = 0
            for word, _ in tokens:
                starts.append(pos)
                pos += len(word)
            text = "".join(w for w, _ in tokens)
            compounds = _org_compounds(tokens) if org_compounds else []
            in_compound = {w for a, b in compounds for w in range(a, b + 1)}
            missing_words = _missing_words(tokens, org_heads) - in_compound
            spans = [(starts[a], starts[b] + len(tokens[b][0]), "ORG") for a, b in compounds]
            i = 0
            while i < len(tokens):
                word, tag = tokens[i]
                if i in missing_words or i in in_compound:
                    i += 1
                    continue
                if tag == "nr":
                    j = i
                    while j + 1 < len(tokens) and tokens[j + 1][1] == "nr" and j + 1 not in missing_words:
                        j += 1
                    for a, b in split_names([w for w, _ in tokens[i : j + 1]], surnames):
                        spans.append((starts[i + a], starts[i + b] + len(tokens[i + b][0]), "PERSON"))
                    i = j + 1
                    continue
                if tag == "ns":
                    spans.append((starts[i], starts[i] + len(word), "LOC"))
                elif tag == "nt":
                    spans.append((starts[i], starts[i] + len(word), "ORG"))
                elif len(word) > 2:
                    for name in by_first.get(word[0], ()):
                        if len(name) < len(word) and word.startswith(name):
                            spans.append((starts[i], starts[i] + len(name), "PERSON"))
                            break
                i += 1
            missing = [(starts[i], starts[i] + len(tokens[i][0])) for i in sorted(missing_words)]
            if len(labels) < len(PD1998_LABELS):
                missing += [(a, b) for a, b, label in spans if label not in labels]
                missing.sort()
                spans = [sp for sp in spans if sp[2] in labels]
            yield Sample(text, spans, source, missing)


def _missing_words(tokens: list[tuple[str, str]], org_heads: tuple[str, ...]) -> set[int]:
    """Indices of the words the silver data marks missing: other proper nouns and abbreviations
    (nz, j), and the regions of compound organisation names the corpus lost the brackets of (a
    word ending in an organisation head and up to four nominal words before it)."""
    missing: set[int] = set()
    for i, (word, tag) in enumerate(tokens):
        if tag in ("nz", "j"):
            missing.add(i)
        if tag in ("n", "vn", "nz", "j") and word.endswith(org_heads) and len(word) >= 1:
            k = i
            while k - 1 >= 0 and i - (k - 1) <= 4 and tokens[k - 1][1] in _NOMINAL:
                k -= 1
            if k < i:
                missing.update(range(k, i + 1))
    return missing


def _drop_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for s in sorted(spans, key=lambda x: (x[0], -(x[1] - x[0]))):
        if out and s[0] < out[-1][1]:
            continue
        out.append(s)
    return out


def dedupe(samples: Iterable[Sample], exclude: AbstractSet[str] = frozenset()) -> list[Sample]:
    """Drop samples whose text is in ``exclude`` (e.g. the evaluation set) or repeats."""
    seen = set(exclude)
    out = []
    for s in samples:
        if s.key in seen:
            continue
        seen.add(s.key)
        out.append(s)
    return out


def to_docs(samples: Iterable[Sample], nlp) -> Iterator:
    """spaCy Docs of the samples, tokenised by ``nlp.make_doc``, entities set."""
    for sample in samples:
        doc = nlp.make_doc(sample.text)
        ents = []
        for start, end, label in sample.spans:
            span = doc.char_span(start, end, label=label, alignment_mode="expand")
            if span is not None and span.text.strip():
                ents.append(span)
        missing = []
        for start, end in sample.missing:
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None:
                missing.append(span)
        ents = _non_overlapping(ents)
        taken = {t.i for e in ents for t in e}
        missing = [m for m in missing if not any(t.i in taken for t in m)]
        doc.set_ents(ents, missing=missing, default="outside")
        yield doc


def _non_overlapping(spans):
    out = []
    for s in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if out and s.start < out[-1].end:
            continue
        out.append(s)
    return out
