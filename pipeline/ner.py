"""The NER stage: sentences in, entity records out.

Runs the spaCy pipeline (:func:`pipeline.nlp.load_nlp`) over a batch of
sentences with ``nlp.pipe``; each sentence's Doc knows its kind (body,
byline, caption ...) and the paper's home place, which the linker uses for
deictic words. Entities get clean-text offsets (None outside the running
text) and exact raw offsets through the sentence's offset map.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from pipeline.bylines import load_rules as load_byline_rules
from pipeline.records import QUANTITY_ATTRS, QUANTITY_LABELS, Article, Entity, Sentence, entity_at
from pipeline.rules import alternation

_DEICTIC_LOCAL = ("区", "县", "市", "省")
_ENTITY_ATTRS = ("source", "score", "normalized", "kb_id")
# spaCy's string store cannot hold lone surrogates; the readers never produce
# them, but the stage is callable with any text: one U+FFFD for one, offsets kept
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def home_places() -> dict[str, dict]:
    return {a.name: {"name": a.home.name, "kb_id": a.home.kb_id} for a in load_byline_rules().agencies if a.home}


def article_homes(articles: Iterable[Article]) -> dict[str, dict | None]:
    """Home place per article: its agency's home, else the page's main paper's home."""
    homes = home_places()
    articles = list(articles)
    by_doc: dict[str, Counter] = {}
    for a in articles:
        if a.agency in homes:
            by_doc.setdefault(a.doc_id, Counter())[a.agency] += 1
    out: dict[str, dict | None] = {}
    for a in articles:
        if a.agency in homes:
            out[a.article_id] = homes[a.agency]
        elif a.doc_id in by_doc:
            out[a.article_id] = homes[by_doc[a.doc_id].most_common(1)[0][0]]
        else:
            out[a.article_id] = None
    return out


def _gaps(sent: Sentence) -> frozenset[int] | None:
    """Clean positions whose character did not follow the one before it on the page."""
    offsets = getattr(sent.offsets, "offsets", None)
    if offsets is None or len(offsets) < 2:
        return None
    jumps = np.flatnonzero(np.diff(offsets) > 1)
    return frozenset(int(i) + 1 for i in jumps) or None


def recognize(articles: list[Article], sentences: list[Sentence], nlp=None, batch_size: int = 256) -> list[Entity]:
    # spaCy loads with the pipeline, not with this module
    from pipeline.nlp.components import span_values

    if nlp is None:
        from pipeline.nlp import load_nlp

        nlp = load_nlp()
    homes = article_homes(articles)

    def docs():  # made as nlp.pipe takes them: one batch of Docs (and token vectors) alive at a time
        for s in sentences:
            doc = nlp.make_doc(_LONE_SURROGATE.sub("\ufffd", s.text))
            x = doc._
            x.kind = s.kind
            x.home = homes.get(s.article_id)
            x.article_id = s.article_id
            x.gaps = _gaps(s)
            yield doc

    entities: list[Entity] = []
    for sent, doc in zip(sentences, nlp.pipe(docs(), batch_size=batch_size)):
        for ent in doc.ents:
            s, e = ent.start_char, ent.end_char
            source, score, normalized, kb_id = span_values(doc, s, e, _ENTITY_ATTRS)
            label = ent.label_
            entities.append(
                entity_at(
                    sent,
                    s,
                    e,
                    label,
                    source or "unknown",
                    score=score,
                    normalized=normalized,
                    kb_id=kb_id,
                    **(dict(zip(QUANTITY_ATTRS, span_values(doc, s, e, QUANTITY_ATTRS))) if label in QUANTITY_LABELS else {}),
                )
            )
    resolve_local_deictics(entities)
    return propagate_aliases(entities, sentences)


