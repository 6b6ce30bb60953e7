"""The relation stage: articles, sentences and entities in, relations out.

Relations (labels of the annotation guidelines):

* ``located_in`` -- from the text (位于…), address chains, place-prefixed
  names (大足区教委 → 大足区; 市科技局 → the paper's city) and the admin-code
  hierarchy (云阳县 → 重庆市);
* ``part_of`` -- an organisation named after a larger one plus a unit ending;
* ``role`` -- 市科技局局长明炬, and the people of a byline at their paper;
* ``metric`` -- a subject's indicator with a value, its time and status
  (actual / target / forecast), with the subject and time carried over
  through the article (我市 … 技术合同成交额630.5亿元);
* ``reporter_of`` -- the reporters and photographers of an article.

The language lives in ``rules/relations.yaml`` (patterns over the sentence's
text and entities, cue words); this module is the general machinery. Every
relation names the rule that produced it (``source``) and the sentence it
comes from (``sent_id``: for the code hierarchy, the sentence of the
division's first mention; for bylines, the byline). A relation's tail that is not a mention of its own (the
parent of an admin division, the place prefix of a name) points to a mention
of the same place elsewhere in the document when there is one, and is
otherwise given by its name only (``tail_ent_id`` null).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import Field, field_validator

from pipeline.dates import Interval
from pipeline.dates import resolver as date_resolver
from pipeline.records import Article, Entity, Relation, Sentence
from pipeline.rules import ExampleSource, RuleFileError, StrictModel, alternation, check_unique_ids, load_yaml, one_of, rule_path

ENT_OPEN, ENT_SEP, ENT_CLOSE = "\ue000", "\ue002", "\ue001"
_PLACEHOLDER = re.compile(f"{ENT_OPEN}[A-Z]+{ENT_SEP}(\\d+){ENT_CLOSE}")
PLACE_LABELS = ("GPE", "LOC", "FAC")


# -- rule file ------------------------------------------------------------------


class Example(StrictModel):
    text: str
    expect: tuple[str, str]
    #: where the sentence comes from: a pattern holds on text of at least two real sources
    source: ExampleSource


class PatternRule(StrictModel):
    id: str = Field(pattern=r"^[a-z_]+(\.[a-z0-9_]+)+$")
    label: str
    pattern: str
    #: one relation per entity of the head group (a list of names), not only the last
    each_head: bool = False
    #: the rule pack (``PIPELINE_RULE_PACKS``) the pattern belongs to: knowledge of one domain,
    #: off by default (None: a default pattern, with examples from two real sources)
    pack: str | None = None
    examples: list[Example] = []

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        return one_of(v, RELATION_LABELS, "relation label")


class PartOfRule(StrictModel):
    id: str
    unit_endings: list[str]
    #: where no mention of the parent exists: the parent is the name's longest head that ends
    #: in one of these (国家卫生计生委|科教司, 黑龙江八一农垦大学|工程学院) and leaves a unit of two
    #: characters or more
    parent_endings: list[str] = []


class NamePrefixRule(StrictModel):
    id: str
    deictic_prefixes: dict[str, str]


class AdminParentRule(StrictModel):
    id: str
    #: off: the annotated pages state a division's parent only where the text does (郑州 in an
    #: article that also names 河南省 is no located_in of theirs); on, it adds the hierarchy
    enabled: bool = True
    #: only where the article names the parent too (云阳县 → 重庆 in an article that names
    #: 重庆); a parent the text never names is knowledge, not something the article says
    only_mentioned: bool = False


class BylineRule(StrictModel):
    home_id: str
    role_id: str
    reporter_id: str
    photographer_id: str
    reporter_position: str
    correspondent_position: str
    photographer_position: str


class MetricRule(StrictModel):
    id: str
    forecast_cues: list[str]
    target_cues: list[str]
    target_time: str
    section_target_cues: list[str]
    time_prepositions: list[str]
    cut_after: list[str]
    reporting_cues: list[str]
    time_words: list[str]
    #: time words that, like a date, hold for the sentences after theirs (the year words)
    carried_time_words: list[str] = []
    clause_ends: str
    drop_final_de_after: list[str]
    not_indicator_start: list[str]
    not_indicator_end: list[str]
    not_indicator_chars: list[str]
    verbs: list[str]
    lead_words: list[str]
    subject_labels: list[str]
    blocking_labels: list[str]
    #: 该 + a head word at a clause's start refers back to the last entity whose name (or full
    #: name) ends in one of the head's endings (该集团 → 省交通集团, 该县 → 清丰县)
    anaphora: dict[str, list[str]] = {}
    #: the words before such a head word: 该 (该集团), 全 (全校: the school the article is about)
    anaphora_determiners: list[str] = ["该"]
    #: an entity right after one of these is no subject: an origin (来自全国各地的7000余名工人, 从全国
    #: 各地赶来) or a modifier inside a noun phrase (这座全省最大的电站)
    not_subject_after: list[str] = []
    #: endings of the LOC names that are zones: subjects of figures, carried as places are
    zones: list[str] = []
    #: words that open a clause listing examples (包括…等): its entities are no subject
    list_cues: list[str] = []
    value_labels: list[str]
    not_indicators: list[str]
    #: a date right after one of these is the base of a comparison (比去年同期), not the figure's time
    comparison_cues: list[str] = []
    #: an indicator that is only a change (同比增长, 比上年同期增收) is one of the indicator before it
    change_bases: list[str] = []
    change_verbs: list[str] = []
    #: words of one domain, added to the lists they name when their rule pack is enabled
    #: (``PIPELINE_RULE_PACKS``): {pack: {list name: [words]}}
    packs: dict[str, dict[str, list[str]]] = {}

    @field_validator("packs")
    @classmethod
    def _pack_lists(cls, value: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        lists = {name for name, f in cls.model_fields.items() if f.annotation == list[str]}
        for pack, words in value.items():
            for name in words:
                if name not in lists:
                    raise ValueError(f"pack {pack!r}: {name!r} is not a word list of metric (one of {sorted(lists)})")
        return value

    def with_packs(self, packs: tuple[str, ...]) -> MetricRule:
        """These settings with the words of the enabled ``packs`` added to their lists."""
        update: dict[str, list[str]] = {}
        for pack in packs:
            for name, words in self.packs.get(pack, {}).items():
                current = update.get(name, getattr(self, name))
                update[name] = current + [w for w in words if w not in current]
        return self.model_copy(update=update) if update else self


class RelationRuleFile(StrictModel):
    version: int
    lexicons: dict[str, list[str]] = {}
    patterns: list[PatternRule]
    part_of: PartOfRule
    name_prefix: NamePrefixRule
    admin_parent: AdminParentRule
    byline: BylineRule
    metric: MetricRule


RELATION_LABELS = ("located_in", "part_of", "role", "metric", "reporter_of")


@dataclass
class CompiledPattern:
    rule: PatternRule
    regex: re.Pattern


@dataclass
class RelationRules:
    path: Path
    spec: RelationRuleFile
    patterns: list[CompiledPattern]
    target_time: re.Pattern
    verbs: re.Pattern
    lead: re.Pattern  # anchored at the start of the string (for sub)
    lead_at: re.Pattern  # the same words, for match(text, pos) at any position
    change: re.Pattern  # an indicator that is only a change (同比增长)
    trailing_verb: re.Pattern  # a verb that ends an indicator (固定资产投资完成)
    time_words: re.Pattern
    separators: re.Pattern
    #: these rules with the metric words of rule packs, per enabled packs (:func:`with_packs`)
    pack_variants: dict[tuple[str, ...], RelationRules] = field(default_factory=dict, repr=False, compare=False)


def expand(pattern: str, lexicons: dict[str, list[str]]) -> str:
    def entity(m: re.Match) -> str:
        labels = m.group(1).split("|")
        return f"{ENT_OPEN}(?:{'|'.join(labels)}){ENT_SEP}\\d+{ENT_CLOSE}"

    out = re.sub(r"\{E:([A-Z|]+)\}", entity, pattern)
    out = out.replace("{PLACE}", f"{ENT_OPEN}(?:GPE|LOC|FAC){ENT_SEP}\\d+{ENT_CLOSE}")
    out = out.replace("{ENT_OPEN}", ENT_OPEN)

    def lexicon(m: re.Match) -> str:
        name = m.group(1)
        if name not in lexicons:
            raise KeyError(name)
        return alternation(lexicons[name])

    return re.sub(r"\{([A-Z_]+)\}", lexicon, out)


def load_relation_rules(path: str | Path | None = None) -> RelationRules:
    path = Path(path) if path else rule_path("relations.yaml")
    spec = load_yaml(path, RelationRuleFile)
    check_unique_ids(path, spec.patterns)
    compiled = []
    for i, rule in enumerate(spec.patterns):
        try:
            regex = re.compile(expand(rule.pattern, spec.lexicons))
        except KeyError as exc:
            raise RuleFileError(path, None, f"patterns[{i}] ({rule.id}): unknown lexicon {{{exc.args[0]}}}") from None
        except re.error as exc:
            raise RuleFileError(path, None, f"patterns[{i}] ({rule.id}): bad pattern: {exc}") from None
        if "head" not in regex.groupindex or "tail" not in regex.groupindex:
            raise RuleFileError(path, None, f"patterns[{i}] ({rule.id}): needs named groups 'head' and 'tail'")
        compiled.append(CompiledPattern(rule, regex))
    return _compiled(path, spec, compiled)


def _compiled(path: Path, spec: RelationRuleFile, patterns: list[CompiledPattern]) -> RelationRules:
    m = spec.metric
    try:
        target_time = re.compile(m.target_time)
    except re.error as exc:
        raise RuleFileError(path, None, f"metric.target_time: bad pattern: {exc}") from None
    return RelationRules(
        path,
        spec,
        patterns,
        target_time,
        verbs=re.compile(alternation(m.verbs) + "$"),
        lead=re.compile("^" + alternation(m.lead_words)),
        lead_at=re.compile(alternation(m.lead_words)),
        change=re.compile(f"(?:{alternation(m.change_bases)})?(?:{alternation(m.change_verbs)})" if m.change_verbs else "(?!)"),
        trailing_verb=re.compile(f"(?:{alternation(m.verbs)})$"),
        time_words=re.compile(alternation(m.time_words)),
        separators=re.compile(alternation(spec.lexicons.get("SEP", ["、"]))),
    )


def with_packs(rules: RelationRules, packs: tuple[str, ...]) -> RelationRules:
    """``rules`` with the metric words of the enabled ``packs`` (``metric.packs``), compiled once
    per rules and packs."""
    metric = rules.spec.metric.with_packs(packs)
    if metric is rules.spec.metric:
        return rules
    if packs not in rules.pack_variants:
        rules.pack_variants[packs] = _compiled(rules.path, rules.spec.model_copy(update={"metric": metric}), rules.patterns)
    return rules.pack_variants[packs]


def default_rules(path: str | None = None) -> RelationRules:
    """The relation rules of ``path`` (default: ``relations.yaml`` of the rules read now), loaded once."""
    return _rules_of(str(path) if path else str(rule_path("relations.yaml")))


@lru_cache(maxsize=4)
def _rules_of(path: str) -> RelationRules:
    return load_relation_rules(path)


# -- sentence view ----------------------------------------------------------------


@dataclass
class SentEnts:
    """A sentence with its entities at sentence-relative offsets."""

    sent: Sentence
    ents: list[Entity]
    spans: list[tuple[int, int]]  # (start, end) in sent.text per entity

    def encoded(self) -> str:
        parts, pos = [], 0
        for i, (s, e) in enumerate(self.spans):
            parts.append(self.sent.text[pos:s])
            parts.append(f"{ENT_OPEN}{self.ents[i].label}{ENT_SEP}{i}{ENT_CLOSE}")
            pos = e
        parts.append(self.sent.text[pos:])
        return "".join(parts)


def sentence_view(sent: Sentence, ents: list[Entity]) -> SentEnts:
    """Entities of one sentence, sorted, at character offsets of ``sent.text``."""
    raw = np.asarray(sent.offsets.offsets) if sent.offsets is not None else None
    out: list[Entity] = []
    spans: list[tuple[int, int]] = []
    for e in sorted(ents, key=lambda e: (e.raw_start, -e.raw_end)):
        if raw is not None and len(raw):
            s = int(np.searchsorted(raw, e.raw_start))
            t = int(np.searchsorted(raw, e.raw_end - 1)) + 1
        elif sent.start is not None and e.start is not None:
            assert e.end is not None  # an entity's clean offsets are set together
            s, t = e.start - sent.start, e.end - sent.start
        else:
            continue
        if spans and s < spans[-1][1]:
            continue  # overlapping spans do not occur; be safe
        out.append(e)
        spans.append((s, t))
    return SentEnts(sent, out, spans)


# -- extraction -------------------------------------------------------------------


#: relations an article states once however often its names recur
ONCE_PER_ARTICLE = frozenset({"located_in", "part_of", "role", "reporter_of"})


@dataclass
class _Ctx:
    rules: RelationRules
    article: Article
    home: dict | None  # {"name", "kb_id", "level"} of the paper's home place
    doc_places: dict[str, Entity]  # kb_id or name -> first mention in the document
    doc_orgs: dict[str, Entity]
    doc_gpe_texts: dict[str, Entity] = field(default_factory=dict)
    paper_homes: dict[str, dict] = field(default_factory=dict)
    out: list[Relation] = field(default_factory=list)
    seen: set = field(default_factory=set)
    #: (label, head text, tail text) of the relations an article states once however often its
    #: names recur (located_in, part_of, role, reporter_of); metrics are figures, each kept
    pairs: set = field(default_factory=set)
    #: the enabled rule packs (pack patterns run only with theirs)
    packs: tuple[str, ...] = ()

    def add(
        self,
        label: str,
        head: Entity,
        tail: Entity | None,
        tail_text: str | None,
        sent: Sentence | None,
        source: str,
        attrs: dict | None = None,
        score: float = 1.0,
    ) -> None:
        tail_key = tail.ent_id if tail is not None else tail_text
        attrs = {k: v for k, v in (attrs or {}).items() if v is not None}
        key = (label, head.ent_id, tail_key, tuple(sorted(attrs.items())))
        if key in self.seen or (tail is not None and tail.ent_id == head.ent_id):
            return
        pair = (label, head.text, tail.text if tail is not None else tail_text)
        if label in ONCE_PER_ARTICLE and pair in self.pairs:
            return  # 北京月坛社区卫生服务中心 named three times is in 北京 once
        self.seen.add(key)
        self.pairs.add(pair)
        digest = hashlib.sha1(
            f"{label}\0{head.ent_id}\0{tail_key}\0{sorted(attrs.items())}".encode("utf-8", "surrogatepass")
        ).hexdigest()[:12]
        self.out.append(
            Relation(
                rel_id=f"{head.doc_id}-r{digest}",
                doc_id=head.doc_id,
                article_id=self.article.article_id,
                sent_id=sent.sent_id if sent is not None else None,
                label=label,
                head_ent_id=head.ent_id,
                tail_ent_id=tail.ent_id if tail is not None else None,
                head_text=head.text,
                tail_text=tail.text if tail is not None else tail_text,
                attrs=attrs,
                source=source,
                score=score,
            )
        )


def extract_relations(
    articles: list[Article], sentences: list[Sentence], entities: list[Entity], rules: RelationRules | None = None
) -> list[Relation]:
    from pipeline import settings
    from pipeline.ner import article_homes, home_places

    packs = settings.rule_packs()
    rules = with_packs(rules or default_rules(), packs)
    homes = article_homes(articles)
    paper_homes = home_places()
    sents_by_article: dict[str, list[Sentence]] = defaultdict(list)
    for s in sentences:
        sents_by_article[s.article_id].append(s)
    ents_by_sent: dict[str, list[Entity]] = defaultdict(list)
    doc_places: dict[str, dict[str, Entity]] = defaultdict(dict)
    doc_orgs: dict[str, dict[str, Entity]] = defaultdict(dict)
    doc_gpe_texts: dict[str, dict[str, Entity]] = defaultdict(dict)  # names of groups such as 川渝

    # a place's mention to point at: its full name first, then any plain mention, deictic ones last
    def rank(e: Entity) -> int:
        return (e.source == "gpe.deictic") * 2 + (e.text != (e.normalized or e.text))

    for e in sorted(entities, key=lambda e: (rank(e), e.raw_start)):
        if e.sent_id:
            ents_by_sent[e.sent_id].append(e)
        if e.label in PLACE_LABELS:
            for key in (e.kb_id, e.normalized, e.text):
                if key:
                    doc_places[e.doc_id].setdefault(key, e)
            if e.label == "GPE" and len(e.text) >= 2 and e.source != "gpe.deictic":
                doc_gpe_texts[e.doc_id].setdefault(e.text, e)
        elif e.label == "ORG":
            doc_orgs[e.doc_id].setdefault(e.text, e)
    out: list[Relation] = []
    for art in articles:
        gpe_texts = dict(sorted(doc_gpe_texts[art.doc_id].items(), key=lambda kv: -len(kv[0])))  # longest first
        ctx = _Ctx(
            rules,
            art,
            _home_info(homes.get(art.article_id)),
            doc_places[art.doc_id],
            doc_orgs[art.doc_id],
            gpe_texts,
            paper_homes,
            packs=packs,
        )
        views = [
            sentence_view(s, ents_by_sent.get(s.sent_id, []))
            for s in sorted(sents_by_article[art.article_id], key=lambda s: s.index)
        ]
        for v in views:
            _patterns(ctx, v)
        _part_of(ctx, views)
        _name_prefix(ctx, views)
        _admin_parent(ctx, views)
        _bylines(ctx, views)
        _metrics(ctx, views)
        out.extend(ctx.out)
    return out


def _home_info(home: dict | None) -> dict | None:
    if not home or not home.get("kb_id"):
        return home
    from pipeline.nlp.linking.gazetteer import default_gazetteer

    d = default_gazetteer().divisions.get(home["kb_id"])
    level = "city"  # a prefecture, or a municipality (重庆市, province-level and a city)
    if d is not None and d.level == "county":
        level = "district"
    elif d is not None and d.level == "province" and not d.name.endswith("市"):
        level = "province"
    return {**home, "level": level}


def _entities_in(view: SentEnts, text: str) -> list[Entity]:
    return [view.ents[int(i)] for i in _PLACEHOLDER.findall(text)]


def _patterns(ctx: _Ctx, view: SentEnts, patterns: list[CompiledPattern] | None = None) -> None:
    if not view.ents:
        return
    enc = view.encoded()
    for cp in ctx.rules.patterns if patterns is None else patterns:
        if patterns is None and cp.rule.pack is not None and cp.rule.pack not in ctx.packs:
            continue
        for m in cp.regex.finditer(enc):
            heads = _entities_in(view, m.group("head") or "")
            tails = _entities_in(view, m.group("tail") or "")
            if not heads or not tails:
                continue
            attrs = {k: v for k, v in m.groupdict().items() if k not in ("head", "tail") and v}
            tail = tails[-1]
            if cp.rule.label == "role" and tail.text in _self_reference():
                paper = _paper_of(ctx)  # 本报记者张靖: the paper, where the page names it
                if paper is None:
                    continue
                tail = paper
            for head in heads if cp.rule.each_head else heads[-1:]:
                ctx.add(cp.rule.label, head, tail, None, view.sent, cp.rule.id, attrs)


def _part_of(ctx: _Ctx, views: list[SentEnts]) -> None:
    rule = ctx.rules.spec.part_of
    for v in views:
        for e in v.ents:
            if e.label != "ORG":
                continue
            best = None
            for name, other in ctx.doc_orgs.items():
                if name != e.text and e.text.startswith(name) and len(name) >= 2:
                    rest = e.text[len(name) :]
                    if rest.endswith(tuple(rule.unit_endings)) and (best is None or len(name) > len(best.text)):
                        best = other
            if best is not None:
                ctx.add("part_of", e, best, None, v.sent, rule.id)
                continue
            parent = _parent_in_name(e.text, rule)
            if parent is not None:  # written only inside the name: the relation names it
                ctx.add("part_of", e, None, parent, v.sent, rule.id)


def _parent_in_name(name: str, rule: PartOfRule) -> str | None:
    """国家卫生计生委科教司 -> 国家卫生计生委: the longest head of the name that ends as an
    organisation does (``parent_endings``) and leaves a unit ending (``unit_endings``)."""
    if not rule.parent_endings or not name.endswith(tuple(rule.unit_endings)):
        return None
    for cut in range(len(name) - 2, 2, -1):
        head, rest = name[:cut], name[cut:]
        if head.endswith(tuple(rule.parent_endings)) and rest.endswith(tuple(rule.unit_endings)) and len(rest) >= 2:
            return head
    return None


def _place_mention(ctx: _Ctx, kb_id: str | None, name: str) -> Entity | None:
    return (kb_id and ctx.doc_places.get(kb_id)) or ctx.doc_places.get(name)


_LEVELS = {"province": ("province",), "city": ("prefecture",), "district": ("county",)}


def _home_at(gaz, home: dict | None, level: str) -> tuple[str, str] | None:
    """The paper's home, or the division above it, at ``level``."""
    d = gaz.divisions.get(home.get("kb_id")) if home and home.get("kb_id") else None
    chain = ([d] + [gaz.divisions[p] for p in reversed(d.parents) if p in gaz.divisions]) if d is not None else []
    for division in chain:
        municipality = division.level == "province" and division.name.endswith("市")
        if division.level in _LEVELS.get(level, ()) or (municipality and level == "city"):
            return division.code, division.name
    return None


