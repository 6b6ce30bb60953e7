"""Scorers shared by the tests, ``python -m pipeline eval`` and the benchmarks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
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


def same_value(a, b) -> bool:
    """Two attribute values are the same: both None, numbers equal to 1e-9 relative, or equal."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    return a == b


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


def oov_recall(gold: Iterable[Sequence[str]], pred: Iterable[Sequence[str]], known: set[str]) -> dict:
    """The SIGHAN scorer's extra figures: the share of gold words not in the
    training word list (OOV rate) and the recall of those (R_oov) and of the
    others (R_iv)."""
    n = {True: 0, False: 0}
    hit = {True: 0, False: 0}
    for g, p in zip(gold, pred, strict=True):
        found = word_spans(p)
        pos = 0
        for w in g:
            oov = w not in known
            n[oov] += 1
            hit[oov] += (pos, pos + len(w)) in found
            pos += len(w)
    total = n[True] + n[False]
    return {
        "oov_rate": round(n[True] / total, 4) if total else 0.0,
        "r_oov": round(hit[True] / n[True], 4) if n[True] else 0.0,
        "r_iv": round(hit[False] / n[False], 4) if n[False] else 0.0,
    }


# -- NER ----------------------------------------------------------------------

#: Our labels -> the PER/LOC/ORG of MSRA and People's Daily (guidelines).
CORPUS_LABELS = {"PERSON": "PER", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "ORG": "ORG"}
PLACE_LABELS = {"GPE", "LOC", "FAC"}


@dataclass
class Mention:
    doc: str | int
    start: int
    end: int
    label: str
    source: str = ""

    @property
    def key(self) -> tuple:
        return (self.doc, self.start, self.end, self.label)


def score_mentions(gold: list[Mention], pred: list[Mention], groups: Mapping[str, AbstractSet[str]] | None = None) -> dict:
    """Per-label and micro P/R/F over exact (doc, start, end, label) matches.

    ``groups`` adds scores where several labels count as one (span match,
    any label of the group), e.g. ``{"PLACE": {"GPE", "LOC", "FAC"}}``.
    """
    labels = sorted({m.label for m in gold} | {m.label for m in pred})
    gold_keys = {m.key for m in gold}
    pred_keys = {m.key for m in pred}
    report: dict = {"labels": {}}
    micro = PRF()
    micro.add(gold_keys, pred_keys)
    report["micro"] = micro.as_dict()
    for label in labels:
        s = PRF()
        s.add({k for k in gold_keys if k[3] == label}, {k for k in pred_keys if k[3] == label})
        report["labels"][label] = s.as_dict(counts=True)
    for name, members in (groups or {}).items():
        s = PRF()
        s.add({k[:3] for k in gold_keys if k[3] in members}, {k[:3] for k in pred_keys if k[3] in members})
        report.setdefault("groups", {})[name] = s.as_dict(counts=True)
    return report


def by_rule(gold: list[Mention], pred: list[Mention]) -> dict:
    """For each source (rule id or model): hits, precision, and the recall it adds."""
    gold_keys = {m.key for m in gold}
    out: dict[str, dict] = {}
    for m in pred:
        row = out.setdefault(m.source, {"hits": 0, "tp": 0})
        row["hits"] += 1
        row["tp"] += m.key in gold_keys
    n_gold = len(gold_keys) or 1
    for row in out.values():
        row["precision"] = round(row["tp"] / row["hits"], 4) if row["hits"] else 0.0
        row["recall_added"] = round(row["tp"] / n_gold, 4)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["hits"]))


# -- relations ------------------------------------------------------------------

#: attributes scored per label, on the relations that match
RELATION_ATTRS = {"metric": ("indicator", "time", "status"), "role": ("position",)}


@dataclass(frozen=True)
class RelationKey:
    """A relation as scored: article number, label, canonical head and tail."""

    article: int
    label: str
    head: str
    tail: str


def score_relations(gold: list[tuple[RelationKey, dict]], pred: list[tuple[RelationKey, dict]]) -> dict:
    """P/R/F per label and micro over distinct (article, label, head, tail);
    attribute accuracy on the matches; ``metric+status`` also requires the status."""
    labels = sorted({k.label for k, _ in gold} | {k.label for k, _ in pred})
    gold_keys = {k for k, _ in gold}
    pred_keys = {k for k, _ in pred}
    report: dict = {"labels": {}}
    micro = PRF()
    for label in labels:
        s = PRF()
        s.add({k for k in gold_keys if k.label == label}, {k for k in pred_keys if k.label == label})
        micro.tp, micro.fp, micro.fn = micro.tp + s.tp, micro.fp + s.fp, micro.fn + s.fn
        report["labels"][label] = s.as_dict(counts=True)
    report["micro"] = micro.as_dict(counts=True)
    gold_attrs = {k: a for k, a in gold}
    pred_attrs: dict[RelationKey, list[dict]] = {}
    for k, a in pred:
        pred_attrs.setdefault(k, []).append(a)
    attrs: dict[str, dict] = {}
    wrong: list[dict] = []
    for k in sorted(gold_keys & pred_keys, key=lambda k: (k.article, k.label, k.head, k.tail)):
        for name in RELATION_ATTRS.get(k.label, ()):
            g = gold_attrs[k].get(name)
            ok = all(p.get(name) == g for p in pred_attrs[k])  # every prediction of the pair must agree
            slot = attrs.setdefault(f"{k.label}.{name}", {"correct": 0, "total": 0})
            slot["total"] += 1
            slot["correct"] += ok
            if not ok:
                wrong.append(
                    {
                        "relation": f"{k.head} -{k.label}-> {k.tail}",
                        "attr": name,
                        "gold": g,
                        "pred": sorted({str(p.get(name)) for p in pred_attrs[k]}),
                    }
                )
    for slot in attrs.values():
        slot["accuracy"] = round(slot["correct"] / slot["total"], 4) if slot["total"] else 0.0
    report["attributes"] = attrs
    report["attribute_errors"] = wrong
    # metric with the right status
    with_status = PRF()
    g_st = {(k, a.get("status")) for k, a in gold if k.label == "metric"}
    p_st = {(k, a.get("status")) for k, a in pred if k.label == "metric"}
    with_status.add(g_st, p_st)
    report["metric_with_status"] = with_status.as_dict(counts=True)
    report["missed"] = [k.__dict__ for k in sorted(gold_keys - pred_keys, key=lambda k: (k.article, k.label, k.head))]
    report["spurious"] = [k.__dict__ for k in sorted(pred_keys - gold_keys, key=lambda k: (k.article, k.label, k.head))]
    return report