def resolve_local_deictics(entities: list[Entity]) -> None:
    """全区/本县/全市/全省 still unresolved (no paper home): the district, county, city or
    province the article names most (全省 in an article about 河南 is 河南省)."""
    by_article: dict[str, Counter] = {}
    names: dict[str, str] = {}
    for e in entities:
        if e.label == "GPE" and e.kb_id and e.source != "gpe.deictic" and e.normalized and e.normalized.endswith(_DEICTIC_LOCAL):
            by_article.setdefault(e.article_id, Counter())[e.kb_id] += 1
            names[e.kb_id] = e.normalized
    for e in entities:
        if e.source == "gpe.deictic" and e.kb_id is None and e.text.endswith(_DEICTIC_LOCAL):
            counts = by_article.get(e.article_id)
            if counts:
                candidates = [(n, k) for k, n in counts.items() if names[k].endswith(e.text[-1])]
                if candidates:
                    _, code = max(candidates)
                    e.kb_id, e.normalized = code, names[code]


def company_aliases(name: str, rules) -> list[str]:
    """The short forms a company's full name goes by later in an article:
    哈尔滨城林科技股份有限公司 -> 城林科技, 城林科技公司; 浙江银轮机械股份有限公司 -> 银轮机械,
    银轮公司. The place before the name and the legal form after it go (lexicons
    ORG_LEGAL_FORM and INDUSTRY of rules/entities.yaml); a short form keeps at least
    two characters of the name and is never a place or a bare industry word."""
    legal = rules.org_legal_form.search(name)
    if legal is None:
        return []
    core = name[: legal.start()]
    from pipeline.nlp.linking.gazetteer import default_gazetteer

    gaz = default_gazetteer()
    for k in range(min(len(core) - 2, 6), 1, -1):  # the longest place prefix that leaves a name
        entry = gaz.lookup(core[:k])
        if entry is not None and entry.label == "GPE":
            core = core[k:]
            break
    out = []
    if len(core) >= 3:
        out += [core, core + "公司"]
    industry = rules.industry.search(core)
    if industry is not None and industry.start() >= 2:
        out.append(core[: industry.start()] + "公司")
    return [a for a in out if gaz.lookup(a) is None and a != name]


def propagate_aliases(entities: list[Entity], sentences: list[Sentence]) -> list[Entity]:
    """A company named in full in an article is an ORG wherever the article uses its short
    form (``org.alias``): the model, which sees one sentence at a time, reads 城林科技
    alone as a place or nothing. The short form replaces model spans it overlaps; it
    never cuts into a span of the rules."""
    from pipeline.nlp.entities.entity_rules import default_entity_rules

    rules = default_entity_rules()
    by_article: dict[str, dict[str, str]] = {}
    for e in entities:
        if e.label == "ORG" and rules.org_legal_form.search(e.text):
            for alias in company_aliases(e.text, rules):
                by_article.setdefault(e.article_id, {}).setdefault(alias, e.text)
    if not by_article:
        return entities
    by_sent: dict[str | None, list[Entity]] = {}
    for e in entities:
        by_sent.setdefault(e.sent_id, []).append(e)
    added: list[Entity] = []
    dropped: set[int] = set()
    patterns = {art: re.compile(alternation(aliases)) for art, aliases in by_article.items()}
    for sent in sentences:
        aliases = by_article.get(sent.article_id)
        if not aliases:
            continue
        pattern = patterns[sent.article_id]
        here = by_sent.get(sent.sent_id, [])
        for m in pattern.finditer(sent.text):
            raw_start, raw_end = sent.offsets.raw_span(m.start(), m.end())
            overlapping = [e for e in here if e.raw_start < raw_end and raw_start < e.raw_end]
            if any(not e.source.startswith("model") for e in overlapping):
                continue  # inside the full name, or a rule's entity
            dropped.update(id(e) for e in overlapping)
            added.append(entity_at(sent, m.start(), m.end(), "ORG", "org.alias", normalized=aliases[m.group()]))
    if not added:
        return entities
    kept = [e for e in entities if id(e) not in dropped]
    return sorted(kept + added, key=lambda e: (e.doc_id, e.raw_start, e.raw_end))