def _named_most(gaz, views: list[SentEnts], level: str) -> tuple[str, str] | None:
    """The division of ``level`` the article names most (resolved deictic words count)."""
    counts: Counter = Counter()
    for v in views:
        for e in v.ents:
            d = gaz.divisions.get(e.kb_id) if e.label == "GPE" and e.kb_id else None
            if d is not None and d.level in _LEVELS.get(level, ()):
                counts[d.code] += 1
    if not counts:
        return None
    code = counts.most_common(1)[0][0]
    return code, gaz.divisions[code].name


def _name_prefix(ctx: _Ctx, views: list[SentEnts]) -> None:
    """ORG/FAC named after a place: 大足区教委 → 大足区; 市科技局 → the paper's city."""
    from pipeline.nlp.linking.gazetteer import default_gazetteer

    rule = ctx.rules.spec.name_prefix
    gaz = default_gazetteer()
    for v in views:
        for e in v.ents:
            if e.label not in ("ORG", "FAC"):
                continue
            place = _leading_division(gaz, e.text, ctx.doc_places)
            if place is not None:
                code, name = place
                ctx.add("located_in", e, _place_mention(ctx, code, name), name, v.sent, rule.id)
                continue
            level = rule.deictic_prefixes.get(e.text[:1])
            if level and ctx.home and ctx.home.get("level") == level and len(e.text) >= 2:
                name = ctx.home["name"]
                ctx.add("located_in", e, _place_mention(ctx, ctx.home.get("kb_id"), name), name, v.sent, rule.id)
                continue
            # the paper's home at that level (省商务厅 in 长江日报: the province of 武汉), else the
            # division of that level the article names most (a page of no known paper)
            named = (_home_at(gaz, ctx.home, level) or _named_most(gaz, views, level)) if level and len(e.text) >= 2 else None
            if named is not None:
                code, name = named
                ctx.add("located_in", e, _place_mention(ctx, code, name), name, v.sent, rule.id)
                continue
            inner = re.search(r"（([^（）]{2,8})）", e.text)  # 西部（重庆）科学城
            place = _leading_division(gaz, inner.group(1), ctx.doc_places, whole=True) if inner else None
            if place is not None:
                code, name = place
                ctx.add("located_in", e, _place_mention(ctx, code, name), name, v.sent, rule.id)
                continue
            for name, mention in ctx.doc_gpe_texts.items():  # 川渝自贸试验区 → 川渝 (a group of places)
                if e.text.startswith(name) and len(e.text) > len(name):
                    ctx.add("located_in", e, mention, None, v.sent, rule.id)
                    break


