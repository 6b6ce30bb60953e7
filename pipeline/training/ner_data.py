"""Reading NER corpora into one shape, and turning them into spaCy DocBins.

A :class:`Sample` is a normalised text (half-width, one character for one)
with character spans ``(start, end, label)`` in our model's labels:
``PERSON``, ``ORG`` and ``LOC`` (all places: the corpora do not tell
administrative divisions from other places; the place-typing component
splits LOC into GPE / LOC / FAC afterwards).

Corpora (see ``../shared/corpora/*/SOURCE.md``):

* MSRA: ``msra_test_bio.txt`` (char TAB tag) -- EVALUATION ONLY;
  ``val_from_train/`` (3,000 sentences held out of MSRA train) -- training.
* People's Daily NER ``example.dev`` / ``example.test`` (char SPACE tag) --
  training, minus the sentences that also occur in MSRA (298 shared).
* CLUENER2020 ``train.json`` / ``dev.json`` -- news text with fine labels:
  name -> PERSON; company, government, organization -> ORG; address,
  scene -> LOC; book, game, movie, position -> not entities.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.nlp.segmenter import normalize

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
                spans.append((start, i, label))
                start = label = None
            if prefix in ("B", "S") or (prefix in ("I", "M", "E") and kind):
                start, label = i, kind
        if prefix in ("E", "S") and label is not None:
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
            char, tag = parts[0] or " ", parts[-1]
            chars.append(char[:1])
            tags.append(tag)
    if chars:
        yield Sample(normalize("".join(chars)), bio_to_spans(tags), source)


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


def _drop_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for s in sorted(spans, key=lambda x: (x[0], -(x[1] - x[0]))):
        if out and s[0] < out[-1][1]:
            continue
        out.append(s)
    return out


def dedupe(samples: Iterable[Sample], exclude: set[str] = frozenset()) -> list[Sample]:
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
        doc.set_ents(_non_overlapping(ents), default="outside")
        yield doc


def _non_overlapping(spans):
    out = []
    for s in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if out and s.start < out[-1].end:
            continue
        out.append(s)
    return out
