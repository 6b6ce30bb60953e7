"""Bylines, datelines and photo credits.

* byline lines: ``□ 重庆日报记者 张亦筑``, ``本报记者 唐琴 杨璇 通讯员 黄亚``
* datelines opening the first paragraph: ``新华社北京7月10日电（记者 白瀛）``,
  ``新渝报讯（记者 邓小强 通讯员 黄亚）``
* photo credits closing a caption: ``重庆日报通讯员 谭启云 徐锐 周文霞 摄``

The agencies, role words and markers are data (``rules/bylines.yaml``);
this module only holds the grammar that combines them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from pipeline.rules import StrictModel, alternation, check_unique_ids, load_yaml, rule_path

CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_NAME = f"[{CJK}]{{2,4}}(?:[·•][{CJK}]{{1,8}})?"


class Place(StrictModel):
    name: str
    kb_id: str | None = None


class Agency(StrictModel):
    id: str
    name: str
    kind: Literal["newspaper", "news_agency", "broadcaster", "website"]
    aliases: list[str] = []
    home: Place | None = None


class Role(StrictModel):
    id: str
    field: Literal["reporters", "correspondents", "photographers"]
    words: list[str]


class BylineRules(StrictModel):
    version: int
    agencies: list[Agency]
    agency_suffixes: list[str]
    self_reference: list[str]
    roles: list[Role]
    photo_credit_marker: str
    byline_markers: str


@lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> BylineRules:
    p = path or str(rule_path("bylines.yaml"))
    rules = load_yaml(p, BylineRules)
    check_unique_ids(p, rules.agencies)
    check_unique_ids(p, rules.roles)
    return rules


@dataclass
class Byline:
    text: str
    start: int = -1  # raw span of the byline text when known
    end: int = -1
    agency: str | None = None
    reporters: list[str] = field(default_factory=list)
    correspondents: list[str] = field(default_factory=list)
    photographers: list[str] = field(default_factory=list)

    @property
    def people(self) -> list[str]:
        return self.reporters + self.correspondents + self.photographers


@dataclass
class Dateline:
    end: int  # characters of the paragraph taken by the dateline (and following spaces)
    agency: str | None
    place: str | None
    date: str | None
    byline: Byline | None




# an editor's code that papers print before a credit (⑧3, ②11): a circled number and digits
_EDITOR_CODE = re.compile(r"^[\u2460-\u2473\u24ea]\d*")


class BylineParser:
    def __init__(self, rules: BylineRules | None = None):
        self.rules = rules or load_rules()
        r = self.rules
        self.role_field = {w: role.field for role in r.roles for w in role.words}
        known = [a.name for a in r.agencies] + [al for a in r.agencies for al in a.aliases]
        self.canonical = {al: a.name for a in r.agencies for al in a.aliases}
        roles = alternation(list(self.role_field))
        # a paper named by its suffix (新渝报); never across a role word (本报记者张靖本报 is no paper)
        generic = f"(?:(?!{roles})[{CJK}]){{1,8}}?(?:{alternation(r.agency_suffixes)})"
        agency = f"(?:{alternation(known + r.self_reference)}|{generic})"
        # where a byline written without spaces starts its next part: a known paper and a role
        # word right after a name (本报记者张靖本报通讯员郜敏)
        self._next_part = re.compile(f"(?<=[{CJK}])(?=(?:{alternation(known + r.self_reference)})(?:{roles}))")
        photo = re.escape(r.photo_credit_marker)
        self._token = re.compile(
            f"^(?:(?P<agency>{agency})?(?P<role>{roles}))?(?P<name>(?:{_NAME})?)(?P<photo>{photo})?$"
        )
        self._markers = re.compile(f"^[{re.escape(r.byline_markers)}\\s]+")
        self._dateline = re.compile(
            f"^(?P<agency>{agency})"
            f"(?:(?P<place>[{CJK}]{{2,8}}?)?(?P<date>\\d{{1,2}}月\\d{{1,2}}日)?电|讯)"
            f"\\s*(?:[（(](?P<credit>[^）)\\n]{{1,80}})[）)])?\\s*"
        )
        self.photo_marker = r.photo_credit_marker

    def agency_name(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.canonical.get(name, name)

    def parse(self, line: str, *, require_photo: bool = False) -> Byline | None:
        """Parse a whole line as a byline or photo credit; ``None`` if it is not one."""
        text = line.strip()
        if not text or len(text) > 80:
            return None
        body = _EDITOR_CODE.sub("", self._markers.sub("", text))
        tokens = [part for token in body.split()
                  for part in ([token] if self._token.match(token) else self._next_part.split(token)) if part]
        if not tokens:
            return None
        out = Byline(text=text)
        current: str | None = None  # field that following names fill
        names_since_role: list[str] = []
        seen_role = photo = False
        for i, token in enumerate(tokens):
            m = self._token.match(token)
            if not m or not any(m.group(g) for g in ("role", "name", "photo")):
                return None
            if m.group("photo") and i != len(tokens) - 1:
                return None  # 摄 closes a credit
            if m.group("role"):
                seen_role = True
                current = self.role_field[m.group("role")]
                names_since_role = []
                if m.group("agency"):
                    if out.agency is not None and out.agency != m.group("agency"):
                        return None
                    out.agency = self.agency_name(m.group("agency"))
            name = m.group("name")
            if name:
                # names before any role word count only in a photo credit ("张三 李四 摄")
                names_since_role.append(name)
                if current is not None:
                    getattr(out, current).append(name)
            if m.group("photo"):
                photo = True
        if photo:
            # "通讯员 谭启云 徐锐 周文霞 摄": the last group of names took the photos
            for name in names_since_role:
                for fld in ("reporters", "correspondents"):
                    if name in getattr(out, fld):
                        getattr(out, fld).remove(name)
                if name not in out.photographers:
                    out.photographers.append(name)
        if require_photo and not photo:
            return None
        if not (seen_role or photo) or not out.people:
            return None
        if not seen_role and len(names_since_role) != len(tokens) - (0 if tokens[-1] != self.photo_marker else 1):
            return None
        return out

    def is_photo_credit(self, line: str) -> Byline | None:
        stripped = line.strip()  # ⑧3高超 秦林林 摄: parse() drops the page's editor code
        if not stripped.endswith(self.photo_marker):
            return None
        return self.parse(stripped, require_photo=True)

    def match_dateline(self, paragraph: str, whole: bool = False) -> Dateline | None:
        """A dateline at the start of a paragraph (``新华社北京7月10日电（记者 白瀛）``).

        ``whole``: the text is a dateline already cut off its paragraph (the
        NER stage sees it as a sentence of its own).
        """
        m = self._dateline.match(paragraph)
        if not m:
            return None
        rest = paragraph[m.end():]
        if not rest and not whole:
            return None  # a paragraph that is only "...报讯" is not a dateline
        byline = None
        if m.group("credit"):
            byline = self.parse(m.group("credit"))
            if byline is None:
                return None  # brackets that hold something else
        elif not (m.group("date") or m.group("place")) and paragraph[m.end() - 1:m.end()] not in "讯 ":
            return None
        return Dateline(
            end=m.end(),
            agency=self.agency_name(m.group("agency")),
            place=m.group("place"),
            date=m.group("date"),
            byline=byline,
        )


@lru_cache(maxsize=4)
def default_parser() -> BylineParser:
    return BylineParser()