def _leading_division(gaz, text: str, doc_places: dict[str, Entity], whole: bool = False) -> tuple[str, str] | None:
    """(code, full name) of the admin division that starts ``text`` (or, with
    ``whole``, is all of it): its full name (大足区教委), or a short form of a
    division the document names (重庆日报 when the page mentions 重庆市); a short
    form alone is too weak (云安 in 云安010-X1井)."""
    for n in range(min(len(text) - (0 if whole else 1), 8), 1, -1):
        for entry in gaz.entries.get(text[:n], ()):
            if entry.label != "GPE" or not entry.kb_ids or not entry.source.startswith("gpe.admin"):
                continue
            code = entry.kb_ids[0]
            if entry.source == "gpe.admin.full" or code in doc_places:
                inner = _leading_division(gaz, text[n:], doc_places, whole) if len(text) - n >= 2 else None
                if inner is not None and code in getattr(gaz.divisions.get(inner[0]), "parents", ()):
                    return inner  # 漯河市郾城区聋儿康复中心: in 郾城区 (of 漯河市)
                return code, entry.normalized or text[:n]
    return None


def _admin_parent(ctx: _Ctx, views: list[SentEnts]) -> None:
    from pipeline.nlp.linking.gazetteer import default_gazetteer

    divisions = default_gazetteer().divisions
    rule = ctx.rules.spec.admin_parent
    if not rule.enabled:
        return
    # named in the text: 我省/全省 resolved to the paper's province do not name it
    mentioned = {e.kb_id for v in views for e in v.ents if e.label == "GPE" and e.kb_id and e.source != "gpe.deictic"}
    done = set()
    for v in views:
        for e in v.ents:
            if e.label != "GPE" or not e.kb_id or e.kb_id in done or e.kb_id not in divisions:
                continue
            done.add(e.kb_id)
            d = divisions[e.kb_id]
            if not d.parents or d.parents[-1] not in divisions:
                continue
            parent = divisions[d.parents[-1]]
            if rule.only_mentioned and parent.code not in mentioned:
                continue
            # evidence: the sentence of the division's first mention in the article
            ctx.add("located_in", e, _place_mention(ctx, parent.code, parent.name), parent.name, v.sent, rule.id)


