"""Bylines, datelines and photo credits.

* byline lines: ``□ 重庆日报记者 张亦筑``, ``本报记者 唐琴 杨璇 通讯员 黄亚``
* datelines opening the first paragraph: ``新华社北京7月10日电（记者 白瀛）``,
  ``新渝报讯（记者 邓小强 通讯员 黄亚）``
* photo credits closing a caption: ``重庆日报通讯员 谭启云 徐锐 周文霞 摄``

The agencies, role words and markers are data (``rules/bylines.yaml``);
this module only holds the grammar that combines them. It is knowledge that several
stages share: cleaning finds bylines and datelines with it, the NER's rule component
reads the names and papers in them, the gazetteer the papers, the NER stage their home
places and the relations the paper a reporter writes for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from pipeline.rules import StrictModel, alternation, check_unique_ids, load_yaml, per_rules_folder, rule_path

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
    #: a token that ends in one of these names the people's unit (鄞州记者站), not a person
    unit_suffixes: list[str] = []
    #: labels of a metadata line's source (来源：浙江日报)
    source_labels: list[str] = []
    #: what closes a byline written before the text (山西日报记者秦洋报道)
    report_markers: list[str] = []


def load_rules(path: str | None = None) -> BylineRules:
    """The byline rules of ``path`` (default: ``bylines.yaml`` of the rules read now), loaded once."""
    return _load_rules(path or str(rule_path("bylines.yaml")))


@lru_cache(maxsize=4)
def _load_rules(p: str) -> BylineRules:
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
    #: the people's units named in the byline (鄞州记者站, 共享联盟奉化站)
    units: list[str] = field(default_factory=list)

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
# a date or time in a metadata line (2021-08-28 16:50)
_STAMP = re.compile(r"^[\d:\-/.]+$")
# a two-character name the page wrote with a space (严 龙): one name
_SPACED_NAME = re.compile(f"(?<![{CJK}])([{CJK}]) ([{CJK}])(?![{CJK}])")


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
        # role words written against the names around them (记者李铮通讯员王飞李永), a known paper
        # before one (本报记者张靖); not 记者 of 鄞州记者站
        units = alternation(r.unit_suffixes) if r.unit_suffixes else None
        self._glued_role = re.compile(
            f"(?:{alternation(known + r.self_reference)})?(?:{roles})" + (f"(?!{units})" if units else "")
        )
        self._unit = re.compile(f"[{CJK}]{{1,12}}(?:{units})$") if units else None
        from pipeline.rules import shared_lexicon

        surnames = shared_lexicon("SURNAME")
        self._surnames = frozenset(surnames)
        self._compound = tuple(x for x in surnames if len(x) > 1)
        photo = re.escape(r.photo_credit_marker)
        self._token = re.compile(f"^(?:(?P<agency>{agency})?(?P<role>{roles}))?(?P<name>(?:{_NAME})?)(?P<photo>{photo})?$")
        self._markers = re.compile(f"^[{re.escape(r.byline_markers)}\\s]+")
        self._dateline = re.compile(
            f"^(?P<agency>{agency})"
            f"(?:(?P<place>[{CJK}]{{2,8}}?)?(?P<date>\\d{{1,2}}月\\d{{1,2}}日)?(?:电|讯))"
            f"\\s*(?:[（(](?P<credit>[^）)\\n]{{1,80}})[）)])?\\s*"
        )
        self.photo_marker = r.photo_credit_marker
        # （记者冯芸）百年大计…: a bracketed credit opening the first paragraph
        self._bracket_credit = re.compile(r"^[（(](?P<credit>[^）)\n]{2,60})[）)]\s*")
        # 山西日报记者秦洋报道 5月18日，…: a credit closed by 报道
        self._reported = (
            re.compile(f"^(?P<credit>(?:{agency})?(?:{roles})[{CJK} ]{{2,20}}?)(?:{alternation(r.report_markers)})\\s*")
            if r.report_markers
            else None
        )

    def agency_name(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.canonical.get(name, name)

    def parse(self, line: str, *, require_photo: bool = False) -> Byline | None:
        """Parse a whole line as a byline or photo credit; ``None`` if it is not one."""
        text = line.strip()
        if not text or len(text) > 80:
            return None
        body = _EDITOR_CODE.sub("", self._markers.sub("", text)).strip()
        if body[:1] in "（(" and body[-1:] in "）)":
            body = body[1:-1].strip()  # （严 龙 杜志炎 摄）
        body = _SPACED_NAME.sub(r"\1\2", body)
        pieces = [piece for token in body.split() for piece in self._pieces(token)]
        tokens = [t for kind, t in pieces if kind == "token"]
        if not tokens:
            return None
        out = Byline(text=text)
        for kind, t in pieces:
            if kind == "source":
                out.agency = self.agency_name(t)
            elif kind == "unit":
                out.units.append(t)
        current: str | None = None  # field that following names fill
        names_since_role: list[str] = []
        leading: list[str] = []  # names before any role word (a credit's 邵秀清 丰莉莎 记者 于山 摄)
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
                else:
                    leading.append(name)
            if m.group("photo"):
                photo = True
        if photo:
            # "通讯员 谭启云 徐锐 周文霞 摄": the last group of names took the photos, and so did
            # names before any role word (浙报融媒共享联盟衢江站 邵秀清 丰莉莎 记者 于山 摄)
            for name in dict.fromkeys(leading + names_since_role):
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

    def _pieces(self, token: str) -> list[tuple[str, str]]:
        """A whitespace token as (kind, text) pieces: ``token`` (a role, a name, a paper with its
        role, 摄), ``unit`` (鄞州记者站), ``source`` (the paper of 来源：浙江日报) or ``skip``
        (a date stamp); role words and names written together are cut apart."""
        if _STAMP.match(token):
            return [("skip", token)]
        label, sep, rest = token.replace(":", "：").partition("：")
        if sep and rest:
            if label in self.rules.source_labels:
                return [("source", rest)]
            return self._pieces(label) + self._pieces(rest)
        if self._token.match(token) and not self._names_together(token):
            return [("token", token)]
        out: list[tuple[str, str]] = []
        pos = 0
        for m in self._glued_role.finditer(token):
            if m.start() > pos:
                out += self._names(token[pos : m.start()])
            if m.end() < len(token) and token[m.end() :] == self.photo_marker:
                out.append(("token", m.group(0)))
                out.append(("token", self.photo_marker))
                return out
            out.append(("token", m.group(0)))
            pos = m.end()
        tail = token[pos:]
        if tail:
            marker = tail.endswith(self.photo_marker) and len(tail) > 1
            out += self._names(tail[:-1] if marker else tail)
            if marker:
                out.append(("token", self.photo_marker))
        return out

    def _names_together(self, token: str) -> bool:
        """王飞李永: two names of two characters written as one token (both begin with a surname)."""
        return (
            len(token) == 4 and not token.startswith(self._compound) and token[0] in self._surnames and token[2] in self._surnames
        )

    def _names(self, run: str) -> list[tuple[str, str]]:
        """Names written together (王飞李永, 陈波章燕飞), and units among them (邹建军鄞州记者站陈波):
        cut into names that begin with a surname (two or three characters, one more after a
        compound surname) and units; the cut with the fewest pieces. A run that cannot be cut
        so stays whole (and is then no byline)."""
        n = len(run)
        # per prefix: (characters inside units, pieces, previous cut): names first (邹建军 |
        # 鄞州记者站, not one unit 邹建军鄞州记者站), then the fewest pieces
        best: list[tuple[int, int, int] | None] = [None] * (n + 1)
        best[0] = (0, 0, -1)
        for i in range(n):
            at_i = best[i]
            if at_i is None:
                continue
            steps = []
            head = next((c for c in self._compound if run.startswith(c, i)), run[i] if run[i] in self._surnames else None)
            if head is not None:
                steps += [(i + len(head) + k, 0) for k in (1, 2)]
            if self._unit is not None:
                steps += [
                    (j, j - i)
                    for j in range(i + 3, n + 1)
                    if self._unit.match(run, i, j) and run[i:j] not in self.rules.unit_suffixes
                ]
            for j, unit_chars in steps:
                if j > n:
                    continue
                cand = (at_i[0] + unit_chars, at_i[1] + 1, i)
                at_j = best[j]
                if at_j is None or cand[:2] < at_j[:2]:
                    best[j] = cand
        if best[n] is None:
            return [("token", run)]
        cuts, j = [], n
        while j > 0:
            at_j = best[j]
            assert at_j is not None  # each cut reached j through a set entry
            i = at_j[2]
            cuts.append((i, j))
            j = i
        out = []
        for i, j in reversed(cuts):
            piece = run[i:j]
            unit = self._unit is not None and j - i >= 3 and bool(self._unit.match(piece)) and not self._token.match(piece)
            out.append(("unit" if unit else "token", piece))
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
            return self._credit_first(paragraph, whole)
        rest = paragraph[m.end() :]
        if not rest and not whole:
            return None  # a paragraph that is only "...报讯" is not a dateline
        byline = None
        if m.group("credit"):
            byline = self.parse(m.group("credit"))
            if byline is None:
                return None  # brackets that hold something else
        elif not (m.group("date") or m.group("place")) and paragraph[m.end() - 1 : m.end()] not in "讯 ":
            return None
        return Dateline(
            end=m.end(),
            agency=self.agency_name(m.group("agency")),
            place=m.group("place"),
            date=m.group("date"),
            byline=byline,
        )

    def _credit_first(self, paragraph: str, whole: bool) -> Dateline | None:
        """A credit that opens a paragraph without a paper's dateline: bracketed
        (（记者冯芸）百年大计…) or closed by 报道 (山西日报记者秦洋报道 5月18日，…); it must
        hold a role word."""
        for pattern in (self._bracket_credit, self._reported):
            m = pattern.match(paragraph) if pattern is not None else None
            if m is None or (not whole and not paragraph[m.end() :].strip()):
                continue
            credit = m.group("credit")
            byline = self.parse(credit)
            if byline is None or not any(w in credit for w in self.role_field):
                continue
            return Dateline(end=m.end(), agency=byline.agency, place=None, date=None, byline=byline)
        return None


@per_rules_folder
def default_parser() -> BylineParser:
    """The byline parser of the rules read now (:func:`settings.rules_dir`), built once per folder."""
    return BylineParser()
