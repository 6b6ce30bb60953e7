"""Gazetteers: administrative divisions, other places, known organisations.

Sources (all data in ``rules/``):

* ``gazetteers/admin_divisions.jsonl`` -- 3,219 divisions of county level and
  above (code, full name, parents, short forms with their evidence,
  coordinates), generated from cpca by :mod:`pipeline.training.gazetteers`;
* ``gazetteers/places.yaml`` -- abbreviations, groups, regions, the main countries;
* ``gazetteers/countries.jsonl`` -- the other countries (ISO 3166-1 with Chinese
  names), generated from pycountry by :mod:`pipeline.training.countries`;
* ``gazetteers/organizations.yaml`` and the agencies of ``bylines.yaml``.

:class:`Gazetteer` finds their names in text (longest-first dictionary
matching on characters) and answers lookups for typing and linking.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.bylines import load_rules as load_byline_rules
from pipeline.nlp.entities.entity_rules import Candidate
from pipeline.nlp.segmentation.prefixes import find_names, prefixes_of
from pipeline.rules import RuleFileError, StrictModel, check_unique_ids, load_jsonl, load_yaml, per_rules, rule_path


class ShortForm(StrictModel):
    """A name with its People's Daily evidence (see pipeline.training.gazetteers.name_evidence)."""

    text: str
    ns: int
    words: int
    keep: bool


class Division(StrictModel):
    id: str
    code: str
    name: str
    level: Literal["province", "prefecture", "county"]
    parents: list[str]
    # evidence for the full name as a word of People's Daily 1998 (see pipeline.training.gazetteers)
    name_ns: int = 0
    name_words: int = 0
    name_keep: bool = True
    short: list[ShortForm]
    lon: float | None = None
    lat: float | None = None


class Place(StrictModel):
    id: str
    text: str
    label: Literal["GPE", "LOC", "FAC", "ORG"]
    kb_id: str | None = None
    normalized: str | None = None
    context: Literal["any", "after_verb", "whole_word"] = "any"
    not_followed_by: list[str] = []


class Country(StrictModel):
    id: str
    code: str
    official: str
    names: list[ShortForm]


class PlaceFile(StrictModel):
    version: int
    #: characters of travel and stance verbs after which a one-character
    #: abbreviation stands for its place (在渝, 来京, 赴沪: context "after_verb")
    verbs_before_abbreviations: list[str] = []
    #: per ending of a division's full name, the words after which the ending belongs to the
    #: next word instead (武汉市民 is 武汉 + 市民, 武汉市场 is 武汉 + 市场)
    full_name_not_followed_by: dict[str, list[str]] = {}
    places: list[Place]


class Organization(StrictModel):
    id: str
    text: str
    aliases: list[str] = []


class OrganizationFile(StrictModel):
    version: int
    organizations: list[Organization]


@dataclass
class Entry:
    text: str
    label: str
    source: str
    priority: int
    kb_ids: tuple[str, ...] = ()
    normalized: str | None = None
    context: str = (
        "any"  # "any", "after_verb" (places.yaml), "whole_word" / "word_start" (set by Gazetteer._add) or "lookup_only"
    )
    not_followed_by: tuple[str, ...] = ()