def _bylines(ctx: _Ctx, views: list[SentEnts]) -> None:
    """Byline and credit people: role at the paper (the role word before the
    names, else their list in the article's metadata) and reporter_of the
    article; the paper lies in its home place."""
    rule = ctx.rules.spec.byline
    art = ctx.article
    headline = art.headline or ""
    positions = re.compile(alternation(ctx.rules.spec.lexicons.get("POSITION", [])))
    for v in views:
        if v.sent.kind not in ("byline", "dateline", "credit", "caption"):
            continue
        orgs = [e for e in v.ents if e.label == "ORG"]
        for org in orgs:
            home = ctx.paper_homes.get(org.text)
            if home and home.get("kb_id"):
                ctx.add("located_in", org, _place_mention(ctx, home["kb_id"], home["name"]), home["name"], v.sent, rule.home_id)
        for e, (s, _) in zip(v.ents, v.spans):
            if e.label != "PERSON":
                continue
            name = e.text.replace(" ", "")  # 严 龙 of the page is 严龙 of the byline
            credit = name in art.photographers or v.sent.kind == "credit"
            if not (credit or name in art.reporters or name in art.correspondents):
                continue
            before = [m.group(0) for m in positions.finditer(v.sent.text[:s])]
            if before:
                position = before[-1]
            elif credit:
                position = rule.photographer_position
            elif name in art.correspondents:
                position = rule.correspondent_position
            else:
                position = rule.reporter_position
            ctx.add("reporter_of", e, None, headline, v.sent, rule.photographer_id if credit else rule.reporter_id)
            # the unit or paper the byline names before the person, else the article's paper
            # (a closing byline 通讯员童颖 实习生关心仪 under a 长江日报讯 dateline)
            # (not a unit named after the person: （记者 周文丹 共享联盟奉化站 严世君）)
            employer = _nearest_before(orgs, e, v) or ctx.doc_orgs.get(art.agency or "")
            if employer is not None and employer.text in _self_reference():
                employer = _paper_of(ctx)  # 本报: the paper, where the page names it; else no role
            if employer is not None:
                ctx.add("role", e, employer, None, v.sent, rule.role_id, {"position": position})


