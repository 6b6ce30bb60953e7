"""spaCy components of the pipeline (registered in :mod:`pipeline.nlp.factories`).

* ``zhnews_entity_rules`` -- gazetteers, pattern rules, extension rules and
  byline knowledge combined with the statistical NER's spans
  (:mod:`pipeline.nlp.resolve` documents the precedence);
* ``zhnews_linker`` -- links GPE mentions to administrative codes
  (``kb_id``) and full names (``normalized``), resolving deictic places
  (我市, 全区) to the paper's home place.

Entity attributes live in ``Span`` extensions (see :func:`register_extensions`).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.nlp.entity_rules import Candidate, EntityRules, default_entity_rules
from pipeline.nlp.gazetteer import Gazetteer, default_gazetteer
from pipeline.nlp.resolve import MODEL_PRIORITY, resolve
from pipeline.nlp.tokenizer import WORD_BOUNDARIES, boundaries_from_tags, cached_text, doc_text
from pipeline.records import QUANTITY_ATTRS

SPAN_EXTENSIONS = (
    "source", "score", "value", "value_low", "value_high", "unit", "unit_normalized",
    "value_normalized", "qualifier", "normalized", "kb_id", "kb_candidates", "deictic",
)
DOC_EXTENSIONS = ("kind", "home", "article_id", "vetoed")
BYLINE_KINDS = {"byline", "dateline", "credit"}


def register_extensions() -> None:
    for name in SPAN_EXTENSIONS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    for name in DOC_EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


def word_boundaries(doc: Doc) -> tuple[set[int] | None, set[int] | None]:
    """Character offsets where pkuseg words start and end (None without word features)."""
    cached = doc.user_data.get(WORD_BOUNDARIES)
    if cached is not None and cached_text(doc) is not None:
        return set(cached[0]), set(cached[1])
    tagged = [(tok.idx, tok.idx + len(tok.text), tok.tag_) for tok in doc if tok.tag_]
    if not tagged:
        return None, None
    return boundaries_from_tags(tagged)


class EntityRulesComponent:
    def __init__(self, nlp: Language, name: str, model_source: str = "ner"):
        register_extensions()
        self.name = name
        self.model_source = model_source
        self._rules: EntityRules | None = None
        self._gazetteer: Gazetteer | None = None
        # rule-id prefixes switched off (ablations: `eval ner --without gpe.admin`)
        self.disabled: tuple[str, ...] = ()

    @property
    def rules(self) -> EntityRules:
        if self._rules is None:
            self._rules = default_entity_rules()
        return self._rules

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = default_gazetteer()
        return self._gazetteer

    def _byline_candidates(self, doc: Doc) -> list[Candidate]:
        from pipeline.cleaning.bylines import default_parser

        text = doc_text(doc)
        parser = default_parser()
        parsed = parser.match_dateline(text, whole=True) if doc._.kind == "dateline" else parser.parse(text)
        if parsed is None:
            return []
        out = []
        byline = getattr(parsed, "byline", None) or parsed
        agency = getattr(parsed, "agency", None) or getattr(byline, "agency", None)
        people = list(getattr(byline, "people", []) or [])
        pos = 0
        for name in people:
            i = text.find(name, pos)
            if i >= 0:
                out.append(Candidate(i, i + len(name), "PERSON", "byline.person", 100))
                pos = i + len(name)
        if agency and agency not in parser.rules.self_reference:
            i = text.find(agency)
            if i >= 0:
                out.append(Candidate(i, i + len(agency), "ORG", "byline.agency", 100))
        return out

    def _enabled(self, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates of rules not switched off (``eval ner --without``)."""
        if not self.disabled:
            return candidates
        return [c for c in candidates if not c.source.startswith(self.disabled)]

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        starts, ends = word_boundaries(doc)
        model = [
            Candidate(e.start_char, e.end_char, e.label_, self.model_source, MODEL_PRIORITY)
            for e in doc.ents
        ]
        found = self.gazetteer.candidates(text, starts, ends)
        found += self.rules.regex_candidates(text, starts, ends, {c.start for c in model})
        if doc._.kind in BYLINE_KINDS:
            found += self._byline_candidates(doc)
        found += self.rules.extend_candidates(text, found, bases=model, word_ends=ends, word_starts=starts)
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
            x = span._  # one Underscore view per span (each `span._` makes a new one)
            x.source = c.source
            x.score = c.score
            x.kb_id = c.kb_id
            x.normalized = c.normalized
            kb = c.attrs.get("kb_ids")
            x.kb_candidates = list(kb) if kb else None
            if c.source == "gpe.deictic":
                x.deictic = True
        doc.ents = spans
        doc._.vetoed = [(c.start, c.end, c.label, v) for c, v in vetoed] or None
        return doc


class LinkerComponent:
    """Admin codes for GPE mentions; deictic places resolved to the paper's home."""

    def __init__(self, nlp: Language, name: str):
        register_extensions()
        self.name = name
        self._gazetteer: Gazetteer | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = default_gazetteer()
        return self._gazetteer

    def __call__(self, doc: Doc) -> Doc:
        home = doc._.home or {}
        home_code = home.get("kb_id")
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


class QuantitiesComponent:
    """Quantities, money, percentages and dates with normalised values.

    Runs after the entity rules; it adds its spans where no other entity
    stands (names keep their numbers: 云安010-X1井 is one FAC).
    """

    def __init__(self, nlp: Language, name: str):
        register_extensions()
        self.name = name
        self._grammar = None

    @property
    def grammar(self):
        if self._grammar is None:
            from pipeline.nlp.quantities import default_grammar

            self._grammar = default_grammar()
        return self._grammar

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        text = doc_text(doc)
        taken = [False] * (len(text) + 1)
        for e in ents:
            for k in range(e.start_char, e.end_char):
                taken[k] = True
        added = []
        for q in self.grammar.find(text):
            if any(taken[q.start:q.end]):
                continue
            span = doc.char_span(q.start, q.end, label=q.label, alignment_mode="strict")
            if span is None:
                continue
            added.append((span, q))
        if added:
            doc.ents = sorted(ents + [s for s, _ in added], key=lambda s: s.start)
            for span, q in added:
                x = span._
                x.source = q.source
                for name in QUANTITY_ATTRS:
                    setattr(x, name, getattr(q, name))
                if q.label == "DATE" and not q.unit:
                    x.qualifier = None  # a calendar date has no quantity to qualify
        return doc
