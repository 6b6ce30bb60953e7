"""Character prefilters for compiled rule patterns.

Most rule patterns of ``rules/entities.yaml`` end in a short list of words
(公司|集团, 气田|油田 ...) after a run of any CJK characters. ``re`` tries such
a pattern at every position of every sentence, although a sentence without
one of those words cannot match it. :func:`required_chars` reads a pattern's
parse tree and returns characters of which every match contains at least one;
a caller skips the pattern for a text that has none of them. The output is
the same with or without the prefilter: the analysis only ever answers
``None`` (no prefilter) where it is not sure.
"""

from __future__ import annotations

import re

try:  # Python >= 3.11; ``sre_parse`` before (deprecated since 3.11)
    from re import _parser as _sre  # type: ignore[attr-defined]  # typeshed has no stub for re._parser
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre

#: A character class wider than this (a CJK range, ``\d``) is no prefilter.
MAX_CLASS_CHARS = 64


def required_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Characters of which every match of ``pattern`` contains one; ``None`` when
    no small such set is known (the pattern must then be tried on every text)."""
    if pattern.flags & re.IGNORECASE or not isinstance(pattern.pattern, str):
        return None
    try:
        tree = _sre.parse(pattern.pattern, pattern.flags)
    except re.error:  # pragma: no cover - the pattern compiled, so it parses
        return None
    return _sequence(list(tree))


def _sequence(items) -> frozenset[str] | None:
    """Every item of a sequence is matched, so any one item's set will do: the smallest."""
    best = None
    for op, av in items:
        chars = _item(op, av)
        if chars is not None and (best is None or len(chars) < len(best)):
            best = chars
    return best


def _item(op, av) -> frozenset[str] | None:
    if op is _sre.LITERAL:
        return frozenset(chr(av))
    if op is _sre.IN:
        return _class(av)
    if op is _sre.BRANCH:
        out: set[str] = set()
        for alternative in av[1]:
            chars = _sequence(list(alternative))
            if chars is None:
                return None
            out |= chars
        return frozenset(out) if len(out) <= MAX_CLASS_CHARS else None
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        if add_flags & re.IGNORECASE:
            return None
        return _sequence(list(sub))
    if op in (
        _sre.MAX_REPEAT,
        _sre.MIN_REPEAT,
        getattr(_sre, "POSSESSIVE_REPEAT", None),
    ):
        low, _high, sub = av
        return _sequence(list(sub)) if low >= 1 else None
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _sequence(list(av))
    # lookarounds and anchors match no character; ANY, NOT_LITERAL, categories
    # and group references match too many to name
    return None


def _class(items) -> frozenset[str] | None:
    out: set[str] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            out.add(chr(av))
        elif op is _sre.RANGE and av[1] - av[0] < MAX_CLASS_CHARS:
            out.update(chr(c) for c in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY, a wide range
            return None
        if len(out) > MAX_CLASS_CHARS:
            return None
    return frozenset(out) if out else None