@lru_cache(maxsize=1)
def _self_reference() -> frozenset[str]:
    """本报, 本刊 …: the words a byline uses for its own paper (rules/bylines.yaml)."""
    from pipeline.bylines import default_parser

    return frozenset(default_parser().rules.self_reference)


def _paper_of(ctx: _Ctx) -> Entity | None:
    """The mention of the article's paper (its agency, when that is a name, not 本报)."""
    agency = ctx.article.agency
    if agency and agency not in _self_reference():
        return ctx.doc_orgs.get(agency)
    return None


def _nearest_before(orgs: list[Entity], person: Entity, v: SentEnts) -> Entity | None:
    before = [o for o in orgs if o.raw_start < person.raw_start]
    return before[-1] if before else None


# -- metrics ----------------------------------------------------------------------


@dataclass
class _Discourse:
    subject: Entity | None = None  # carried across sentences: places only
    section_target: bool = False
    section_time: str | None = None
    time: str | None = None  # the last time phrase of the section's sentences: the time of figures that state none
    mentions: list[Entity] = field(default_factory=list)  # the subject-like entities of the sentences before


def _metrics(ctx: _Ctx, views: list[SentEnts]) -> None:
    """metric relations, clause by clause, with the article's discourse state:
    the subject (a place, carried until another appears), the time (the latest
    time phrase of the sentence, else the section's target time) and the
    status (cue words of the clause, a target time, the section)."""
    m = ctx.rules.spec.metric
    state = _Discourse()
    for v in views:
        kind = v.sent.kind
        if kind in ("byline", "dateline", "credit", "caption", "headline"):
            continue
        text = v.sent.text
        if kind == "heading":
            state.section_target, state.section_time, state.time = False, None, None
            continue
        sent_time: str | None = None
        clause_subject: Entity | None = None  # the subject of the previous clause of this sentence
        memo: dict = {}  # the sentence's last indicator
        explicit_time = False
        clauses = _clauses(text, m.clause_ends)
        prev_clause = ""
        for n, (clause_start, clause_end) in enumerate(clauses):
            clause = text[clause_start:clause_end]
            idx = [i for i, (s, e) in enumerate(v.spans) if s >= clause_start and e <= clause_end]
            values = [i for i in idx if v.ents[i].label in m.value_labels]
            time_text = _time_phrase(ctx, v, clause_start, clause_end)
            reported = False
            if time_text and clause == time_text and n + 1 < len(clauses):
                nxt = text[clauses[n + 1][0] : clauses[n + 1][1]]
                if any(c in nxt for c in m.reporting_cues):
                    time_text, reported = None, True  # the date of the report
            inner_time = None
            if not time_text and values:
                inner_time = _inner_time(ctx.rules, v, clause_start, v.spans[values[0]][0])
            if time_text:
                sent_time = time_text
                explicit_time = True
                if ctx.rules.target_time.search(time_text) and any(c in text for c in m.section_target_cues):
                    state.section_target, state.section_time = True, time_text
                    explicit_time = False
            # a clause that lists examples (包括…等) names no subject: it passes on the one it was given
            listing = text.startswith(tuple(m.list_cues), clause_start) if m.list_cues else False
            subject_like = [] if listing else [i for i in idx if v.ents[i].label in m.subject_labels + m.blocking_labels]
            if m.not_subject_after:
                subject_like = [i for i in subject_like if not _after_any(text, v.spans[i][0], m.not_subject_after)]
            first_value = v.spans[values[0]][0] if values else clause_end
            # the entity the clause is about: at its start (after lead words and time; 该集团 there
            # refers back), else the last one before its first value, else the first one after it;
            # in a clause without figures, one that ends it (位于某县的某某井，于近日测试获得…) and
            # no other (…实现了中巴合资组装的客机首飞，销售19万辆: an object, not the subject)
            own = None if listing else _subject_at_start(ctx, v, clause_start, subject_like, state)
            after = None
            if own is None and not listing:
                if values:
                    before = [i for i in subject_like if v.spans[i][0] < first_value]
                else:
                    before = [i for i in subject_like if not text[v.spans[i][1] : clause_end].strip()]
                own = v.ents[before[-1]] if before else None
                # one after the figures (…共183个，包括太忻大道) names no holder while one is known
                after = next((v.ents[i] for i in subject_like if v.spans[i][0] >= first_value), None) if values else None
            if own is not None and own.label in m.blocking_labels and not _zone(m, own):
                subject = None  # a region holds it: no metric of anyone else
            else:
                # no holder named or carried: no metric (the paper's home as a last resort was
                # wrong 6 times in 6 on the pages; a wrong subject is worse than none)
                subject = own or clause_subject or state.subject or after
            # a clause's own subject serves the next clause only (…的云安010-X1井，于近日测试钻获日产…)
            if listing:
                own = clause_subject
            clause_subject = own if own is not None and (own.label not in m.blocking_labels or _zone(m, own)) else None
            if own is not None and (own.label == "GPE" or _zone(m, own)):
                state.subject = own
            if values and subject is not None:
                time = inner_time or sent_time or (state.section_time if state.section_target else None)
                status = _status(ctx, clause, time, state, explicit_time or bool(inner_time))
                _clause_metrics(
                    ctx, v, clause_start, values, subject, _full_date(ctx, time or state.time), status, prev_clause, memo
                )
            prev_clause = clause
            # a time inside a clause (哈尔滨市前9个月…) holds for the rest of the sentence; the date of a
            # report (9月9日，记者从…了解到) for none
            if not reported:
                carried = _inner_time(ctx.rules, v, clause_start, clause_end, points_only=True)
                sent_time = time_text or sent_time or carried  # an inner date does not replace one stated before
        state.mentions += [ent for ent in v.ents if ent.label in m.subject_labels]
        if sent_time and (not ctx.rules.time_words.fullmatch(sent_time) or sent_time in m.carried_time_words):
            # a date or a year word holds on; another word (目前, 当天) for its sentence only; of a
            # day's event that names the period of what it is about, the period holds on
            state.time = _period_named(ctx, v, clauses, sent_time) or sent_time


