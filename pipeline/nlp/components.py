"""spaCy components of the pipeline (registered in :mod:`pipeline.nlp.factories`).

* ``zhnews_entity_rules`` -- gazetteers, pattern rules, extension rules and
  byline knowledge combined with the statistical NER's spans
  (:mod:`pipeline.nlp.entities.resolve` documents the precedence);
* ``zhnews_linker`` -- links GPE mentions to administrative codes
  (``kb_id``) and full names (``normalized``), resolving deictic places
  (我市, 全区) to the paper's home place.

Entity attributes live in ``Span`` extensions (see :func:`register_extensions`).

Rules. A rule component reads the project's rules (``rules/``, or
``PIPELINE_RULES_DIR``) with the packs of ``PIPELINE_RULE_PACKS``, unless its
config names its ``packs`` or it carries rules of its own: a component that
carries its rules (:func:`carry_rules`, which ``make package`` calls) writes the
rule files it reads beside its other data in ``to_disk`` and ``to_bytes``, and a
pipeline loaded from there reads those, whatever the process's settings say (as
spaCy's ``SpanRuler`` keeps its patterns). So two pipelines with different rules
live in one process, and an installed pipeline needs no checkout.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import ensure_path

from pipeline import settings
from pipeline.bylines import BylineParser, default_parser
from pipeline.nlp.entities.entity_rules import Candidate, EntityRules, default_entity_rules
from pipeline.nlp.entities.resolve import MODEL_PRIORITY, resolve
from pipeline.nlp.linking.gazetteer import Gazetteer, default_gazetteer
from pipeline.nlp.quantities.grammar import QuantityGrammar, default_grammar
from pipeline.nlp.serialize import copy_files, pack_files, unpack_files
from pipeline.nlp.tokenizer import WORD_BOUNDARIES, boundaries_from_tags, cached_text, doc_text
from pipeline.records import QUANTITY_ATTRS

T = TypeVar("T")

SPAN_EXTENSIONS = (
    "source",
    "score",
    "value",
    "value_low",
    "value_high",
    "unit",
    "unit_normalized",
    "value_normalized",
    "qualifier",
    "normalized",
    "kb_id",
    "kb_candidates",
    "deictic",
)
#: ``gaps``: clean-text positions where the page had whitespace (or other text) between two
#: characters that cleaning joined; names in credits are separated that way (邵秀清 丰莉莎)
DOC_EXTENSIONS = ("kind", "home", "article_id", "vetoed", "gaps")
BYLINE_KINDS = {"byline", "dateline", "credit"}


def register_extensions() -> None:
    for name in SPAN_EXTENSIONS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    for name in DOC_EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


# spaCy keeps a span's extension values in ``doc.user_data`` under this prefix, the
# extension's name and the span's character offsets (``Underscore._get_key``)
_USER_DATA_PREFIX = "._."


def span_values(doc: Doc, start_char: int, end_char: int, names: Iterable[str]) -> list:
    """The values of the Span extensions ``names`` of the span ``start_char:end_char``
    (None where unset: the default of every extension of this module), read from
    ``doc.user_data`` at once. ``span._.name`` gives the same one value at a time, about ten
    times slower, which counted in the NER stage (tests hold the two equal)."""
    data: dict[Any, Any] = doc.user_data  # spaCy's stub says str keys; these are tuples
    return [data.get((_USER_DATA_PREFIX, name, start_char, end_char)) for name in names]


def set_span_values(span: Span, values: Mapping[str, object]) -> None:
    """``span._.name = value`` for each item of ``values``, written at once."""
    data: dict[Any, Any] = span.doc.user_data  # spaCy's stub says str keys; these are tuples
    start, end = span.start_char, span.end_char
    for name, value in values.items():
        data[(_USER_DATA_PREFIX, name, start, end)] = value


def word_boundaries(doc: Doc) -> tuple[set[int] | None, set[int] | None]:
    """Character offsets where pkuseg words start and end (None without word features)."""
    cached = doc.user_data.get(WORD_BOUNDARIES)
    if cached is not None and cached_text(doc) is not None:
        return set(cached[0]), set(cached[1])
    tagged = [(tok.idx, tok.idx + len(tok.text), tok.tag_) for tok in doc if tok.tag_]
    if not tagged:
        return None, None
    return boundaries_from_tags(tagged)


def split_names_at_gaps(cand: Candidate, gaps: frozenset[int], length: int | None = None) -> list[Candidate]:
    """A model PERSON span over names the page set apart (邵秀清 丰莉莎, 严 龙 杜志炎 摄) is
    cut where both sides are names of two characters or more; a lone character after a
    name (摄 of a photo credit) is dropped. A two-character name written with a space
    (严 龙) stays one name. An edge one character off a gap moves onto it (郑连|乔 王红雨
    gives 郑连乔, 乔|王红雨 gives 王红雨): where the page separates names, names end."""
    if cand.label != "PERSON":
        return [cand]
    start, end = cand.start, cand.end
    if end + 1 in gaps and (length is None or end + 1 <= length):
        end += 1
    elif end - 1 in gaps and end - 1 - start >= 2:
        end -= 1
    # not where the next part is one character too: 严 龙 is one name written with a space
    if start + 1 in gaps and end - (start + 1) >= 2 and start + 2 not in gaps:
        start += 1
    cuts = [g for g in sorted(gaps) if start < g < end]
    pieces, at = [], start
    for g in cuts:
        if g - at >= 2 and end - g >= 2:
            pieces.append((at, g))
            at = g
    if end - at == 1 and pieces:
        pass  # a lone character after a name: the credit's 摄, not a name
    elif cuts and end - cuts[-1] == 1 and cuts[-1] - at >= 2:
        pieces.append((at, cuts[-1]))
    else:
        pieces.append((at, end))
    if pieces == [(cand.start, cand.end)]:
        return [cand]
    return [Candidate(a, b, cand.label, cand.source, cand.priority, cand.score) for a, b in pieces]


#: where a component that carries its rules keeps them, in its folder of the pipeline
RULES_FOLDER = "rules"


class RuleFilesMixin:
    """Rules read from the project, from the files a component carries, with the packs its
    config names (see the module's text). A subclass names the rule files it reads
    (``rule_files``, globs relative to the rules folder) and what it loaded from them
    (``_loaded``, attribute names reset when its rules change)."""

    name: str
    rule_files: tuple[str, ...] = ()
    _loaded: tuple[str, ...] = ()
    #: whether rule packs add to what it reads (not to units)
    reads_packs = True

    def _init_rules(self, packs: Iterable[str] | None) -> None:
        #: rule packs of the config; None follows ``PIPELINE_RULE_PACKS``
        self.packs: tuple[str, ...] | None = tuple(packs) if packs is not None else None
        #: the folder of the rules this component carries (None: the project's rules)
        self.rules_root: Path | None = None
        #: whether to_disk / to_bytes write the rule files
        self.carries_rules = False

    def rules_scope(self):
        """The context its rules load under: its own folder and packs where it has them."""
        return settings.rules_context(self.rules_root, self.packs)

    def _lazy(self, attr: str, load: Callable[[], T]) -> T:
        """``self.<attr>``, loaded by ``load`` under :meth:`rules_scope` the first time."""
        value = getattr(self, attr)
        if value is None:
            with self.rules_scope():
                value = load()
            setattr(self, attr, value)
        return value

    def use_rules(self, root: Path | None = None, packs: Iterable[str] | None = None) -> None:
        """Read the rules of ``root`` (None: the project's) with ``packs`` (None: the setting)."""
        self.rules_root = Path(root) if root is not None else None
        self.packs = tuple(packs) if packs is not None else None
        for attr in self._loaded:
            setattr(self, attr, None)

    def _source_root(self) -> Path:
        with self.rules_scope():
            return settings.rules_dir()

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        if not self.carries_rules or RULES_FOLDER in exclude:
            return  # a component reading the project's rules has nothing of its own to save
        path = cast(Path, ensure_path(path))  # a str becomes a Path
        src = self._source_root()
        dst = path / RULES_FOLDER
        if dst.exists() and dst.resolve() != src.resolve():
            shutil.rmtree(dst)  # no stale rule file of an earlier save
        dst.mkdir(parents=True, exist_ok=True)
        copy_files(src, dst, self.rule_files)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()):
        folder = ensure_path(path) / RULES_FOLDER
        if RULES_FOLDER not in exclude and folder.is_dir():
            self.use_rules(folder, self.packs)
            self.carries_rules = True
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        files = pack_files(self._source_root(), self.rule_files) if self.carries_rules and RULES_FOLDER not in exclude else b""
        return srsly.msgpack_dumps({"rules": files})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()):
        files = srsly.msgpack_loads(data).get("rules")
        if files and RULES_FOLDER not in exclude:
            self.use_rules(unpack_files(files, "rules"), self.packs)
            self.carries_rules = True
        return self


