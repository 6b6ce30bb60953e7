"""Putting model and rule candidates together: typing, vetoes, precedence.

Documented precedence (README, "NER precedence"):

1. Vetoes drop model spans that the guidelines exclude (meetings as ORG).
2. The model's coarse ``LOC`` is typed: a gazetteer entry gives its label
   (GPE, LOC, FAC, ORG); otherwise an organisation's ending (ORG_SUFFIX:
   图书馆 博物馆 学校 ...) makes it ORG, a facility suffix (lexicon FAC_SUFFIX of
   rules/entities.yaml: 港 机场 园区 科学城 ...) makes it FAC, an
   administrative suffix (ADMIN_SUFFIX: 省 市 县 区 镇 乡 村 街道 ...) GPE,
   else it stays LOC.
3. A model PERSON span that begins with a surname keeps the short place
   names inside it (许银川, 王永胜, 李长春 against 银川, 永胜, 长春).
   A model place that rule places tile, two or more in a row, is an address chain and
   gives way to them (衢州市衢江区 is 衢州市 and 衢江区); so does a model organisation that
   organisations of one rule tile (省委省政府 is 省委 and 省政府).
   Otherwise a model span is dropped when it crosses a rule candidate (overlaps it
   without containing it), or when it overlaps one and does not start and
   end at word boundaries of the segmentation (川东石炭 against the rule's
   川东). Model spans are cut at whitespace (bylines list names with spaces).
4. All candidates (model, gazetteer, regex and extension rules, bylines)
   compete: byline knowledge (priority 100) first, then the longest span
   ("longest complete name"), then the higher priority (extensions 85-90 >
   patterns 60-80 > gazetteer 55-72 > model 50), then the earlier start.
   Overlapping losers are dropped, so spans never overlap.
"""

from __future__ import annotations

from pipeline.nlp.entities.entity_rules import Candidate, EntityRules
from pipeline.nlp.linking.gazetteer import Gazetteer

MODEL_PRIORITY = 50
#: rule sources of short place names, which are also given names (银川, 永胜, 长春)
_SHORT_PLACE_SOURCES = frozenset({"gpe.admin.short"})


def type_place(text: str, gazetteer: Gazetteer, entity_rules: EntityRules | None = None) -> tuple[str, Candidate | None]:
    """Label for a model place span, and the gazetteer entry that decided it."""
    entry = gazetteer.lookup(text)
    if entry is not None:
        kb = entry.kb_ids
        return entry.label, Candidate(
            0,
            0,
            entry.label,
            entry.source,
            entry.priority,
            kb_id=kb[0] if len(kb) == 1 else None,
            normalized=entry.normalized,
            attrs={"kb_ids": kb} if kb else {},
        )
    if entity_rules is not None:
        if entity_rules.org_suffix.search(text):
            return "ORG", None
        if entity_rules.fac_suffix.search(text):
            return "FAC", None
        if entity_rules.region_suffix.search(text):
            return "LOC", None  # 太行山区, 三峡库区: regions, whatever their 区
        if entity_rules.admin_suffix.search(text):
            return "GPE", None
    return "LOC", None


CERTAIN = 100


def _split_at_spaces(text: str, cand: Candidate) -> list[Candidate]:
    out = []
    start = cand.start
    for k in range(cand.start, cand.end + 1):
        if k == cand.end or text[k].isspace():
            s, e = start, k
            while s < e and text[s].isspace():
                s += 1
            if e - s >= 1:
                out.append(Candidate(s, e, cand.label, cand.source, cand.priority, cand.score))
            start = k + 1
    return out


def _address_chain(cand: Candidate, rules: list[Candidate]) -> bool:
    """Whether places of the rules tile the model's place span, two or more in a row
    (衢州市衢江区黄坛口乡, 温州市鹿城区): an address chain, which the guidelines split into
    its divisions; the model's one span gives way to them."""
    if cand.label != "LOC":
        return False
    by_start: dict[int, list[int]] = {}
    for r in rules:
        if r.label == "GPE" and cand.start <= r.start and r.end <= cand.end:
            by_start.setdefault(r.start, []).append(r.end)
    reach, pos, parts = {cand.start: 0}, [cand.start], 0
    while pos:
        at = pos.pop()
        for end in by_start.get(at, ()):
            if end not in reach or reach[end] < reach[at] + 1:
                reach[end] = reach[at] + 1
                pos.append(end)
    parts = reach.get(cand.end, 0)
    return parts >= 2


