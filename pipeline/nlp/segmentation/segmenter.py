"""Our pkuseg word segmenter: loading, normalisation, cutting.

The model is trained by :mod:`pipeline.training.segmenter` on People's Daily
1998-01 and shipped inside the spaCy pipeline, ``models/zh_news/tokenizer/pkuseg/``. Input is normalised to half-width
(one character for one) exactly as in training, so offsets never move.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from pipeline import settings
from pipeline.cleaning.normalize import half_width
from pipeline.nlp.segmentation import seglexicon


def default_model_dir() -> Path:
    """The shipped segmenter: saved inside the spaCy pipeline's tokenizer (one copy)."""
    return settings.models_dir() / "zh_news" / "tokenizer" / "pkuseg"


#: what the segmenter reads: full-width forms in half width, one character for one
normalize = half_width


#: symbols that are always a word of their own: the training corpus never puts
#: them inside a word (℃ 10 of 10, ● 77 of 77, ▲ 12, △ 14, ° 2), but the model,
#: which has seen them a few times only, glues them to numbers (-3℃/5 -> "℃/5").
#: Degree signs, letterlike units, arrows, box drawing, shapes and stars; not ○,
#: which the corpus writes as a digit zero (二○○○年).
STANDALONE_SYMBOLS = re.compile(r"([°℃℉\u2190-\u21ff\u2500-\u25ca\u25cc-\u25ff\u2605\u2606])")


def cut_with(cut, text: str) -> list[str]:
    """``cut(text)`` with every standalone symbol a word of its own."""
    if not STANDALONE_SYMBOLS.search(text):
        return cut(text)
    words: list[str] = []
    for i, piece in enumerate(STANDALONE_SYMBOLS.split(text)):
        if i % 2:
            words.append(piece)
        elif piece:
            words.extend(cut(piece))
    return words


class Segmenter:
    """A spacy-pkuseg model plus an optional user dictionary (one word per line)."""

    def __init__(self, model_dir: str | os.PathLike, user_dict: str | os.PathLike | None = None, fast: bool = True):
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "features.msgpack").is_file() or not (self.model_dir / "weights.npz").is_file():
            raise FileNotFoundError(f"no pkuseg model in {self.model_dir} (features.msgpack, weights.npz): run `make models`")
        self.user_dict = Path(user_dict) if user_dict else None
        if self.user_dict is not None and not self.user_dict.is_file():
            raise FileNotFoundError(f"pkuseg user dictionary {self.user_dict} not found")
        # user_dict=None: no dictionary at all (pkuseg's "default" one costs 1.2 F1 on PKU)
        from pipeline import settings

        if self.user_dict is None and fast and settings.compiled():
            from pipeline.nlp.inference.fastseg import FastPkuseg

            self._seg = FastPkuseg(self.model_dir)  # the same words, several times faster
        else:
            # spacy-pkuseg itself (with the lexicon features a model trained with them needs)
            self._seg = seglexicon.stock_pkuseg(self.model_dir, self.user_dict)

    def cut(self, text: str) -> list[str]:
        """Words of ``text``; their concatenation is ``normalize(text)`` minus whitespace runs."""
        return cut_with(self._seg.cut, normalize(text))


@lru_cache(maxsize=4)
def load_segmenter(model_dir: str | None = None, user_dict: str | None = None) -> Segmenter:
    return Segmenter(model_dir or default_model_dir(), user_dict)