def carry_rules(nlp: Language) -> list[str]:
    """Make every rule component of ``nlp`` carry the rule files it reads now (they are
    written by the next ``to_disk``/``to_bytes``); the names of those components."""
    names: list[str] = []
    for name, comp in nlp.pipeline:
        if isinstance(comp, RuleFilesMixin):
            comp.carries_rules = True
            names.append(name)
    return names


class EntityRulesComponent(RuleFilesMixin):
    rule_files = ("entities.yaml", "bylines.yaml", "gazetteers/*", "packs/*.yaml")
    _loaded = ("_rules", "_gazetteer", "_parser")

    def __init__(self, nlp: Language, name: str, model_source: str = "ner", packs: Iterable[str] | None = None):
        register_extensions()
        self.name = name
        self.model_source = model_source
        self._init_rules(packs)
        self._rules: EntityRules | None = None
        self._gazetteer: Gazetteer | None = None
        self._parser: BylineParser | None = None
        # rule-id prefixes switched off (ablations: `eval ner --without gpe.admin`)
        self.disabled: tuple[str, ...] = ()

    @property
    def rules(self) -> EntityRules:
        return self._lazy("_rules", default_entity_rules)

    @property
    def gazetteer(self) -> Gazetteer:
        return self._lazy("_gazetteer", default_gazetteer)

    @property
    def parser(self) -> BylineParser:
        """The byline parser of its rules (bylines and datelines name people and papers)."""
        return self._lazy("_parser", default_parser)

    def _byline_candidates(self, doc: Doc) -> list[Candidate]:
        text = doc_text(doc)
        parser = self.parser
        parsed = parser.match_dateline(text, whole=True) if doc._.kind == "dateline" else parser.parse(text)
        if parsed is None:
            return []
        out = []
        byline = getattr(parsed, "byline", None) or parsed
        agency = getattr(parsed, "agency", None) or getattr(byline, "agency", None)
        people = list(getattr(byline, "people", []) or [])
        taken: list[tuple[int, int]] = []
        for name in people:  # by role, not in the order of the text: each its first free occurrence
            # a name the page wrote with a space (严 龙) is found with it
            for m in re.finditer(r"\s?".join(map(re.escape, name)), text):
                if not any(a < m.end() and m.start() < b for a, b in taken):
                    out.append(Candidate(m.start(), m.end(), "PERSON", "byline.person", 100))
                    taken.append((m.start(), m.end()))
                    break
        if agency and agency not in parser.rules.self_reference:
            i = text.find(agency)
            if i >= 0:
                out.append(Candidate(i, i + len(agency), "ORG", "byline.agency", 100))
        for unit in getattr(byline, "units", []):  # 鄞州记者站: the unit of the names after it
            i = text.find(unit)
            if i >= 0:
                out.append(Candidate(i, i + len(unit), "ORG", "byline.unit", 100))
        return out

    def _enabled(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates of rules not switched off (``eval ner --without``)."""
        if not self.disabled:
            return candidates
        return [c for c in candidates if not c.source.startswith(self.disabled)]

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        starts, ends = word_boundaries(doc)
        model = [Candidate(e.start_char, e.end_char, e.label_, self.model_source, MODEL_PRIORITY) for e in doc.ents]
        if doc._.gaps:
            model = [piece for c in model for piece in split_names_at_gaps(c, doc._.gaps, len(text))]
        found = self.gazetteer.candidates(text, starts, ends)
        found += self.rules.regex_candidates(text, starts, ends, {c.start for c in model})
        if doc._.kind in BYLINE_KINDS:
            found += self._byline_candidates(doc)
        # a model span that a veto will drop neither grows into a longer name nor stops one
        # (股份有限公司 alone must not block 浙江 + 银轮机械股份有限公司)
        bases = [c for c in model if not self.rules.veto(text, c)]
        found += self.rules.extend_candidates(text, found, bases=bases, word_ends=ends, word_starts=starts)
        final, vetoed = resolve(text, model, self._enabled(found), self.rules, self.gazetteer, starts, ends, self.disabled)
        listed = self._enabled(self.rules.list_candidates(text, final))
        if listed:
            final = sorted(final + listed, key=lambda c: c.start)
        spans = []
        for c in final:
            span = doc.char_span(c.start, c.end, label=c.label, alignment_mode="expand")
            if span is None:
                continue
            spans.append(span)
            kb = c.attrs.get("kb_ids")
            values = {
                "source": c.source,
                "score": c.score,
                "kb_id": c.kb_id,
                "normalized": c.normalized,
                "kb_candidates": list(kb) if kb else None,
            }
            if c.source == "gpe.deictic":
                values["deictic"] = True
            set_span_values(span, values)
        doc.ents = spans
        doc._.vetoed = [(c.start, c.end, c.label, v) for c, v in vetoed] or None
        return doc


class LinkerComponent(RuleFilesMixin):
    """Admin codes for GPE mentions; deictic places resolved to the paper's home: the
    document's (``doc._.home``, which the NER stage sets from the page's paper), else the
    ``home`` of the config (an admin code or a division's full name, such as 重庆市), for
    ``spacy.load`` users whose texts all come from one paper."""

    rule_files = ("bylines.yaml", "gazetteers/*", "packs/*.yaml")
    _loaded = ("_gazetteer", "_home_code")

    def __init__(self, nlp: Language, name: str, packs: Iterable[str] | None = None, home: str | None = None):
        register_extensions()
        self.name = name
        self._init_rules(packs)
        self.home = home
        self._gazetteer: Gazetteer | None = None
        self._home_code: str | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        return self._lazy("_gazetteer", default_gazetteer)

    @property
    def home_code(self) -> str | None:
        """The admin code of the config's ``home`` (ValueError naming it if the gazetteer has none)."""
        if self.home and self._home_code is None:
            if self.gazetteer.division(self.home) is not None:
                self._home_code = self.home
            else:
                codes = [c for c, d in self.gazetteer.divisions.items() if d.name == self.home]
                if len(codes) != 1:
                    found = "no division" if not codes else f"{len(codes)} divisions"
                    raise ValueError(f"{self.name}: home {self.home!r}: {found} of that code or full name in the gazetteer")
                self._home_code = codes[0]
        return self._home_code

    def __call__(self, doc: Doc) -> Doc:
        home = doc._.home or {}
        home_code = home.get("kb_id") or self.home_code
        ents = doc.ents
        mentioned = {e._.kb_id for e in ents if e.label_ == "GPE" and e._.kb_id}
        for ent in ents:
            if ent.label_ != "GPE":
                continue
            if ent._.deictic:
                self._resolve_deictic(ent, home_code)
                continue
            codes = ent._.kb_candidates or ([ent._.kb_id] if ent._.kb_id else [])
            if not codes:
                continue
            code = self.choose(codes, home_code, mentioned)
            div = self.gazetteer.division(code)
            ent._.kb_id = code
            if div is not None:
                ent._.normalized = div.name
        return doc

    def choose(self, codes: list[str], home_code: str | None, mentioned: set[str]) -> str:
        if len(codes) == 1:
            return codes[0]
        if home_code:
            same = [c for c in codes if c[:2] == home_code[:2]]
            if same:
                return same[0]
        for c in codes:
            div = self.gazetteer.division(c)
            if div and any(p in mentioned for p in div.parents):
                return c
        # prefer the higher level (province > prefecture > county), then the smaller code
        rank = {"province": 0, "prefecture": 1, "county": 2}
        return min(codes, key=lambda c: (rank.get(getattr(self.gazetteer.division(c), "level", "county"), 3), c))

    def _resolve_deictic(self, ent: Span, home_code: str | None) -> None:
        unit = ent.text[-1]  # 市 区 县 省
        if not home_code:
            return
        target = self.deictic_target(unit, home_code)
        if target is None:
            return
        div = self.gazetteer.division(target)
        ent._.kb_id = target
        ent._.normalized = div.name if div else None

    def deictic_target(self, unit: str, home_code: str) -> str | None:
        """The division a deictic word means for a paper whose home is ``home_code``."""
        chain = [home_code] + list(getattr(self.gazetteer.division(home_code), "parents", []) or [])
        for code in chain:
            div = self.gazetteer.division(code)
            if div is None:
                continue
            name = div.name
            if unit == "市" and (name.endswith("市") or div.level == "prefecture"):
                return code
            if unit == "省" and div.level == "province" and not name.endswith("市"):
                return code
            if unit in "区县" and div.level == "county" and name.endswith(unit):
                return code
        return None


class QuantitiesComponent(RuleFilesMixin):
    """Quantities, money, percentages and dates with normalised values.

    Runs after the entity rules; it adds its spans where no other entity
    stands (names keep their numbers: 云安010-X1井 is one FAC), and over an entity
    that lies inside a longer quantity, whose unit or amount it is part of (新加坡 of
    300新加坡元, 三毛 of 五元三毛).
    """

    rule_files = ("units.yaml", "units_cldr.jsonl")
    _loaded = ("_grammar",)
    reads_packs = False

    def __init__(self, nlp: Language, name: str):
        register_extensions()
        self.name = name
        self._init_rules(None)
        self._grammar: QuantityGrammar | None = None

    @property
    def grammar(self) -> QuantityGrammar:
        return self._lazy("_grammar", default_grammar)

    def __call__(self, doc: Doc) -> Doc:
        from pipeline.nlp.segmentation.segmenter import normalize

        ents = list(doc.ents)
        # full-width digits and signs read as half-width (１２．５％ is 12.5%), one character for
        # one, so offsets stay: spacy.load users do not run the cleaning stage
        text = normalize(doc_text(doc))
        added = []
        bounds: tuple[set[int] | None, set[int] | None] | None = None
        for q in self.grammar.find(text):
            if q.kind in ("counter", "noun"):
                # where the segmenter's words say a count is no count: after Arabic digits a
                # measure word ends a word (not 863项 of 863项目); a Chinese number starts one
                # (not 一两个 of 合一两个村, where 合一 is the village). Not the other way round:
                # 两个人 is cut 两/个人, yet is a count
                if bounds is None:
                    bounds = word_boundaries(doc)
                starts, ends = bounds
                if (
                    starts is not None
                    and ends is not None
                    and (q.end not in ends if text[q.start].isdigit() else q.start not in starts)
                ):
                    continue
            inside = [e for e in ents if e.start_char < q.end and e.end_char > q.start]
            if any(e.start_char < q.start or e.end_char > q.end or e.end_char - e.start_char == q.end - q.start for e in inside):
                continue  # it crosses an entity, lies inside one, or is one (三毛 the writer)
            span = doc.char_span(q.start, q.end, label=q.label, alignment_mode="strict")
            if span is None:
                continue
            if inside:
                ents = [e for e in ents if e not in inside]
            added.append((span, q))
        if added:
            doc.ents = sorted(ents + [s for s, _ in added], key=lambda s: s.start)
            for span, q in added:
                values = {"source": q.source, **{name: getattr(q, name) for name in QUANTITY_ATTRS}}
                if q.label == "DATE" and not q.unit:
                    values["qualifier"] = None  # a calendar date has no quantity to qualify
                set_span_values(span, values)
        return doc