def _coordinated_bodies(cand: Candidate, rules: list[Candidate]) -> bool:
    """Whether organisations of one rule tile the model's organisation span, two or more in a
    row (省委省政府, 市委市政府): bodies named side by side, not one name; a unit after its
    parent (中国石油西南油气田公司重庆气矿) is tiled by candidates of different rules, and stays."""
    if cand.label != "ORG":
        return False
    tiles = sorted(
        (r for r in rules if r.label == "ORG" and cand.start <= r.start and r.end <= cand.end), key=lambda r: (r.start, -r.end)
    )
    pos, parts, source = cand.start, 0, None
    for r in tiles:
        if r.start == pos and (source is None or r.source == source):
            pos, parts, source = r.end, parts + 1, r.source
    return parts >= 2 and pos == cand.end


def _conflicts(
    text: str, cand: Candidate, rules: list[Candidate], entity_rules: EntityRules, starts: set[int] | None, ends: set[int] | None
) -> bool:
    if any(r.start == cand.start and r.end == cand.end for r in rules):
        return False
    if _address_chain(cand, rules) or _coordinated_bodies(cand, rules):
        return True
    inner = []
    for r in rules:
        if r.end <= cand.start or r.start >= cand.end:
            continue
        contains = cand.start <= r.start and r.end <= cand.end
        inside = r.start <= cand.start and cand.end <= r.end
        if not contains and not inside:
            return True  # crossing
        if contains:
            inner.append(r)
    if not inner:
        return False
    # a boundary is sound where a word or a rule inside the span starts or ends
    # (美国财政部 in 美国财政部长: the rule's 财政部 ends where the model's span does)
    # and where an organisation's head begins a title (委内瑞拉能矿部 in 委内瑞拉能矿部长)
    titled = cand.label == "ORG" and text[cand.end - 1 : cand.end + 1] in entity_rules.head_titles
    aligned = (
        starts is None
        or ends is None
        or (
            (cand.start in starts or any(r.start == cand.start for r in inner))
            and (cand.end in ends or titled or any(r.end == cand.end for r in inner))
        )
    )
    # 川东石 around 川东: a one-character slip past the rule's end, or not on word
    # boundaries (a character before it is a name of its own: 白俄罗斯 around 俄罗斯;
    # a place suffix after it makes another place: 墨西哥城 around 墨西哥)
    # (a place suffix after a name that already ends in one is a slip too: 乐堂村 + 村 of 村医)
    return not aligned or any(
        cand.length - r.length == 1
        and r.start == cand.start
        and (
            text[cand.end - 1 : cand.end] not in entity_rules.place_suffix_chars
            or text[r.end - 1 : r.end] in entity_rules.place_suffix_chars
        )
        for r in inner
    )


def resolve(
    text: str,
    model: list[Candidate],
    rules: list[Candidate],
    entity_rules: EntityRules,
    gazetteer: Gazetteer,
    word_starts: set[int] | None = None,
    word_ends: set[int] | None = None,
    disabled: tuple[str, ...] = (),
) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """Final non-overlapping entities, and the model spans removed by vetoes."""
    kept_model: list[Candidate] = []
    vetoed: list[tuple[Candidate, str]] = []
    model = [piece for cand in model for piece in _split_at_spaces(text, cand)]
    names = [c for c in model if c.label == "PERSON" and entity_rules.surname_at(text, c.start)]
    if names:
        rules = [
            r
            for r in rules
            if not (r.source in _SHORT_PLACE_SOURCES and any(n.start <= r.start and r.end <= n.end for n in names))
        ]
    model = [c for c in model if not _conflicts(text, c, rules, entity_rules, word_starts, word_ends)]
    for cand in model:
        veto = entity_rules.veto(text, cand)
        if veto and not veto.startswith(disabled or ("\0",)):
            vetoed.append((cand, veto))
            continue
        if cand.label == "PERSON" and entity_rules.org_suffix.search(text, cand.start, cand.end):
            cand.label = "ORG"  # 阿里巴巴集团: a name that ends in an organisation's head is one
        if cand.label == "LOC":
            label, entry = type_place(text[cand.start : cand.end], gazetteer, entity_rules)
            cand.label = label
            if entry is not None:
                cand.kb_id, cand.normalized, cand.attrs = entry.kb_id, entry.normalized, {**cand.attrs, **entry.attrs}
        kept_model.append(cand)
    pool = kept_model + rules
    pool.sort(key=lambda c: (c.priority < CERTAIN, -c.length, -c.priority, c.start))
    taken = [False] * (len(text) + 1)
    out = []
    for cand in pool:
        if cand.end <= cand.start or any(taken[cand.start : cand.end]):
            continue
        for k in range(cand.start, cand.end):
            taken[k] = True
        out.append(cand)
    out.sort(key=lambda c: c.start)
    return out, vetoed
