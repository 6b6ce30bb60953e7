"""Scorers shared by the tests, ``python -m pipeline eval`` and the benchmarks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 0.0

    def add(self, gold: set, pred: set) -> None:
        self.tp += len(gold & pred)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)

    def as_dict(self, counts: bool = False) -> dict:
        out = {"p": round(self.p, 4), "r": round(self.r, 4), "f": round(self.f, 4)}
        if counts:
            out.update(tp=self.tp, fp=self.fp, fn=self.fn)
        return out


def word_spans(words: Sequence[str]) -> set[tuple[int, int]]:
    spans, pos = set(), 0
    for w in words:
        spans.add((pos, pos + len(w)))
        pos += len(w)
    return spans


def segmentation_prf(gold: Iterable[Sequence[str]], pred: Iterable[Sequence[str]]) -> PRF:
    """Word-level P/R/F the SIGHAN way: a word counts when both its boundaries match."""
    score = PRF()
    for g, p in zip(gold, pred, strict=True):
        if "".join(g) != "".join(p):
            raise ValueError(f"segmentations of different text: {''.join(g)[:30]!r} vs {''.join(p)[:30]!r}")
        score.add(word_spans(g), word_spans(p))
    return score
