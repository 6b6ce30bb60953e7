"""Text that remembers where each of its characters came from.

:class:`OText` pairs a string with an array of raw offsets, one per
character: ``otext.offsets[i]`` is the index in the raw document of the
character that became ``otext.text[i]``. Cleaning steps are small functions
``OText -> OText``; as long as each one only deletes characters, keeps them,
or replaces one character by one, the map stays exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OText:
    text: str
    offsets: np.ndarray  # int64, len(offsets) == len(text)

    def __post_init__(self) -> None:
        if len(self.offsets) != len(self.text):
            raise ValueError(f"offset map has {len(self.offsets)} entries for {len(self.text)} characters")

    # -- construction -------------------------------------------------
    @classmethod
    def from_raw(cls, raw: str, start: int = 0, end: int | None = None) -> OText:
        end = len(raw) if end is None else end
        return cls(raw[start:end], np.arange(start, end, dtype=np.int64))

    @classmethod
    def empty(cls) -> OText:
        return cls("", np.zeros(0, dtype=np.int64))

    @classmethod
    def join(cls, parts: Sequence[OText], sep: str = "") -> OText:
        """Concatenate ``parts``; each separator character maps to the raw
        position just after the end of the part before it (the raw newline
        or space that separated them in the page)."""
        parts = [p for p in parts]
        if not parts:
            return cls.empty()
        texts: list[str] = []
        arrays: list[np.ndarray] = []
        for i, part in enumerate(parts):
            if i and sep:
                prev = parts[i - 1]
                anchor = int(prev.offsets[-1]) + 1 if len(prev) else (int(part.offsets[0]) if len(part) else 0)
                texts.append(sep)
                arrays.append(np.full(len(sep), anchor, dtype=np.int64))
            texts.append(part.text)
            arrays.append(part.offsets)
        return cls("".join(texts), np.concatenate(arrays))

    # -- basic protocol -----------------------------------------------
    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, item: slice) -> OText:
        if not isinstance(item, slice):
            raise TypeError("OText supports slicing only")
        return OText(self.text[item], self.offsets[item])

    def __str__(self) -> str:
        return self.text

    # -- steps --------------------------------------------------------
    def translate(self, table: dict[int, str]) -> OText:
        """Replace characters one for one (``table`` values must be single characters)."""
        out = self.text.translate(table)
        if len(out) != len(self.text):
            raise ValueError("translate() table must map characters one for one")
        return OText(out, self.offsets)

    def keep(self, spans: Iterable[tuple[int, int]]) -> OText:
        """Keep only the characters inside ``spans`` (sorted, non-overlapping)."""
        pieces: list[str] = []
        idx: list[np.ndarray] = []
        for start, end in spans:
            if end > start:
                pieces.append(self.text[start:end])
                idx.append(self.offsets[start:end])
        if not pieces:
            return OText.empty()
        return OText("".join(pieces), np.concatenate(idx))

    def delete(self, spans: Iterable[tuple[int, int]]) -> OText:
        """Delete the characters inside ``spans`` (sorted, non-overlapping)."""
        keep: list[tuple[int, int]] = []
        pos = 0
        for start, end in spans:
            if start > pos:
                keep.append((pos, start))
            pos = max(pos, end)
        if pos < len(self.text):
            keep.append((pos, len(self.text)))
        if len(keep) == 1 and keep[0] == (0, len(self.text)):
            return self
        return self.keep(keep)

    def delete_matches(self, pattern: re.Pattern[str], group: int | str = 0) -> OText:
        return self.delete(m.span(group) for m in pattern.finditer(self.text) if m.start(group) >= 0)

    def strip(self, chars: str | None = None) -> OText:
        stripped_left = len(self.text) - len(self.text.lstrip(chars))
        end = len(self.text.rstrip(chars))
        if end <= stripped_left:
            return OText.empty()
        return self[stripped_left:end]

    def pipe(self, *steps: Callable[[OText], OText]) -> OText:
        out = self
        for step in steps:
            out = step(out)
        return out

    # -- mapping back ---------------------------------------------------
    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw ``[start, end)`` covering clean characters ``[start, end)``."""
        if not 0 <= start <= end <= len(self.text):
            raise IndexError(f"span ({start}, {end}) outside text of length {len(self.text)}")
        if end == start:
            if start < len(self.text):
                pos = int(self.offsets[start])
            elif len(self.text):
                pos = int(self.offsets[-1]) + 1
            else:
                pos = 0
            return pos, pos
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1
