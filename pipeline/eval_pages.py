"""Scoring the real stages on many annotated pages (``python -m pipeline eval pages``).

A page is ``NAME.txt`` with ``NAME.gold.json`` beside it (the shape of
``../shared/dev-pages``: per article its ``headline_start``, ``entities`` as a
multiset of mentions in order of appearance, ``relations`` with attrs; items
whose ``note`` is ``optional`` are neither hits nor misses). The sample page's
gold in ``data/gold`` (entities with raw offsets, relations with article
numbers) is read through :func:`load_sample_gold` into the same shape.

Each page runs through the real stages (read, clean, split, NER, relations).
Gold articles are located on the raw page by their ``headline_start``; a
predicted entity or relation belongs to the gold article whose raw extent
holds it, so an article the cleaning stage cuts or merges differently from
the annotator still scores its mentions where they are.

Entities match as multisets of (text, label) per article, per label and per
coarse class (ORG; PLACE = GPE/LOC/FAC; PERSON; NUMBER = QUANTITY/MONEY/
PERCENT; DATE); ``ORG+PLACE`` adds the two classes up. Relations match as
distinct (label, head, tail) per article, places by their admin code where
the gazetteer resolves the name (太原 = 太原市), ``reporter_of`` apart from the
others' micro.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import settings
from pipeline.evaluate import PRF, same_value
from pipeline.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from pipeline.records import Entity

COARSE = {
    "ORG": "ORG",
    "GPE": "PLACE",
    "LOC": "PLACE",
    "FAC": "PLACE",
    "PERSON": "PERSON",
    "QUANTITY": "NUMBER",
    "MONEY": "NUMBER",
    "PERCENT": "NUMBER",
    "DATE": "DATE",
}
#: classes added up into one more score, as the entities issue measures
COMBINED = {"ORG+PLACE": ("ORG", "PLACE")}
NUMBER_LABELS = {"QUANTITY", "MONEY", "PERCENT"}
VALUE_FIELDS = ("value", "value_low", "value_high", "unit", "qualifier")
#: relation labels of the micro score; reporter_of is scored on its own
CORE_RELATIONS = ("located_in", "part_of", "role", "metric")
RELATION_ATTRS = {"role": ("position",), "metric": ("indicator", "time", "status")}

SHARED_DEV_PAGES = PROJECT_ROOT.parent / "shared" / "dev-pages"
SAMPLE_GOLD = PROJECT_ROOT / "data" / "gold"


@dataclass
class GoldArticle:
    headline_start: str
    entities: list[dict] = field(default_factory=list)
    relations: list[dict] = field(default_factory=list)


@dataclass
class GoldPage:
    name: str
    text_path: Path
    articles: list[GoldArticle]
    #: rule packs the page's paper enables (``NAME.packs`` beside the gold: ``oil_gas,chongqing``);
    #: None: whatever the run has
    packs: tuple[str, ...] | None = None


class GoldError(ValueError):
    """A gold file that cannot be read, with its path and what is wrong."""


# -- reading gold ---------------------------------------------------------------


def load_gold_page(gold_path: str | Path) -> GoldPage:
    """A ``NAME.gold.json`` and its ``NAME.txt``."""
    path = Path(gold_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        articles = [
            GoldArticle(a["headline_start"], list(a.get("entities", [])), list(a.get("relations", []))) for a in data["articles"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GoldError(f"{path}: {exc}") from exc
    text = path.with_name(path.name[: -len(".gold.json")] + ".txt")
    if not text.is_file():
        raise GoldError(f"{path}: its page {text.name} is missing")
    return GoldPage(path.name[: -len(".gold.json")], text, articles, _packs_of(path.with_name(text.stem + ".packs")))


def _packs_of(path: Path) -> tuple[str, ...] | None:
    if not path.is_file():
        return None
    return tuple(p.strip() for p in path.read_text(encoding="utf-8").split(",") if p.strip())


def load_sample_gold(gold_dir: str | Path = SAMPLE_GOLD, stem: str | None = None) -> list[GoldPage]:
    """The pages of ``data/gold`` (raw-offset entities, numbered relations) in the dev-pages shape."""
    gold_dir = Path(gold_dir)
    pages = []
    stems = [stem] if stem else sorted(p.name.split(".")[0] for p in gold_dir.glob("*.entities.jsonl"))
    for s in stems:
        text_path = gold_dir.parent / "samples" / f"{s}.txt"
        articles_file = gold_dir / f"{s}.articles.json"
        if not text_path.is_file() or not articles_file.is_file():
            continue
        raw = _read_raw(text_path)
        # a continuation fragment has no headline: its "（上接1版）" marks where it starts
        heads = [a["headline"] or f"（上接{a['continued_from']}）" for a in json.loads(articles_file.read_text(encoding="utf-8"))]
        articles = [GoldArticle(h[:8]) for h in heads]
        starts = _article_starts(raw, [a.headline_start for a in articles], text_path)
        for line in _jsonl(gold_dir / f"{s}.entities.jsonl"):
            i = _region(starts, line["start"])
            articles[i].entities.append(line)
        rel_file = gold_dir / f"{s}.relations.jsonl"
        if rel_file.is_file():
            for line in _jsonl(rel_file):
                rel = dict(line)
                if rel["label"] == "reporter_of":
                    rel["tail"] = articles[rel["article"] - 1].headline_start
                articles[rel["article"] - 1].relations.append(rel)
        pages.append(GoldPage(s, text_path, articles, _packs_of(gold_dir / f"{s}.packs")))
    return pages


def _jsonl(path: Path) -> Iterator[dict]:
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise GoldError(f"{path}:{lineno}: {exc}") from exc


def discover(dirs: Iterable[str | Path]) -> list[GoldPage]:
    """Every page with gold under ``dirs`` (``NAME.gold.json`` + ``NAME.txt``, or ``data/gold``'s shape)."""
    pages: list[GoldPage] = []
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            raise GoldError(f"{d}: not a directory")
        found = [load_gold_page(p) for p in sorted(d.glob("*.gold.json"))]
        found += load_sample_gold(d) if any(d.glob("*.entities.jsonl")) else []
        if not found:
            raise GoldError(f"{d}: no NAME.txt with a NAME.gold.json beside it")
        pages += found
    return pages


def default_dirs() -> list[Path]:
    """``../shared/dev-pages`` (where present) and the sample page's gold."""
    env = os.environ.get("PIPELINE_DEV_PAGES")
    shared = Path(env) if env else SHARED_DEV_PAGES
    return ([shared] if shared.is_dir() else []) + [SAMPLE_GOLD]


# -- locating articles ------------------------------------------------------------


def _read_raw(path: Path) -> str:
    from pipeline.io.readers import read_path

    (doc,) = list(read_path(str(path)))
    if not hasattr(doc, "text"):
        raise GoldError(f"cannot read {path}: {doc}")
    return doc.text


def _squeeze(s: str) -> str:
    from pipeline.nlp.segmentation.segmenter import normalize

    return normalize(s).replace(" ", "").replace("\u3000", "")


def _article_starts(raw: str, headline_starts: list[str], where: Path) -> list[int]:
    """Raw offset of each gold article's headline, searched in page order.

    The headline start is compared after width normalisation and without
    spaces (the annotator's copy and the raw page may differ there).
    """
    squeezed, index = [], []
    for i, ch in enumerate(raw):
        for c in _squeeze(ch):
            squeezed.append(c)
            index.append(i)
    flat = "".join(squeezed)
    starts, pos = [], 0
    for head in headline_starts:
        key = _squeeze(head)
        at = flat.find(key, pos)
        if at < 0:
            raise GoldError(f"{where}: headline {head!r} not found on the page (after the previous one)")
        starts.append(index[at])
        pos = at + len(key)
    starts[0] = 0  # what precedes the first headline (captions, a page head) belongs to the first article
    return starts


def _region(starts: list[int], offset: int) -> int:
    i = 0
    while i + 1 < len(starts) and starts[i + 1] <= offset:
        i += 1
    return i


# -- running the stages ---------------------------------------------------------------


@dataclass
class PagePrediction:
    entities: list[list]  # per gold article: predicted Entity records
    relations: list[list]  # per gold article: (label, head, tail, attrs, source)
    #: with gold entities: how many gold mentions were found in the clean text, and which were not
    placed: int = 0
    unplaced: list[str] = field(default_factory=list)


def predict(page: GoldPage, gold_entities: bool = False) -> PagePrediction:
    """The real stages on the page; with ``gold_entities``, the relation stage runs on the
    gold mentions (placed in the clean sentences in their order of appearance) instead of the
    NER stage's, so that relation errors can be told from entity errors."""
    from pipeline import batch
    from pipeline.io.readers import InputError, read_path

    (doc,) = list(read_path(str(page.text_path)))
    if isinstance(doc, InputError):
        raise GoldError(f"cannot read {page.text_path}: {doc}")
    extracted = batch.recognize_entities(batch.clean_and_split([doc]))
    starts = _article_starts(doc.text, [a.headline_start for a in page.articles], page.text_path)
    placed = 0
    unplaced: list[str] = []
    if gold_entities and not extracted.failures:
        extracted.entities, unplaced = place_gold_entities(page, extracted, starts)
        placed = len(extracted.entities)
    extracted = batch.extract_relations(extracted)
    if extracted.failures:
        raise GoldError(f"{page.text_path}: " + "; ".join(f.error for f in extracted.failures))
    ents: list[list] = [[] for _ in page.articles]
    by_id = {}
    for e in extracted.entities:
        ents[_region(starts, e.raw_start)].append(e)
        by_id[e.ent_id] = e
    rels: list[list] = [[] for _ in page.articles]
    for r in extracted.relations:
        head = by_id[r.head_ent_id]
        i = _region(starts, head.raw_start)
        tail_ent = by_id.get(r.tail_ent_id) if r.tail_ent_id else None
        tail: Entity | str | None
        if r.label == "reporter_of":
            tail = page.articles[i].headline_start
        else:
            tail = tail_ent if tail_ent is not None else r.tail_text
        rels[i].append((r.label, head, tail, dict(r.attrs or {}), r.source))
    return PagePrediction(ents, rels, placed, unplaced)


def place_gold_entities(page: GoldPage, extracted, starts: list[int]) -> tuple[list, list[str]]:
    """Entity records of the gold mentions, each placed in the clean sentences of its article:
    the first occurrence after the previous mention's, else the first free one of the article
    (a gold list slightly out of order), compared as :func:`mention_text` compares them. A
    placed mention takes the attributes (source, admin code, normalised name, values) of a
    predicted entity with its span and coarse class, else the gazetteer's code for a place and
    the gold values for a number (source ``gold``). Returns the records and the mentions that could not be placed."""
    from pipeline.nlp.linking.gazetteer import default_gazetteer
    from pipeline.records import QUANTITY_ATTRS, entity_at

    gaz = default_gazetteer()
    sents: list[list] = [[] for _ in page.articles]
    for sent in sorted(extracted.sentences, key=lambda s: s.offsets.raw_span(0, 1)[0] if s.text else 0):
        if sent.text:
            sents[_region(starts, sent.offsets.raw_span(0, 1)[0])].append(sent)
    predicted = {(e.sent_id, e.start, e.end, COARSE.get(e.label)): e for e in extracted.entities}
    out, unplaced = [], []
    for i, art in enumerate(page.articles):
        views = [(sent, *_squeezed(sent.text)) for sent in sents[i]]
        taken: dict[str, list[tuple[int, int]]] = {}  # sentence -> squeezed spans of placed mentions
        cursor = (0, 0)  # (sentence, squeezed offset) after the previous mention
        for x in art.entities:
            needle = mention_text(x["text"])
            hit = _find(views, needle, cursor, taken) or _find(views, needle, (0, 0), taken)
            if hit is None:
                unplaced.append(f"{page.name}: {x['text']} {x['label']}")
                continue
            k, at = hit
            sent, _, back = views[k]
            cursor = (k, at + len(needle))
            s, e = back[at], back[at + len(needle) - 1] + 1  # in the sentence
            taken.setdefault(sent.sent_id, []).append((at, at + len(needle)))
            # in the article's clean text, as the NER stage gives them
            start, end = (sent.start + s, sent.start + e) if sent.start is not None else (None, None)
            attrs: dict = {"source": "gold"}
            pred = predicted.get((sent.sent_id, start, end, COARSE.get(x["label"])))
            if pred is not None:  # what the stages know of the mention: 我市 is the paper's city (gpe.deictic)
                attrs = {name: getattr(pred, name) for name in ("source", "normalized", "kb_id", *QUANTITY_ATTRS)}
            elif x["label"] in ("GPE", "LOC", "FAC"):
                entry = gaz.lookup(sent.text[s:e])
                if entry is not None and len(entry.kb_ids) == 1:
                    attrs.update(kb_id=entry.kb_ids[0], normalized=entry.normalized)
            elif x["label"] in NUMBER_LABELS:
                attrs.update({name: x.get(name) for name in ("value", "value_low", "value_high", "unit", "qualifier")})
            out.append(entity_at(sent, s, e, x["label"], attrs.pop("source"), id_kind="g", **attrs))
    return out, unplaced


def _squeezed(text: str) -> tuple[str, list[int]]:
    """``mention_text`` of ``text`` and, for each of its characters, the offset in ``text``
    (``mention_text`` normalises one character to one and drops spaces)."""
    norm = mention_text(text)
    back = [k for k, ch in enumerate(text) if ch not in " \u3000"]
    assert len(back) == len(norm), "mention_text must map one character to one"
    return norm, back


def _find(views: list, needle: str, cursor: tuple[int, int], taken: dict) -> tuple[int, int] | None:
    """The first occurrence of ``needle`` from ``cursor`` that overlaps no placed mention
    (a name inside a longer one placed before it is not this mention)."""
    k0, at0 = cursor
    for k in range(k0, len(views)):
        sent, text, _ = views[k]
        spans = taken.get(sent.sent_id, ())
        at = text.find(needle, at0 if k == k0 else 0)
        while at >= 0 and any(a < at + len(needle) and at < b for a, b in spans):
            at = text.find(needle, at + 1)
        if at >= 0:
            return k, at
    return None


# -- scoring ---------------------------------------------------------------------------


def _is_optional(item: dict) -> bool:
    return item.get("note") == "optional"


def _match(gold: Counter, optional: Counter, pred: Counter) -> tuple[int, int, int]:
    tp = sum((gold & pred).values())
    left = pred - gold
    fp = sum((left - optional).values())
    fn = sum((gold - pred).values())
    return tp, fp, fn


class Tally:
    """tp/fp/fn per key, added up over articles and pages."""

    def __init__(self) -> None:
        self.rows: dict[str, PRF] = {}

    def add(self, key: str, tp: int, fp: int, fn: int) -> None:
        s = self.rows.setdefault(key, PRF())
        s.tp, s.fp, s.fn = s.tp + tp, s.fp + fp, s.fn + fn

    def merge(self, other: Tally) -> None:
        for k, s in other.rows.items():
            self.add(k, s.tp, s.fp, s.fn)

    def as_dict(self, keys: Iterable[str] | None = None) -> dict:
        return {k: self.rows[k].as_dict(counts=True) for k in (keys or sorted(self.rows)) if k in self.rows}


def _total(tally: Tally, keys: Iterable[str]) -> PRF:
    s = PRF()
    for k in keys:
        r = tally.rows.get(k)
        if r:
            s.tp, s.fp, s.fn = s.tp + r.tp, s.fp + r.fp, s.fn + r.fn
    return s


def mention_text(text: str) -> str:
    """A mention's text as compared: half-width, without spaces (the gold keeps a
    name as the page stores it, 崔 杰; the clean text has 崔杰)."""
    return _squeeze(text)


def score_entities(gold: list[dict], pred: list, labels: Tally, classes: Tally, errors: list | None = None) -> list[tuple]:
    """Score one article's entities; returns the matched NUMBER (gold, predicted) pairs."""
    keyers: tuple[tuple[Callable[[str], str], Tally], ...] = (
        (lambda lab: lab, labels),
        (lambda lab: COARSE.get(lab, lab), classes),
    )
    for keyer, tally in keyers:
        g = Counter((mention_text(x["text"]), keyer(x["label"])) for x in gold if not _is_optional(x))
        o = Counter((mention_text(x["text"]), keyer(x["label"])) for x in gold if _is_optional(x))
        p = Counter((mention_text(e.text), keyer(e.label)) for e in pred)
        for key in {k[1] for k in g} | {k[1] for k in p}:
            tp, fp, fn = _match(
                Counter({k: n for k, n in g.items() if k[1] == key}),
                Counter({k: n for k, n in o.items() if k[1] == key}),
                Counter({k: n for k, n in p.items() if k[1] == key}),
            )
            tally.add(key, tp, fp, fn)
        if errors is not None and tally is labels:
            errors.extend({"kind": "missed", "text": t, "label": lab, "n": n} for (t, lab), n in (g - p).items())
            errors.extend(
                {
                    "kind": "spurious",
                    "text": t,
                    "label": lab,
                    "n": n,
                    "source": next((e.source for e in pred if mention_text(e.text) == t and e.label == lab), ""),
                }
                for (t, lab), n in ((p - g) - o).items()
            )
    # pair matched numbers in order of appearance for the value check
    pairs = []
    pending: dict[tuple, list[dict]] = {}
    for x in gold:
        if x["label"] in NUMBER_LABELS:
            pending.setdefault((mention_text(x["text"]), x["label"]), []).append(x)
    for e in pred:
        queue = pending.get((mention_text(e.text), e.label))
        if e.label in NUMBER_LABELS and queue:
            pairs.append((queue.pop(0), e))
    return pairs


def value_check(pairs: list[tuple]) -> tuple[dict, list]:
    counts: Counter[str] = Counter()
    wrong = []
    for g, e in pairs:
        counts["matched"] += 1
        ok = {
            "value": same_value(g.get("value"), e.value)
            and same_value(g.get("value_low"), e.value_low)
            and same_value(g.get("value_high"), e.value_high),
            "unit": same_value(g.get("unit"), e.unit),
            "qualifier": same_value(g.get("qualifier") or "=", e.qualifier or "="),
        }
        for k, v in ok.items():
            counts[k] += v
        counts["all"] += all(ok.values())
        if not all(ok.values()):
            wrong.append(
                {"text": e.text, "gold": {k: g.get(k) for k in VALUE_FIELDS}, "pred": {k: getattr(e, k) for k in VALUE_FIELDS}}
            )
    return dict(counts), wrong


_SHORT_FORM = re.compile(r"short form of ([^\s;,，；]+)")


class NameCanon:
    """The name a relation end is compared by: the admin code or country a
    place name resolves to (太原 and 太原市 alike), else the text; in an article whose
    gold notes a mention as the short form of a full name (回中: "short form of
    太康县回族中学"), the full name for either."""

    def __init__(self, aliases: dict[str, str] | None = None, gaz=None) -> None:
        from pipeline.nlp.linking.gazetteer import default_gazetteer

        self.gaz = gaz if gaz is not None else default_gazetteer()
        self.aliases = aliases or {}

    def for_article(self, gold_entities: list[dict]) -> NameCanon:
        """This canon with the short forms the article's gold notes (its relations may name an
        entity by either form, as the stages may)."""
        aliases = {}
        for x in gold_entities:
            hit = _SHORT_FORM.search(x.get("note") or "")
            if hit and hit.group(1) != x["text"]:
                aliases[x["text"]] = hit.group(1)
        return NameCanon(aliases, self.gaz) if aliases else self

    def __call__(self, name: str | None) -> str:
        if not name:
            return ""
        name = self.aliases.get(name, name)
        entry = self.gaz.lookup(name)
        if entry is None or entry.label != "GPE" or not entry.kb_ids:
            return name
        ids = entry.kb_ids
        if len(ids) > 1:  # 河南: the province, not 河南县 of Qinghai (the highest level, if one is)
            levels: dict[str | None, int] = {"province": 0, "prefecture": 1, "county": 2}
            rank = {k: levels.get(getattr(self.gaz.divisions.get(k), "level", None), 9) for k in ids}
            top = min(rank.values())
            ids = tuple(k for k in ids if rank[k] == top)
        return "kb:" + ids[0] if len(ids) == 1 else name

    def of_entity(self, ent) -> str:
        if getattr(ent, "kb_id", None):
            return "kb:" + ent.kb_id
        return self(ent.normalized or ent.text) if ent.normalized else self(ent.text)

    def names_of(self, ent) -> list[str]:
        """Every name an entity is compared by: :meth:`of_entity` first, then its text (a company
        the article shortens, 哈尔滨城林科技股份有限公司（以下简称城林科技）, is named by either)."""
        names = [self.of_entity(ent)]
        if getattr(ent, "normalized", None) and not getattr(ent, "kb_id", None):
            names.append(self(ent.text))
        return list(dict.fromkeys(names))


def score_relations(
    gold: list[dict],
    pred: list[tuple],
    canon: NameCanon,
    labels: Tally,
    attrs: Tally,
    errors: list | None = None,
    sources: dict | None = None,
) -> None:
    def ends(x) -> list[str]:
        return canon.names_of(x) if hasattr(x, "text") else [canon(x)]

    g = {(r["label"], canon(r["head"]), canon(r["tail"])): r for r in gold if not _is_optional(r)}
    o = {(r["label"], canon(r["head"]), canon(r["tail"])) for r in gold if _is_optional(r)}
    p: dict[tuple, list] = {}
    for label, head, tail, a, source in pred:
        # by the first pair of the ends' names that the gold has, else by their first names
        keys = [(label, h, t) for h in ends(head) for t in ends(tail)]
        key = next((k for k in keys if k in g or k in o), keys[0])
        p.setdefault(key, []).append((a, source, head, tail))
    for label in {k[0] for k in g} | {k[0] for k in p}:
        gk = {k for k in g if k[0] == label}
        pk = {k for k in p if k[0] == label} - (o - gk)
        labels.add(label, len(gk & pk), len(pk - gk), len(gk - pk))
    for k in g.keys() & p.keys():
        for name in RELATION_ATTRS.get(k[0], ()):
            want = g[k].get("attrs", {}).get(name)
            got = [a.get(name) for a, *_ in p[k]]
            ok = all(x == want for x in got)
            attrs.add(f"{k[0]}.{name}", int(ok), 0, int(not ok))
            if errors is not None and not ok:
                errors.append(
                    {
                        "kind": "attribute",
                        "relation": f"{g[k]['head']} -{k[0]}-> {g[k]['tail']}",
                        "attr": name,
                        "gold": want,
                        "pred": sorted({str(x) for x in got}),
                    }
                )
    if sources is not None:
        for k, preds in p.items():
            if k in o and k not in g:
                continue
            for src in {s for _, s, *_ in preds}:
                row = sources.setdefault(src, Counter())
                row["hits"] += 1
                row["correct"] += k in g
    if errors is not None:
        for k in g.keys() - p.keys():
            errors.append({"kind": "missed", "relation": f"{g[k]['head']} -{k[0]}-> {g[k]['tail']}"})
        for k in p.keys() - g.keys() - o:
            a, source, head, tail = p[k][0]
            errors.append(
                {
                    "kind": "spurious",
                    "source": source,
                    "relation": f"{getattr(head, 'text', head)} -{k[0]}-> {getattr(tail, 'text', tail)}",
                }
            )


def _scores(labels: Tally, classes: Tally, values: Counter, rel: Tally, rel_attrs: Tally) -> dict:
    micro = _total(labels, labels.rows)
    report: dict = {"labels": labels.as_dict(), "groups": classes.as_dict(), "micro": micro.as_dict(counts=True)}
    for name, members in COMBINED.items():
        report["groups"][name] = _total(classes, members).as_dict(counts=True)
    n = values.get("matched", 0)
    report["values"] = {
        "matched": n,
        **{k: round(values.get(k, 0) / n, 4) if n else 0.0 for k in ("value", "unit", "qualifier", "all")},
        "counts": {k: values.get(k, 0) for k in ("value", "unit", "qualifier", "all")},
    }
    report["relations"] = {
        "labels": rel.as_dict(),
        "micro": _total(rel, CORE_RELATIONS).as_dict(counts=True),
        "attributes": {
            k: {"correct": s.tp, "total": s.tp + s.fn, "accuracy": round(s.r, 4)} for k, s in sorted(rel_attrs.rows.items())
        },
    }
    return report


def evaluate_pages(
    pages: list[GoldPage], errors: bool = False, sources: bool = False, page_packs: bool = True, gold_entities: bool = False
) -> dict:
    """Scores per page and micro over the pages (the JSON of ``eval pages``).

    With ``page_packs``, a page that names its rule packs (``NAME.packs``) runs with
    them, and the others with the default rules alone. With ``gold_entities``, the
    relation stage reads the gold mentions (``predict``); the entity scores then say
    how many of them could be placed in the clean text, and ``gold_entities`` lists
    the ones that could not."""
    if page_packs and any(p.packs is not None for p in pages):
        return _with_page_packs(pages, errors, sources, gold_entities)
    canon = NameCanon()
    # the arguments of _scores summed over the pages (Tally or Counter, as each page's part)
    total: list[Any] = [Tally(), Tally(), Counter(), Tally(), Tally()]
    part: Any
    report: dict = {"pages": {}}
    all_errors: dict[str, list] = {}
    ent_sources: dict[str, Counter] = {}
    rel_sources: dict[str, Counter] = {}
    wrong_values: list = []
    placement: dict = {"placed": 0, "unplaced": []}
    for page in pages:
        pred = predict(page, gold_entities)
        placement["placed"] += pred.placed
        placement["unplaced"] += pred.unplaced
        labels, classes, rel, rel_attrs = Tally(), Tally(), Tally(), Tally()
        values: Counter[str] = Counter()
        errs: list | None = [] if errors else None
        for i, art in enumerate(page.articles):
            pairs = score_entities(art.entities, pred.entities[i], labels, classes, errs)
            counts, wrong = value_check(pairs)
            values.update(counts)
            wrong_values += [{"page": page.name, **w} for w in wrong]
            score_relations(
                art.relations,
                pred.relations[i],
                canon.for_article(art.entities),
                rel,
                rel_attrs,
                errs,
                rel_sources if sources else None,
            )
            if sources:
                _entity_sources(art.entities, pred.entities[i], ent_sources)
        report["pages"][page.name] = _scores(labels, classes, values, rel, rel_attrs)
        if errs is not None:
            all_errors[page.name] = errs
        for acc, part in zip(total, (labels, classes, values, rel, rel_attrs)):
            acc.update(part) if isinstance(acc, Counter) else acc.merge(part)
    report.update(_scores(*total))
    report["values"]["wrong"] = wrong_values
    if gold_entities:
        report["gold_entities"] = placement
    if errors:
        report["errors"] = all_errors
    if sources:
        report["by_rule"] = {s: _rule_row(c) for s, c in sorted(ent_sources.items())}
        report["relations"]["by_rule"] = {s: _rule_row(c) for s, c in sorted(rel_sources.items())}
    return report


def _with_page_packs(pages: list[GoldPage], errors: bool, sources: bool, gold_entities: bool = False) -> dict:
    from pipeline.nlp import load_nlp, use_rule_packs

    nlp = load_nlp()
    parts = []
    before = os.environ.get("PIPELINE_RULE_PACKS")
    try:
        for page in pages:
            # the page runs as with PIPELINE_RULE_PACKS set to its packs (the relation stage reads it)
            os.environ["PIPELINE_RULE_PACKS"] = ",".join(page.packs or ())
            use_rule_packs(nlp, page.packs or ())
            parts.append(evaluate_pages([page], errors, sources, page_packs=False, gold_entities=gold_entities))
    finally:
        if before is None:
            os.environ.pop("PIPELINE_RULE_PACKS", None)
        else:
            os.environ["PIPELINE_RULE_PACKS"] = before
        use_rule_packs(nlp, settings.rule_packs())
    return merge_reports(parts)


def merge_reports(parts: list[dict]) -> dict:
    """One report of several pages' reports (micro over all of them)."""
    labels, classes, rel, rel_attrs = Tally(), Tally(), Tally(), Tally()
    values: Counter[str] = Counter()
    out: dict = {"pages": {}}
    wrong: list[dict] = []
    errs: dict[str, list] = {}
    ent_src: dict[str, Counter] = {}
    rel_src: dict[str, Counter] = {}
    for r in parts:
        out["pages"].update(r["pages"])
        for pr in r["pages"].values():
            for k, v in pr["labels"].items():
                labels.add(k, v["tp"], v["fp"], v["fn"])
            for k, v in pr["groups"].items():
                if k not in COMBINED:
                    classes.add(k, v["tp"], v["fp"], v["fn"])
            for k, v in pr["relations"]["labels"].items():
                rel.add(k, v["tp"], v["fp"], v["fn"])
            for k, v in pr["relations"]["attributes"].items():
                rel_attrs.add(k, v["correct"], 0, v["total"] - v["correct"])
            values.update({"matched": pr["values"]["matched"], **pr["values"]["counts"]})
        wrong += r["values"].get("wrong", [])
        errs.update(r.get("errors", {}))
        for src, row in r.get("by_rule", {}).items():
            c = ent_src.setdefault(src, Counter())
            c.update({"hits": row["hits"], "correct": row["correct"]})
        for src, row in r["relations"].get("by_rule", {}).items():
            c = rel_src.setdefault(src, Counter())
            c.update({"hits": row["hits"], "correct": row["correct"]})
    out.update(_scores(labels, classes, values, rel, rel_attrs))
    out["values"]["wrong"] = wrong
    if any("gold_entities" in r for r in parts):
        out["gold_entities"] = {
            "placed": sum(r["gold_entities"]["placed"] for r in parts if "gold_entities" in r),
            "unplaced": [u for r in parts for u in r.get("gold_entities", {}).get("unplaced", [])],
        }
    if any("errors" in r for r in parts):
        out["errors"] = errs
    if any("by_rule" in r for r in parts):
        out["by_rule"] = {s: _rule_row(c) for s, c in sorted(ent_src.items())}
        out["relations"]["by_rule"] = {s: _rule_row(c) for s, c in sorted(rel_src.items())}
    return out


def _entity_sources(gold: list[dict], pred: list, out: dict[str, Counter]) -> None:
    """Per source: hits and correct ones (a hit is correct while the gold multiset has it left)."""
    left = Counter((mention_text(x["text"]), x["label"]) for x in gold if not _is_optional(x))
    optional = Counter((mention_text(x["text"]), x["label"]) for x in gold if _is_optional(x))
    for e in pred:
        key = (mention_text(e.text), e.label)
        row = out.setdefault(e.source or "?", Counter())
        if left[key] > 0:
            left[key] -= 1
            row["hits"] += 1
            row["correct"] += 1
        elif optional[key] > 0:
            optional[key] -= 1
        else:
            row["hits"] += 1


def _rule_row(c: Counter) -> dict:
    return {"hits": c["hits"], "correct": c["correct"], "precision": round(c["correct"] / c["hits"], 4) if c["hits"] else 0.0}


def ablation(pages: list[GoldPage], prefixes: Iterable[str], baseline: dict, page_packs: bool = True) -> dict:
    """What switching off each rule (id prefix) changes: ΔF1 of ORG+PLACE, PERSON, NUMBER, micro, relations."""
    from pipeline.nlp import load_nlp

    comp = load_nlp().get_pipe("zhnews_entity_rules")
    before = comp.disabled
    out = {}
    try:
        for prefix in prefixes:
            comp.disabled = tuple(before) + (prefix,)
            r = evaluate_pages(pages, page_packs=page_packs)
            out[prefix] = {
                k: round(_f(r, k) - _f(baseline, k), 4) for k in ("ORG+PLACE", "PERSON", "NUMBER", "micro", "relations")
            }
    finally:
        comp.disabled = before
    return out


def _f(report: dict, key: str) -> float:
    if key == "micro":
        return report["micro"]["f"]
    if key == "relations":
        return report["relations"]["micro"]["f"]
    return report["groups"].get(key, {}).get("f", 0.0)
