"""Name lexicon features for the character tokens (the "soft lexicon").

Each character learns, besides its pkuseg word, which lexicon names cover it
and where: ``MORPH`` carries ``Lex=`` values such as ``nrB`` (first character
of a person name of the lexicon), ``nsE`` (last character of a place name),
``ntI`` (inside an organisation name), ``nrS``... one value per name type,
from the longest name of that type that covers the character. The NER
model's embedding reads MORPH like the other attributes; how much to trust
a noisy lexicon is learned from the training data.

The lexicon file is one ``name<TAB>type`` per line (types ``nr`` person,
``ns`` place, ``nt`` organisation); it is built by
:mod:`pipeline.training.lexicon` and saved with the tokenizer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from pipeline.nlp.segmentation.prefixes import find_names, prefixes_of

try:
    from pipeline.nlp.inference._segment import Trie, lexicon_column
except ImportError:  # not built (no C compiler at install): features() below, the twin
    Trie = lexicon_column = None

TYPES = ("nr", "ns", "nt")  # sorted: a feature lists its types in this order
#: positions in a name, as a feature code holds them (2 bits per type)
_POSITIONS = ("", "B", "I", "E")


class Lexicon:
    def __init__(self, entries: dict[str, str]):
        self.entries = entries
        self.max_len = max((len(w) for w in entries), default=0)
        self.prefixes = prefixes_of(entries, 2)
        self._trie = None

    @classmethod
    def from_file(cls, path: str | Path) -> Lexicon:
        entries: dict[str, str] = {}
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                word, _, typ = line.partition("\t")
                if typ not in TYPES or len(word) < 2:
                    raise ValueError(f"{path}:{lineno}: expected 'name<TAB>{'|'.join(TYPES)}', got {line!r}")
                entries.setdefault(word, typ)
        return cls(entries)

    def features(self, chars: list[str] | str) -> list[str]:
        """One MORPH string per character (``""`` where no name covers it); ``chars``
        is the token texts, or a string of one-character tokens."""
        n = len(chars)
        text = chars if isinstance(chars, str) else "".join(c if len(c) == 1 else "\0" for c in chars)
        out = [""] * n
        found = find_names(text, self.prefixes, self.entries, 2, self.max_len)  # the longest name first at each start
        if not found:
            return out
        best: dict[int, dict[str, tuple[int, int]]] = {}  # only the characters some name covers
        entries = self.entries
        for i, j in found:
            typ = entries[text[i:j]]
            length = j - i
            for k in range(i, j):
                by_type = best.get(k)
                if by_type is None:
                    best[k] = {typ: (i, j)}
                    continue
                cur = by_type.get(typ)
                if cur is None or cur[1] - cur[0] < length:
                    by_type[typ] = (i, j)
        for k, by_type in best.items():
            vals = []
            for typ, (i, j) in sorted(by_type.items()):
                vals.append(typ + ("B" if k == i else ("E" if k == j - 1 else "I")))
            out[k] = "Lex=" + ",".join(vals)
        return out

    # -- the compiled twin of features(), as vocabulary keys -------------------------
    @staticmethod
    def code_string(code: int) -> str:
        """The feature (``features()``'s string) of a code of ``fill_column``: 2 bits per type of
        ``TYPES``, 0 no name, 1 first character, 2 inside, 3 last character."""
        vals = [typ + _POSITIONS[(code >> (2 * t)) & 3] for t, typ in enumerate(TYPES) if (code >> (2 * t)) & 3]
        return "Lex=" + ",".join(vals) if vals else ""

    def fill_column(self, text: str, out: np.ndarray, col: int, table: FeatureKeys, compiled: bool = True) -> None:
        """``out[k, col]`` = the key of ``features(text)[k]`` in ``table``'s vocabulary, for
        each character: by the compiled loop where the module is built and ``compiled``, else
        from ``features`` (its twin)."""
        if lexicon_column is None or not compiled:
            out[:, col] = [table.key(f) for f in self.features(text)]
            return
        if self._trie is None:
            self._trie = Trie({w: TYPES.index(typ) + 1 for w, typ in self.entries.items()})
        while True:
            missing = lexicon_column(self._trie, text, 2, self.max_len, len(TYPES), table.keys, table.known, out, col)
            if missing < 0:
                return
            table.add(missing, self.code_string(missing))


class FeatureKeys:
    """Vocabulary keys of MORPH strings (``key_of`` gives one, ``key`` caches it), and of the
    lexicon features by code for ``Lexicon.fill_column``, filled as codes first occur (there
    are at most ``4 ** len(TYPES)``)."""

    def __init__(self, key_of: Callable[[str], int]) -> None:
        self.key_of = key_of
        self.keys = np.zeros(4 ** len(TYPES), dtype=np.uint64)
        self.known = np.zeros(4 ** len(TYPES), dtype=np.uint8)
        self._by_string: dict[str, int] = {}

    def key(self, feature: str) -> int:
        key = self._by_string.get(feature)
        if key is None:
            key = self._by_string[feature] = self.key_of(feature)
        return key

    def add(self, code: int, feature: str) -> None:
        self.keys[code] = self.key(feature)
        self.known[code] = 1
