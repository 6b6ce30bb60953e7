"""Longest-first dictionary matching by prefixes, shared by the gazetteer, the
name lexicon and the pkuseg decoder.

Trying every length at every position costs one lookup per length; scanning
upward while the string is still the prefix of some name stops after one or
two lookups at most positions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

try:
    from pipeline.nlp.inference._segment import find_names as _find_names_c
except ImportError:  # not built (no C compiler at install): the plain loop below
    _find_names_c = None


def prefixes_of(names: Iterable[str], min_len: int = 1) -> frozenset[str]:
    """Every prefix of ``min_len`` characters or more of every name."""
    return frozenset(name[:k] for name in names for k in range(min_len, len(name) + 1))


def name_ends(text: str, start: int, prefixes: Collection[str], names: Collection[str], min_len: int, max_len: int) -> list[int]:
    """Ends (ascending) of the names that begin at ``start``, ``min_len`` to ``max_len`` long."""
    ends = []
    for end in range(start + min_len, min(len(text), start + max_len) + 1):
        piece = text[start:end]
        if piece not in prefixes:
            break
        if piece in names:
            ends.append(end)
    return ends


def find_names_py(
    text: str, prefixes: Collection[str], names: Collection[str], min_len: int, max_len: int
) -> list[tuple[int, int]]:
    """(start, end) of every name in ``text``: starts ascending, the longest name
    first at each start (the plain-Python twin of the compiled ``find_names``)."""
    return [
        (i, j) for i in range(len(text) - min_len + 1) for j in reversed(name_ends(text, i, prefixes, names, min_len, max_len))
    ]


def find_names(text: str, prefixes: Collection[str], names: Collection[str], min_len: int, max_len: int) -> list[tuple[int, int]]:
    """(start, end) of every name in ``text``: starts ascending, the longest name
    first at each start. ``prefixes`` is ``prefixes_of(names, min_len)``."""
    if _find_names_c is not None:
        return _find_names_c(text, prefixes, names, min_len, max_len)
    return find_names_py(text, prefixes, names, min_len, max_len)