_PERIODS = ("year", "half", "quarter", "month")


def _precision(text: str) -> str | None:
    """How fine the dates stage reads ``text``: day, month, quarter, half, year, period, or None."""
    found = _calendar(text)
    return found.precision if found is not None else None


def _period_named(ctx: _Ctx, v: SentEnts, clauses: list[tuple[int, int]], sent_time: str) -> str | None:
    """The period a sentence timed by a day names for what it is about (3月8日，全市2022年首批
    重大项目集中开工: 2022年; 5月18日，统计局发布了4月份的数据: 4月份): a calendar year, half,
    quarter or month in the day's clause or the one after it, not in quotation marks (a slogan:
    冲刺四季度) and not the base of a comparison. The figures of the next sentences (此次开工的
    项目共…) count that period's things, not the day's."""
    if _precision(sent_time) != "day":
        return None
    text = v.sent.text
    at = text.find(sent_time)
    after = [c for c in clauses if c[1] > at]
    if at < 0 or not after:
        return None
    end = after[1][1] if len(after) > 1 else after[0][1]
    cues = tuple(ctx.rules.spec.metric.comparison_cues)
    for (s, e), ent in zip(v.spans, v.ents):
        if ent.label != "DATE" or s < at + len(sent_time) or e > end:
            continue
        if text.count("“", 0, s) > text.count("”", 0, s) or (cues and text.endswith(cues, 0, s)):
            continue
        phrase = text[s : _time_end(text, e)]
        if _precision(phrase) in _PERIODS:
            return phrase
    return None


