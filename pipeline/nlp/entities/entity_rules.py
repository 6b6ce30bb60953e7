"""Entity rules as data (``rules/entities.yaml``): loading, validation, matching.

Four kinds of rule, and vetoes, each with an id that becomes the ``source``
of what it finds:

* ``regex``  -- a pattern over the text. With ``boundary: word`` the match
  must start at a word start of the pkuseg segmentation (``both``: and end at
  a word end). Which start: the whole match when punctuation precedes it,
  else where the statistical model begins an entity, else the shortest
  name; a name never starts with a ``STOP_START`` word. A pattern with a
  named group ``ent`` (context outside the entity) yields that group; its
  ``boundary`` applies to the whole match (中方 is one word: its 中 is a
  place; 其中方法 has no word 中方).
* ``extend`` -- a pattern matched right after an entity already found (by
  the model, the gazetteer or another rule) with one of ``from_labels``; the
  entity and the match become one longer entity (大足区 + 政协 -> 大足区政协).
  The longer entity must end at a word end of the segmentation (``end:
  word``, the default: not 中国大学 in 中国大学生) unless ``end: any``.
* ``join``   -- two adjacent candidates, ``left`` then ``right`` labels, make
  one entity (山西 + 海鑫集团).
* ``list``   -- run last, on the resolved entities: the item right before or
  after an entity of the rule's label in a list (items separated by
  ``separators``, the last one possibly followed by 等) that matches the
  ``item`` pattern whole and overlaps no entity gets the label too, and so
  on along the list (王益、王仿子、万名盈等).
* vetoes   -- model spans whose text matches are dropped (meetings are not
  organisations).

Patterns use ``{HAN}`` (CJK character class body), ``{NAME_CHAR}`` (one CJK
character that is not in the ``FUNCTION_CHARS`` lexicon) and ``{LEXICON}``
names that expand to alternations of the file's lexicons. Loading validates the
file (unknown keys, unknown labels, unknown lexicons, regex syntax) and
fails with the path and line of the bad rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import Field

from pipeline.nlp.entities.prefilter import required_chars
from pipeline.rules import (
    ExampleSource,
    RuleFileError,
    StrictModel,
    alternation,
    check_unique_ids,
    load_yaml,
    node_line,
    per_rules,
    rule_path,
)

Label = Literal["ORG", "GPE", "LOC", "FAC", "PERSON", "QUANTITY", "MONEY", "PERCENT", "DATE"]
HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HAN_CHAR = re.compile(f"[{HAN}]")
_PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
# an administrative suffix a few characters into a name: the name starts with its own place
_OWN_PLACE = re.compile(r"[省市县区州]")
_STRONG_BOUNDARY = re.compile(r"[\s，。、；：！？（）“”《》,.;:!?()\"'—]")


class Example(StrictModel):
    text: str
    expect: str | None = None
    given: list[tuple[int, int, Label]] = []
    source: ExampleSource = "constructed"


class RegexRule(StrictModel):
    id: str
    kind: Literal["regex"]
    label: Label
    pattern: str
    boundary: Literal["none", "word", "both"] = "none"
    priority: int = 50
    description: str
    examples: list[Example] = []


class ExtendRule(StrictModel):
    id: str
    kind: Literal["extend"]
    label: Label
    from_labels: list[Label]
    not_from: list[str] = []  # sources whose entities are not extended (gpe.deictic)
    only_from: list[str] = []  # when given, only entities of these sources are extended
    pattern: str
    end: Literal["word", "any"] = "word"  # the extension ends at a word end of the segmentation
    #: labels whose candidates the extension must not run over (江苏省 + 南京火车站: the
    #: site is named by 南京, and 江苏省 is the address before it)
    not_over: list[Label] = []
    #: a pattern the whole base entity must match ({SURNAME}: only a lone surname grows into a name)
    base: str | None = None
    priority: int = 50
    description: str
    examples: list[Example] = []


class JoinRule(StrictModel):
    """Two adjacent candidates make one entity (a place right before an organisation)."""

    id: str
    kind: Literal["join"]
    label: Label
    left: list[Label]
    right: list[Label]
    not_from: list[str] = []  # sources that never make the left part (gpe.deictic)
    priority: int = 50
    description: str
    examples: list[Example] = []


class ListRule(StrictModel):
    """An item of a list whose neighbour is an entity of ``label`` is one too (王益、王仿子、万名盈等)."""

    id: str
    kind: Literal["list"]
    label: Label
    separators: str  # characters that separate the items (、)
    item: str  # pattern an item must match whole ({SURNAME}{NAME_CHAR}{1,2})
    priority: int = 50
    description: str
    examples: list[Example] = []


class Veto(StrictModel):
    id: str
    labels: list[Label]
    pattern: str
    followed_by: str | None = None  # the text right after the span must match this
    preceded_by: str | None = None  # the text right before the span must end with a match of this
    description: str
    examples: list[str] = []


Rule = Annotated[Union[RegexRule, ExtendRule, JoinRule, ListRule], Field(discriminator="kind")]


class EntityRuleFile(StrictModel):
    version: int
    lexicons: dict[str, list[str]]
    rules: list[Rule]
    vetoes: list[Veto] = []


@dataclass
class Candidate:
    start: int
    end: int
    label: str
    source: str
    priority: int = 50
    score: float | None = None
    kb_id: str | None = None
    normalized: str | None = None
    attrs: dict = field(default_factory=dict)

    @property
    def length(self) -> int:
        return self.end - self.start


def _ending(words: list[str]) -> re.Pattern[str]:
    """A pattern for text that ends in one of ``words`` (none: never)."""
    return re.compile(f"{alternation(words)}$" if words else r"(?!)")


class EntityRules:
    def __init__(self, spec: EntityRuleFile, path: str = "<rules>", node: yaml.Node | None = None):
        self.spec = spec
        self.path = path
        lex = {name: alternation(words) for name, words in spec.lexicons.items()}
        lex["HAN"] = HAN
        lex["ORG_HEAD_CHAR"] = "".join(re.escape(w) for w in spec.lexicons.get("ORG_HEAD_CHAR_LIST", []) if len(w) == 1)
        # one CJK character that is not a function character of the lexicon
        function_chars = "".join(w for w in spec.lexicons.get("FUNCTION_CHARS", []) if len(w) == 1)
        lex["NAME_CHAR"] = f"(?:(?![{re.escape(function_chars)}])[{HAN}])" if function_chars else f"[{HAN}]"
        link_chars = "".join(w for w in spec.lexicons.get("LINK_CHARS", []) if len(w) == 1)
        lex["LINK_FREE_CHAR"] = f"(?:(?![{re.escape(link_chars)}])[{HAN}])" if link_chars else f"[{HAN}]"
        self.stop_start = tuple(sorted(spec.lexicons.get("STOP_START", []), key=len, reverse=True))
        # two-character titles that begin with an organisation's head (部长, 局长, 院长)
        heads = set(spec.lexicons.get("ORG_HEAD_CHAR_LIST", []))
        self.head_titles = frozenset(t for t in spec.lexicons.get("TITLE", []) if len(t) == 2 and t[0] in heads)
        self.place_suffix_chars = frozenset(c for c in spec.lexicons.get("PLACE_SUFFIX_CHAR", []) if len(c) == 1)
        # how a model place is typed when no gazetteer entry knows it (pipeline.nlp.entities.resolve.type_place),
        # and what a company's full name ends in (pipeline.ner.company_aliases)
        self.fac_suffix = _ending(spec.lexicons.get("FAC_SUFFIX", []))
        self.org_suffix = _ending(spec.lexicons.get("ORG_SUFFIX", []))
        self.region_suffix = _ending(spec.lexicons.get("GEO_REGION", []))
        self.admin_suffix = _ending(spec.lexicons.get("ADMIN_SUFFIX", []))
        self.org_legal_form = _ending(spec.lexicons.get("ORG_LEGAL_FORM", []))
        self.industry = _ending(spec.lexicons.get("INDUSTRY", []) + spec.lexicons.get("INDUSTRY_WORD", []))
        self.surnames: dict[str, tuple[str, ...]] = {}  # by first character, longest first
        for name in sorted(spec.lexicons.get("SURNAME", []), key=len, reverse=True):
            self.surnames[name[0]] = self.surnames.get(name[0], ()) + (name,)

        def compile_at(pattern: str, loc: tuple) -> re.Pattern[str]:
            def expand(m: re.Match[str]) -> str:
                name = m.group(1)
                if name not in lex:
                    raise RuleFileError(path, node_line(node, loc), f"{_loc(loc)}: unknown lexicon {{{name}}}")
                return lex[name]

            try:
                return re.compile(_PLACEHOLDER.sub(expand, pattern))
            except re.error as exc:
                raise RuleFileError(path, node_line(node, loc), f"{_loc(loc)}: bad pattern: {exc}") from None

        self.regex: list[tuple[RegexRule, re.Pattern[str]]] = []
        self.extend: list[tuple[ExtendRule, re.Pattern[str]]] = []
        self.join: list[JoinRule] = [r for r in spec.rules if isinstance(r, JoinRule)]
        self.lists: list[tuple[ListRule, re.Pattern[str]]] = []
        self.extend_base: dict[str, re.Pattern[str]] = {}
        for i, rule in enumerate(spec.rules):
            if isinstance(rule, JoinRule):
                continue
            if isinstance(rule, ListRule):
                self.lists.append((rule, compile_at(rule.item, ("rules", i, "item"))))
                continue
            compiled = compile_at(rule.pattern, ("rules", i, "pattern"))
            (self.regex if isinstance(rule, RegexRule) else self.extend).append((rule, compiled))  # type: ignore[arg-type]
            if isinstance(rule, ExtendRule) and rule.base:
                self.extend_base[rule.id] = compile_at(rule.base, ("rules", i, "base"))
        # per regex rule, characters of which every match has one (None: try every text)
        self.regex_needs: list[frozenset[str] | None] = [required_chars(pat) for _, pat in self.regex]
        self.vetoes = [(v, compile_at(v.pattern, ("vetoes", i, "pattern"))) for i, v in enumerate(spec.vetoes)]
        self.veto_context = {
            v.id: compile_at(v.followed_by, ("vetoes", i, "followed_by")) for i, v in enumerate(spec.vetoes) if v.followed_by
        }
        self.veto_before = {
            v.id: compile_at(f"(?:{v.preceded_by})$", ("vetoes", i, "preceded_by"))
            for i, v in enumerate(spec.vetoes)
            if v.preceded_by
        }
        for i, (v, pat) in enumerate(self.vetoes):
            for ex in v.examples:
                if not pat.search(ex):
                    raise RuleFileError(
                        path, node_line(node, ("vetoes", i, "examples")), f"vetoes[{i}]: example {ex!r} does not match"
                    )

    # -- matching -------------------------------------------------------
    def surname_at(self, text: str, start: int) -> int:
        """Length of the surname (``SURNAME`` lexicon) that begins at ``start``, 0 if none."""
        for name in self.surnames.get(text[start : start + 1], ()):
            if text.startswith(name, start):
                return len(name)
        return 0

    def _starts_ok(self, text: str, start: int) -> bool:
        return not text.startswith(self.stop_start, start) if self.stop_start else True

    def regex_candidates(
        self,
        text: str,
        word_starts: set[int] | None = None,
        word_ends: set[int] | None = None,
        preferred_starts: set[int] | None = None,
    ) -> list[Candidate]:
        out = []
        present = set(text)
        for (rule, pat), needs in zip(self.regex, self.regex_needs):
            if needs is not None and needs.isdisjoint(present):
                continue  # no match possible (see pipeline.nlp.entities.prefilter)
            for m in pat.finditer(text):
                end = m.end()
                if end == m.start():
                    continue
                if "ent" in pat.groupindex:  # context outside the entity
                    if m.start("ent") < 0 or m.end("ent") == m.start("ent"):
                        continue
                    if rule.boundary != "none" and word_starts is not None and m.start() not in word_starts:
                        continue
                    if rule.boundary == "both" and word_ends is not None and end not in word_ends:
                        continue
                    out.append(Candidate(m.start("ent"), m.end("ent"), rule.label, rule.id, rule.priority))
                    continue
                if rule.boundary == "none" or word_starts is None:
                    if self._starts_ok(text, m.start()) or rule.boundary == "none":
                        out.append(Candidate(m.start(), end, rule.label, rule.id, rule.priority))
                    continue
                if rule.boundary == "both" and word_ends is not None and end not in word_ends:
                    continue
                # where the model starts an entity, else the shortest name that
                # starts at a word start and not with a stop word
                starts = sorted((s for s in word_starts if m.start() <= s < end), reverse=True)
                if preferred_starts:
                    starts = sorted(s for s in preferred_starts if m.start() <= s < end) + starts
                if m.start() == 0 or _STRONG_BOUNDARY.match(text, m.start() - 1):
                    starts.insert(0, m.start())  # right after punctuation: the whole match
                for start in starts:
                    if pat.fullmatch(text, start, end) and self._starts_ok(text, start):
                        out.append(Candidate(start, end, rule.label, rule.id, rule.priority))
                        break
        return out

    def extend_candidates(
        self,
        text: str,
        found: list[Candidate],
        bases: Sequence[Candidate] = (),
        word_ends: set[int] | None = None,
        word_starts: set[int] | None = None,
    ) -> list[Candidate]:
        """Longer entities built on ``found`` and ``bases`` (applied until nothing new appears).

        ``bases`` (the model's spans) are extended too, but an extension equal
        to one of them is still produced: the model span may lose to a rule
        (沭阳县委 against 沭阳县) where the extension 沭阳县 + 委 does not.
        With ``word_starts``, only a candidate that starts a word is extended:
        the 藏 of 青藏 does not make 藏高原, nor the 淮 of 江淮 淮流域.
        """
        out: list[Candidate] = []
        seen = {(c.start, c.end, c.label) for c in found}
        frontier = list(bases) + list(found)
        # where the given names start, by (end, label): an extension must not run onto one
        starts_by_end: dict[tuple[int, str], list[int]] = {}
        for c in frontier:
            starts_by_end.setdefault((c.end, c.label), []).append(c.start)
        base_ids = {id(b) for b in bases}
        everything = list(bases) + list(found)
        for _round in range(3):
            new: list[Candidate] = []
            for cand in frontier:
                if word_starts is not None and cand.start not in word_starts:
                    continue
                for rule, pat in self.extend:
                    if cand.label not in rule.from_labels or cand.source in rule.not_from:
                        continue
                    if rule.only_from and cand.source not in rule.only_from:
                        continue
                    base = self.extend_base.get(rule.id)
                    if base is not None and not base.fullmatch(text, cand.start, cand.end):
                        continue
                    m = pat.match(text, cand.end)
                    if not m or m.end() == cand.end:
                        continue
                    if word_ends is not None and rule.end == "word" and m.end() not in word_ends:
                        continue
                    # no extension runs over other words onto a name of its own
                    # (旅行者集团 | 预定同 | 花旗集团, 欧盟外长理事会 | 通过 | 欧盟委员会)
                    if any(cand.end < start for start in starts_by_end.get((m.end(), rule.label), ())):
                        continue
                    if rule.not_over and any(c.label in rule.not_over and cand.end <= c.start < m.end() for c in everything):
                        continue
                    key = (cand.start, m.end(), rule.label)
                    if key in seen:
                        continue
                    seen.add(key)
                    new.append(Candidate(cand.start, m.end(), rule.label, rule.id, rule.priority, attrs={"base": cand.source}))
            known = list(bases) + list(found) + out + new
            new += self._join_candidates(text, known, seen, base_ids, word_starts)
            if not new:
                break
            out.extend(new)
            frontier = new
        return out

    def _join_candidates(
        self, text: str, known: list[Candidate], seen: set, base_ids: set[int], word_starts: set[int] | None
    ) -> list[Candidate]:
        """Entities made of two adjacent candidates by the ``join`` rules (山西 + 海鑫集团)."""
        out: list[Candidate] = []
        by_start: dict[int, list[Candidate]] = {}
        for c in known:
            by_start.setdefault(c.start, []).append(c)
        for rule in self.join:
            for left in known:
                if left.label not in rule.left or left.source in rule.not_from or left.length < 2:
                    continue
                if word_starts is not None and left.start not in word_starts:
                    continue
                there = by_start.get(left.end, ())
                for right in there:
                    if right.label not in rule.right:
                        continue
                    # a name that starts with its own place keeps the outer place apart
                    # (江苏 | 丹阳供电局, 北京市 | 怀柔县民政局)
                    if any(c.label in rule.left and c is not right for c in there):
                        continue
                    if _OWN_PLACE.search(text, right.start + 2, min(right.start + 5, right.end)):
                        continue  # 怀柔县民政局, 金坛市文物管理委员会: a place the gazetteer lacks
                    if id(right) in base_ids and not self._model_part_ok(text, right, known, base_ids):
                        continue
                    if self.veto(text, Candidate(left.start, right.end, rule.label, rule.id)):
                        continue
                    key = (left.start, right.end, rule.label)
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(Candidate(left.start, right.end, rule.label, rule.id, rule.priority, attrs={"base": right.source}))
        return out

    def list_candidates(self, text: str, final: list[Candidate]) -> list[Candidate]:
        """Items of a list next to an entity of the rule's label (applied until nothing new appears).

        An item is a run of CJK characters between a separator and another
        separator, a non-CJK character, the text's edge or a final 等; it must
        match the rule's ``item`` pattern whole and overlap no entity.
        """
        out: list[Candidate] = []
        # one flag per character taken by an entity: the overlap test is linear in the item's
        # length, not in the number of entities (a 、-list of thousands of names stays linear)
        taken = bytearray(len(text) + 1)
        for c in final:
            taken[c.start : c.end] = b"\x01" * (c.end - c.start)

        def free(a: int, b: int) -> bool:
            return not any(taken[a:b])

        for rule, item in self.lists:
            frontier = [c for c in final if c.label == rule.label]
            while frontier:
                new = []
                for c in frontier:
                    for a, b in self._neighbour_items(text, c, rule.separators):
                        if item.fullmatch(text, a, b) and free(a, b):
                            cand = Candidate(a, b, rule.label, rule.id, rule.priority)
                            taken[a:b] = b"\x01" * (b - a)
                            new.append(cand)
                out.extend(new)
                frontier = new
        return out

    @staticmethod
    def _neighbour_items(text: str, c: Candidate, separators: str, longest: int = 4) -> list[tuple[int, int]]:
        """The items right before and right after ``c`` in a list separated by ``separators``.

        An item is a run of CJK characters; the last item of a list may be
        followed by 等 (王益、王仿子、万名盈等).
        """

        def han(ch: str) -> bool:
            return _HAN_CHAR.match(ch) is not None and ch not in separators

        items = []
        if c.start >= 2 and text[c.start - 1] in separators:
            end = start = c.start - 1
            while start > 0 and end - start < longest and han(text[start - 1]):
                start -= 1
            if start < end and (start == 0 or not han(text[start - 1])):
                items.append((start, end))
        if c.end + 1 < len(text) and text[c.end] in separators:
            start = end = c.end + 1
            while end < len(text) and end - start < longest and han(text[end]) and text[end] != "等":
                end += 1
            if start < end and (end == len(text) or not han(text[end]) or text[end] == "等"):
                items.append((start, end))
        return items

    def _model_part_ok(self, text: str, part: Candidate, known: list[Candidate], base_ids: set[int]) -> bool:
        """A model span may be joined only if no veto removes it and no rule candidate crosses it."""
        if self.veto(text, part):
            return False
        for c in known:
            if id(c) in base_ids or c.end <= part.start or c.start >= part.end:
                continue
            if not (part.start <= c.start and c.end <= part.end) and not (c.start <= part.start and part.end <= c.end):
                return False
        return True

    def veto(self, text: str, cand: Candidate) -> str | None:
        span = text[cand.start : cand.end]
        for v, pat in self.vetoes:
            if cand.label in v.labels and pat.search(span):
                after = self.veto_context.get(v.id)
                if after is not None and not after.match(text, cand.end):
                    continue
                before = self.veto_before.get(v.id)
                if before is not None and not before.search(text, 0, cand.start):
                    continue
                return v.id
        return None


def _loc(loc: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))


def _node_of(path: Path) -> yaml.Node | None:
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def load_entity_rules(path: str | Path | None = None, packs: tuple[str, ...] | None = None) -> EntityRules:
    """The entity rules of ``path`` (default ``rules/entities.yaml``) with the
    enabled rule packs (default: the ``PIPELINE_RULE_PACKS`` setting; none
    when an explicit ``path`` is given without ``packs``)."""
    from pipeline.nlp.entities.packs import enabled_packs

    p = Path(path) if path else rule_path("entities.yaml")
    spec = load_yaml(p, EntityRuleFile)
    check_unique_ids(p, list(spec.rules) + list(spec.vetoes))
    rules = EntityRules(spec, str(p), _node_of(p))
    loaded = enabled_packs(packs if packs is not None or path is None else ())
    if not loaded:
        return rules
    lexicons = {k: list(v) for k, v in spec.lexicons.items()}
    all_rules, all_vetoes = list(spec.rules), list(spec.vetoes)
    for pack, pack_file, node in loaded:
        for name, words in pack.lexicons.items():
            lexicons[name] = lexicons.get(name, []) + [w for w in words if w not in lexicons.get(name, [])]
        # the pack's own patterns are compiled against its path, so that an error names its line
        EntityRules(
            EntityRuleFile(version=spec.version, lexicons=lexicons, rules=pack.rules, vetoes=pack.vetoes), str(pack_file), node
        )
        all_rules += pack.rules
        all_vetoes += pack.vetoes
        check_unique_ids(pack_file, all_rules + all_vetoes)
    merged = EntityRuleFile(version=spec.version, lexicons=lexicons, rules=all_rules, vetoes=all_vetoes)
    return EntityRules(merged, str(p), None)


@per_rules
def default_entity_rules() -> EntityRules:
    """The entity rules of the rules read now, with their packs, loaded once per such pair."""
    return load_entity_rules()