class Gazetteer:
    def __init__(
        self,
        divisions: list[Division],
        places: list[Place],
        orgs: list[Organization],
        agencies: list[tuple[str, str]],
        countries: Sequence[Country] = (),
        after_verbs: frozenset[str] = frozenset(),
        full_name_not_followed_by: dict[str, list[str]] | None = None,
    ):
        self.divisions = {d.code: d for d in divisions}
        self.after_verbs = after_verbs
        endings = full_name_not_followed_by or {}
        self.entries: dict[str, list[Entry]] = defaultdict(list)
        for d in divisions:
            # a full name that is a common noun (城区, 矿区) is linked when typed, never matched bare
            not_followed = tuple(w for end, words in endings.items() if d.name.endswith(end) for w in words)
            self._add(
                Entry(
                    d.name, "GPE", "gpe.admin.full", 70, (d.code,), d.name, "any" if d.name_keep else "lookup_only", not_followed
                )
            )
            for s in d.short:
                if s.keep:
                    self._add(Entry(s.text, "GPE", "gpe.admin.short", 55, (d.code,), d.name))
        for p in places:
            kb = (p.kb_id,) if p.kb_id else ()
            self._add(Entry(p.text, p.label, p.id, 72, kb, p.normalized, p.context, tuple(p.not_followed_by)))
            if p.id.startswith("gpe.country.") and p.normalized:
                self._add_official(p.normalized, p.id, kb)
        for c in countries:
            for n in c.names:
                if n.keep:
                    # two-character names must be whole words (马里 in 马里奥 is no country); the
                    # main countries of places.yaml need only start a word (中国 in 中国式现代化)
                    self._add(Entry(n.text, "GPE", c.id, 72, (c.code,), c.official, "whole_word" if len(n.text) <= 2 else "any"))
            self._add_official(c.official, c.id, (c.code,))
        for o in orgs:
            for text in [o.text, *o.aliases]:
                self._add(Entry(text, "ORG", o.id, 72, (), o.text))
        for agency_id, name in agencies:
            self._add(Entry(name, "ORG", agency_id, 72, (), None))
        self._merge_duplicates()
        self.max_len = max((len(k) for k in self.entries), default=0)
        self.prefixes = prefixes_of(self.entries)

    def _add_official(self, official: str, source: str, kb: tuple[str, ...]) -> None:
        """A country's official name is one of its names (中华人民共和国), from four characters
        on: 日本国 would take the 国 of 日本国会."""
        if len(official) >= 4 and official not in self.entries:
            self._add(Entry(official, "GPE", source, 72, kb, official))

    def _add(self, entry: Entry) -> None:
        if entry.context == "any" and (entry.source == "gpe.admin.short" or (entry.label == "ORG" and len(entry.text) <= 2)):
            # short forms and two-character organisation names must be whole words of
            # the segmentation (南岸 in 长江南岸 is not a place, 北约 in 河北约有 no alliance)
            entry.context = "whole_word"
        elif entry.context == "any" and entry.source.startswith("gpe.country.") and len(entry.text) <= 2:
            # a two-character country name starts a word (中国 in 中国式现代化, not in 发展中国家)
            entry.context = "word_start"
        self.entries[entry.text].append(entry)

    def _merge_duplicates(self) -> None:
        """One entry per (text, label): admin names shared by several divisions keep all codes."""
        for text, entries in list(self.entries.items()):
            merged: dict[str, Entry] = {}
            for e in sorted(entries, key=lambda e: -e.priority):
                if e.label in merged:
                    m = merged[e.label]
                    m.kb_ids = tuple(dict.fromkeys(m.kb_ids + e.kb_ids))
                    if m.normalized != e.normalized:
                        m.normalized = m.normalized if len(m.kb_ids) == 1 else None
                else:
                    merged[e.label] = Entry(
                        e.text, e.label, e.source, e.priority, e.kb_ids, e.normalized, e.context, e.not_followed_by
                    )
            self.entries[text] = list(merged.values())

    # -- lookups --------------------------------------------------------
    def lookup(self, text: str, label: str | None = None) -> Entry | None:
        for e in self.entries.get(text, ()):
            if label is None or e.label == label:
                return e
        return None

    def division(self, code: str) -> Division | None:
        return self.divisions.get(code)

    # -- matching -------------------------------------------------------
    def candidates(self, text: str, word_starts: set[int] | None = None, word_ends: set[int] | None = None) -> list[Candidate]:
        """Every gazetteer name in ``text`` that fits the segmentation and its context."""
        out = []
        for i, j in find_names(text, self.prefixes, self.entries, 1, self.max_len):  # longest first at each start
            for e in self.entries[text[i:j]]:
                if not self._context_ok(text, i, j, e, word_starts, word_ends):
                    continue
                out.append(
                    Candidate(
                        i,
                        j,
                        e.label,
                        e.source,
                        e.priority,
                        kb_id=e.kb_ids[0] if len(e.kb_ids) == 1 else None,
                        normalized=e.normalized,
                        attrs={"kb_ids": e.kb_ids} if e.kb_ids else {},
                    )
                )
        return out

    def _context_ok(self, text: str, i: int, j: int, e: Entry, starts: set[int] | None, ends: set[int] | None) -> bool:
        if e.context == "lookup_only":
            return False
        if e.not_followed_by and text.startswith(e.not_followed_by, j):
            return False
        if e.context == "after_verb":
            return i > 0 and text[i - 1] in self.after_verbs
        if e.context == "whole_word" and starts is not None and ends is not None:
            return i in starts and j in ends
        if e.context == "word_start" and starts is not None:
            return i in starts
        return True


def load_gazetteer(root: Path | None = None, packs: tuple[str, ...] | None = None) -> Gazetteer:
    admin_path = (root / "gazetteers" / "admin_divisions.jsonl") if root else rule_path("gazetteers/admin_divisions.jsonl")
    places_path = (root / "gazetteers" / "places.yaml") if root else rule_path("gazetteers/places.yaml")
    orgs_path = (root / "gazetteers" / "organizations.yaml") if root else rule_path("gazetteers/organizations.yaml")
    countries_path = (root / "gazetteers" / "countries.jsonl") if root else rule_path("gazetteers/countries.jsonl")
    divisions = load_jsonl(admin_path, Division)
    check_unique_ids(admin_path, divisions)
    place_file = load_yaml(places_path, PlaceFile)
    places = place_file.places
    after_verbs = frozenset(c for w in place_file.verbs_before_abbreviations for c in w)
    check_unique_ids(places_path, places)
    orgs = load_yaml(orgs_path, OrganizationFile).organizations
    check_unique_ids(orgs_path, orgs)
    countries = load_jsonl(countries_path, Country)
    check_unique_ids(countries_path, countries)
    clash = {c.id for c in countries} & {p.id for p in places}
    if clash:
        raise RuleFileError(countries_path, None, f"ids also in {places_path.name}: {sorted(clash)}")
    for d in divisions:
        for p in d.parents:
            if not re.fullmatch(r"\d{6}", p):
                raise RuleFileError(admin_path, None, f"{d.id}: bad parent code {p!r}")
    if root is None or packs is not None:  # the enabled rule packs add their places and organisations
        from pipeline.nlp.entities.packs import enabled_packs

        for pack, pack_file, _ in enabled_packs(packs):
            places = list(places) + list(pack.places)
            orgs = list(orgs) + list(pack.organizations)
            check_unique_ids(pack_file, places)
            check_unique_ids(pack_file, orgs)
    byl = load_byline_rules()
    agencies = [(f"org.{a.id}", name) for a in byl.agencies for name in [a.name, *a.aliases]]
    return Gazetteer(divisions, places, orgs, agencies, countries, after_verbs, place_file.full_name_not_followed_by)


@per_rules
def default_gazetteer() -> Gazetteer:
    """The gazetteer of the rules read now, with their packs, loaded once per such pair."""
    return load_gazetteer()