def _after_any(text: str, pos: int, words: list[str]) -> bool:
    """Whether one of ``words`` ends right before ``pos`` (spaces between them aside)."""
    while pos > 0 and text[pos - 1] in " \u3000":
        pos -= 1
    return text.endswith(tuple(words), 0, pos)


def _zone(m: MetricRule, ent: Entity) -> bool:
    """A zone (太忻一体化经济区, 两江新区): a LOC that holds figures as a place does (``metric.zones``)."""
    return bool(m.zones) and ent.text.endswith(tuple(m.zones))


def _antecedent(ctx: _Ctx, v: SentEnts, pos: int, state: _Discourse) -> Entity | None:
    """What 该集团, 该县 … at ``pos`` (the clause's head) refers to: the last subject-like entity
    before it, in this sentence or the ones before, whose name or full name ends in one of the
    head word's endings (``metric.anaphora``)."""
    m = ctx.rules.spec.metric
    text = v.sent.text
    det = next((d for d in m.anaphora_determiners if text.startswith(d, pos)), None)
    if not m.anaphora or det is None:
        return None
    pos += len(det) - 1
    head = next((h for h in sorted(m.anaphora, key=len, reverse=True) if text.startswith(h, pos + 1)), None)
    if head is None:
        return None
    endings = tuple(m.anaphora[head])
    here = [ent for (s, e), ent in zip(v.spans, v.ents) if e <= pos and ent.label in m.subject_labels]
    for ent in reversed(state.mentions + here):
        if ent.text.endswith(endings) or (ent.normalized or "").endswith(endings):
            return ent
    return None


def _clause_head(ctx: _Ctx, v: SentEnts, clause_start: int) -> int:
    """Where the clause's subject would stand: after its lead words and time phrase."""
    text = v.sent.text
    m = ctx.rules.spec.metric
    pos = clause_start
    dates = {s: e for (s, e), ent in zip(v.spans, v.ents) if ent.label == "DATE"}
    while True:
        while pos < len(text) and text[pos] in " \u3000":
            pos += 1
        step = ctx.rules.lead_at.match(text, pos) or ctx.rules.time_words.match(text, pos)
        prep = next((p for p in m.time_prepositions if text.startswith(p, pos) and pos + len(p) in dates), None)
        if pos in dates:
            pos = dates[pos]
        elif prep:
            pos = dates[pos + len(prep)]
        elif step and step.end() > pos:
            pos = step.end()
        else:
            break
    return pos


def _subject_at_start(ctx: _Ctx, v: SentEnts, clause_start: int, subject_like: list[int], state: _Discourse) -> Entity | None:
    """The entity the clause is about: a subject-like entity at the clause's start, after its
    lead words and time phrase (今年，我市…; 17日上午，宁波市奉化区…: of an address chain
    written together, its last place), or what a 该集团 there refers to."""
    pos = _clause_head(ctx, v, clause_start)
    starts = {v.spans[i][0]: i for i in subject_like}
    i = starts.get(pos)
    if i is None:
        return _antecedent(ctx, v, pos, state)
    while v.spans[i][1] in starts and v.ents[starts[v.spans[i][1]]].label == v.ents[i].label == "GPE":
        i = starts[v.spans[i][1]]  # 宁波市奉化区: the district
    return v.ents[i]


def _clauses(text: str, ends: str) -> list[tuple[int, int]]:
    """Spans of the clauses of ``text``; a comma between digits (1,200) ends none."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch in ends and not (ch == "," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()):
            if i > start:
                out.append((start, i))
            start = i + 1
    if start < len(text):
        out.append((start, len(text)))
    return out


def _time_phrase(ctx: _Ctx, v: SentEnts, start: int, end: int) -> str | None:
    """A time phrase at the start of a clause, after lead words: a DATE entity
    with its preposition (截至6月底, 到2027年) or a time word (未来五年), with the DATEs
    written right after it (今年 + 前三季度: 今年前三季度)."""
    m = ctx.rules.spec.metric
    text = v.sent.text
    pos = start
    lead = ctx.rules.lead_at.match(text, pos)
    if lead and not any(text.startswith(p, pos) for p in m.time_prepositions):
        pos = lead.end()
    dates = {s: e for (s, e), ent in zip(v.spans, v.ents) if ent.label == "DATE" and e <= end}
    for at in dict.fromkeys((start, pos)):  # a DATE that begins with a lead word (今年一季度) first
        prep = next((p for p in sorted(m.time_prepositions, key=len, reverse=True) if text.startswith(p, at)), "")
        if at + len(prep) in dates:
            return text[at : _joined_dates(text, dates, dates[at + len(prep)])]
    hit = ctx.rules.time_words.match(text, start, end) or ctx.rules.time_words.match(text, pos, end)
    return text[hit.start() : _joined_dates(text, dates, hit.end())] if hit else None


def _joined_dates(text: str, dates: dict[int, int], end: int) -> int:
    """The end of a time phrase that ends at ``end``: after the DATEs that follow it directly
    and a suffix of the dates rules (以来)."""
    while end in dates:
        end = dates[end]
    return _time_end(text, end)


def _inner_time(rules: RelationRules, v: SentEnts, start: int, end: int, points_only: bool = False) -> str | None:
    """A time inside the clause before its first value (介绍了今年承办的18个); not the base
    of a comparison (比去年同期增长); with ``points_only`` no duration (7天, 百年), which
    times no figure of a following clause."""
    cues = tuple(rules.spec.metric.comparison_cues)
    for (s, e), ent in zip(v.spans, v.ents):
        if ent.label == "DATE" and start <= s and e <= end and not (cues and v.sent.text.endswith(cues, start, s)):
            if points_only and ent.value is not None and not _calendar_time(ent.text):
                continue  # a duration (7天, 百年), not a period of the calendar (前9个月)
            return v.sent.text[s : _time_end(v.sent.text, e)]
    for hit in rules.time_words.finditer(v.sent.text, start, end):
        if not (cues and v.sent.text.endswith(cues, start, hit.start())):
            return hit.group(0)
    return None


def _time_end(text: str, end: int) -> int:
    """Where the time phrase of a DATE that ends at ``end`` ends: after a suffix word of the
    dates rules that follows it (2000年以来 is the time since 2000, not the year 2000)."""
    return end + len(date_resolver().suffix_after(text, end))


_ANY_DAY = date(2000, 6, 15)


@lru_cache(maxsize=4096)
def _calendar(text: str) -> Interval | None:
    """How the dates stage reads ``text`` (the reference date only lets relative expressions
    resolve)."""
    return date_resolver().resolve(text, _ANY_DAY)


def _calendar_time(text: str) -> bool:
    """Whether the dates stage reads ``text`` as a stretch of the calendar (前9个月: January to
    September of the year), not a bare duration (7天)."""
    return _calendar(text) is not None


_BARE_DAY = re.compile(r"\d{1,2}日")


def _full_date(ctx: _Ctx, time: str | None) -> str | None:
    """A bare day (17日) is the day of the article's dateline when that ends in it (11月17日)."""
    dl = ctx.article.dateline_date
    if time and dl and _BARE_DAY.fullmatch(time) and dl.endswith(time):
        return dl
    return time


