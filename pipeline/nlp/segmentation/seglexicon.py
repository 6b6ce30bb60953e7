"""Word-lexicon features for the pkuseg segmenter.

pkuseg's own word features are lexicalised: each word of the training text has
its own weight (``w-1.<word>``), so a word the training text never had gets
none. A segmenter trained on one month of 1998 then reads 2000s news with
words it has never seen. A lexicon from outside the training text helps with
features that do not name the word. For every character, the length (2 to 6,
longer words count as 6, 0 for none) of the longest lexicon word that

* begins at it (``lxB.<k>``),
* ends at it (``lxE.<k>``),
* covers it strictly inside (``lxM.<k>``),

and the three together (``lxS.<b>.<e>.<m>``). The model learns from the
training text how far to trust the lexicon; since the lexicon is not made from
that text, the trust it learns is the trust it deserves on new text.

The lexicon is ``lexicon.txt`` in the model directory (one word per line).
The features are computed on pkuseg's node string (digits and full-width
letters replaced, keywords made ``&``), so lexicon words holding such
characters can never match and are left out when the lexicon is written.

Training (spacy-pkuseg's trainer) and the stock decoder use
:class:`LexiconFeatureExtractor`, a spacy-pkuseg ``FeatureExtractor`` that adds
these features; ``pipeline.nlp.inference.fastseg`` computes the same features from the
same :func:`spans`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

LEXICON_FILE = "lexicon.txt"
MIN_LEN, MAX_LEN, CAP = 2, 8, 6
#: pkuseg's node placeholders as single characters (fastseg's node string uses the same)
NODE_CHARS = {"**Num": "\ue000", "**Letter": "\ue001"}


@lru_cache(maxsize=1)
def _banned() -> frozenset[str]:
    """Characters pkuseg's node string never holds as themselves."""
    from spacy_pkuseg.feature_extractor import FeatureExtractor

    return frozenset(FeatureExtractor.num | FeatureExtractor.letter | set(FeatureExtractor.keywords) | set(NODE_CHARS.values()))


def usable(word: str) -> bool:
    """Whether ``word`` can ever match pkuseg's node string (no digit,
    full-width letter or keyword character), with a length the features use."""
    if not MIN_LEN <= len(word) <= MAX_LEN:
        return False
    banned = _banned()
    return not any(c in banned or c.isspace() for c in word)


def write_lexicon(words: Iterable[str], path: str | Path) -> int:
    """Write the usable ``words`` (sorted, unique) to ``path`` atomically; return how many."""
    kept = sorted({w for w in words if usable(w)})
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(w + "\n" for w in kept), encoding="utf-8")
    tmp.replace(path)
    return len(kept)


def read_lexicon(path: str | Path) -> frozenset[str]:
    words = frozenset(line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines())
    return words - {""}


def spans(t: str, lexicon: frozenset[str] | set[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each character of ``t``: the capped length of the longest lexicon
    word beginning at it, ending at it, and covering it strictly inside."""
    n = len(t)
    begin = np.zeros(n, dtype=np.int64)
    end = np.zeros(n, dtype=np.int64)
    inside = np.zeros(n, dtype=np.int64)
    contains = lexicon.__contains__
    # lengths in ascending order: a longer word's value overwrites a shorter one's
    for length in range(MIN_LEN, min(MAX_LEN, n) + 1):
        starts = [i for i in range(n - length + 1) if contains(t[i : i + length])]
        if not starts:
            continue
        k = min(length, CAP)
        at = np.array(starts)
        begin[at] = k
        end[at + (length - 1)] = k
        for offset in range(1, length - 1):
            inside[at + offset] = k
    return begin, end, inside


def feature_names(begin: int, end: int, inside: int) -> list[str]:
    names = [f"lxB.{begin}"] if begin else []
    if end:
        names.append(f"lxE.{end}")
    if inside:
        names.append(f"lxM.{inside}")
    names.append(f"lxS.{begin}.{end}.{inside}")
    return names


def node_string(nodes: list[str]) -> str:
    """pkuseg's normalised nodes as one character each."""
    return "".join(NODE_CHARS.get(node, node) for node in nodes)


def extractor_class(lexicon: frozenset[str]):
    """A spacy-pkuseg ``FeatureExtractor`` class that adds the features of
    ``lexicon`` (a class, because spacy-pkuseg's trainer makes its extractor
    with ``FeatureExtractor()``)."""
    from spacy_pkuseg.feature_extractor import FeatureExtractor

    class LexiconFeatureExtractor(FeatureExtractor):
        """spacy-pkuseg's features plus the lexicon features of this module.

        ``get_node_features`` (feature strings: training) and
        ``get_node_features_idx`` (feature ids: the stock decoder) both add
        them. The spans of the last node list are cached, since pkuseg asks
        for one character at a time.
        """

        def _lexicon_names(self, nodes: list[str], idx: int) -> list[str]:
            cached = getattr(self, "_cached", None)
            if cached is None or cached[0] is not nodes:
                begin, end, inside = spans(node_string(nodes), self.lexicon)
                cached = self._cached = (nodes, begin.tolist(), end.tolist(), inside.tolist())
            return feature_names(cached[1][idx], cached[2][idx], cached[3][idx])

        def get_node_features(self, idx, wordary):
            return super().get_node_features(idx, wordary) + self._lexicon_names(wordary, idx)

        def get_node_features_idx(self, idx, nodes):
            ids = super().get_node_features_idx(idx, nodes)
            table = self.feature_to_idx
            ids.extend(table[name] for name in self._lexicon_names(nodes, idx) if name in table)
            return ids

    LexiconFeatureExtractor.lexicon = lexicon
    return LexiconFeatureExtractor


def with_lexicon(base, lexicon: frozenset[str]):
    """``base``, a loaded spacy-pkuseg extractor, with the lexicon features added."""
    cls = extractor_class(lexicon)
    ext = cls.__new__(cls)
    ext.__dict__.update(vars(base))
    return ext


def stock_pkuseg(model_dir: str | Path, user_dict: str | Path | None = None, lexicon: frozenset[str] | None = None):
    """spacy-pkuseg's own segmenter for the model in ``model_dir``, with the
    lexicon features where the model has them (``lexicon``: already read)."""
    import spacy_pkuseg

    seg = spacy_pkuseg.pkuseg(model_name=str(model_dir), user_dict=str(user_dict) if user_dict else None)
    if lexicon is None:
        lexicon = model_lexicon(model_dir, seg.feature_extractor.feature_to_idx)
    if lexicon is not None:
        seg.feature_extractor = with_lexicon(seg.feature_extractor, lexicon)
    return seg


def model_lexicon(model_dir: str | Path, feature_names: Iterable[str] | None = None) -> frozenset[str] | None:
    """The lexicon of the model in ``model_dir``, or None for a plain pkuseg model.

    With ``feature_names`` (the model's features), a model that has lexicon
    features but no lexicon file fails here: without it those features would
    silently never fire.
    """
    path = Path(model_dir) / LEXICON_FILE
    if path.is_file():
        return read_lexicon(path)
    if feature_names is not None and any(name.startswith("lxS.") for name in feature_names):
        raise FileNotFoundError(f"the pkuseg model in {model_dir} has word lexicon features but no {LEXICON_FILE}")
    return None