def _status(ctx: _Ctx, clause: str, time: str | None, state: _Discourse, explicit_time: bool) -> str:
    m = ctx.rules.spec.metric
    if any(c in clause for c in m.forecast_cues):
        return "forecast"
    if any(c in clause for c in m.target_cues):
        return "target"
    if time and ctx.rules.target_time.search(time):
        return "target"
    if state.section_target and not explicit_time:
        return "target"
    return "actual"


def _clause_metrics(
    ctx: _Ctx,
    v: SentEnts,
    clause_start: int,
    values: list[int],
    subject: Entity,
    time: str | None,
    status: str,
    prev_clause: str = "",
    memo: dict | None = None,
) -> None:
    """The metrics of one clause; ``memo`` carries the sentence's last indicator, which a bare
    change (…179.98亿元，同比增长6.5%) is of: 固定资产投资同比增长."""
    m = ctx.rules.spec.metric
    memo = memo if memo is not None else {}
    text = v.sent.text
    # group the values: a value right after another (48838家、6401家) joins its list
    groups: list[tuple[str, list[int]]] = []
    prev_end = clause_start
    for i in values:
        s, e = v.spans[i]
        if groups and not text[prev_end:s].strip("、和及与 "):
            groups[-1][1].append(i)
        else:
            groups.append((_indicator_text(v, prev_end, s), [i]))
        prev_end = e
    for k, (raw_indicator, idxs) in enumerate(groups):
        indicator = _clean_indicator(ctx.rules, raw_indicator)
        if not indicator and k == 0 and prev_clause:
            # 研发人员实现倍增，突破40万人: the indicator is the previous clause's subject noun
            indicator = _leading_noun(ctx.rules, prev_clause)
        if not _is_indicator(m, indicator):
            continue
        names = [p for p in ctx.rules.separators.split(indicator) if p]
        pairs = list(zip(names, idxs)) if len(idxs) > 1 and len(names) == len(idxs) else [(indicator, i) for i in idxs]
        for name, i in pairs:
            name = _clean_indicator(ctx.rules, name)
            if ctx.rules.change.fullmatch(name) and memo.get("last"):
                name = ctx.rules.trailing_verb.sub("", memo["last"]) + name
            else:
                memo["last"] = name
            attrs = {"indicator": name, "time": time, "status": status}
            ctx.add("metric", subject, v.ents[i], None, v.sent, m.id, attrs)


def run_example(rules: RelationRules, rule: PatternRule, example: Example) -> list[tuple[str, str | None]]:
    """(head, tail) texts that ``rule`` finds in an example sentence marked up as ``[text|LABEL]``."""
    text, ents = "", []
    for m in re.finditer(r"\[([^\[\]|]+)\|([A-Z]+)\]|([^\[]+)", example.text):
        if m.group(3):
            text += m.group(3)
            continue
        start = len(text)
        text += m.group(1)
        ents.append(
            Entity(
                ent_id=f"x-e{start}",
                doc_id="x",
                article_id="x-a",
                sent_id="x-s",
                text=m.group(1),
                label=m.group(2),
                start=start,
                end=len(text),
                raw_start=start,
                raw_end=len(text),
                source="example",
            )
        )
    sent = Sentence("x-s", "x", "x-a", 0, "body", text, 0, len(text), 0, len(text))
    art = Article("x-a", "x", 0, text, 0, len(text))
    ctx = _Ctx(rules, art, None, {}, {})
    compiled = next(cp for cp in rules.patterns if cp.rule.id == rule.id)
    _patterns(ctx, sentence_view(sent, ents), [compiled])
    return [(r.head_text, r.tail_text) for r in ctx.out]


def _leading_noun(rules: RelationRules, clause: str) -> str:
    """The clause's text before its first verb (研发人员实现倍增 → 研发人员), if any verb."""
    hits = [clause.find(w) for w in rules.spec.metric.verbs if clause.find(w) > 0]
    return _clean_indicator(rules, clause[: min(hits)]) if hits else ""


def _is_indicator(m: MetricRule, text: str) -> bool:
    if not text or text in m.not_indicators:
        return False
    if text.startswith(tuple(m.not_indicator_start)) or text.endswith(tuple(m.not_indicator_end)):
        return False
    return not any(c in text for c in m.not_indicator_chars)


def _indicator_text(v: SentEnts, start: int, end: int) -> str:
    # the text after the last non-value entity between start and end (the subject or a date)
    cut = start
    for (s, e), ent in zip(v.spans, v.ents):
        if start <= s and e <= end and ent.label not in ("QUANTITY", "MONEY", "PERCENT"):
            cut = e
    return v.sent.text[cut:end]


def _clean_indicator(rules: RelationRules, text: str) -> str:
    m = rules.spec.metric
    for word in m.cut_after:
        k = text.rfind(word)
        if k >= 0:
            text = text[k + len(word) :]
    text = text.strip(" 、，")
    for _ in range(3):
        new = rules.lead.sub("", text)
        new = rules.verbs.sub("", new).strip(" 、，")
        if new.endswith("的") and new[:-1].endswith(tuple(m.drop_final_de_after)):
            new = new[:-1]
        if new == text:
            break
        text = new
    return text
