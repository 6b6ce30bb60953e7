"""A faster decoder for spacy-pkuseg models: same model, same words.

spacy-pkuseg builds every feature of every character as a string (about 70
per character: 'c-1c.' + a + '.' + b, 25 'ww.l.' + pre + '*' + post
combinations ...) and looks each up in one dictionary; that is most of its
time. This decoder reads the same ``features.msgpack`` and ``weights.npz`` and
computes the same feature multiset per character without building those
strings:

* the text is mapped once to one character per pkuseg node (digits and
  full-width letters to two private characters, the pkuseg keywords to '&'),
  so n-grams and candidate words are plain slices;
* each feature template has its own table, keyed by the n-gram or word;
* which slices of length 2..6 are dictionary words is computed once per
  position, and the word-pair features ('ww.l'/'ww.r'), which pkuseg forms
  for all 5 x 5 length pairs, are formed for the distinct pairs with their
  multiplicity;
* node scores are summed with numpy, and pkuseg's own compiled Viterbi
  (``spacy_pkuseg.inference.run_viterbi``) decodes them.

The feature loops are compiled (``_segment.pyx``, Cython, built by ``pip
install``); ``_scores_py`` is the same computation in plain Python, used where
the extension was not built (a warning says so) and by the tests as a second
reference.

A model trained with a word lexicon (``lexicon.txt`` beside the weights, see
``pipeline.nlp.segmentation.seglexicon``) has four more features per character, computed
from the same ``seglexicon.spans``; its reference decoder is spacy-pkuseg with
the lexicon feature extractor in place of its own.

A test checks that it cuts the SIGHAN PKU test text exactly as spacy-pkuseg
does. It covers ``pkuseg(model_name=..., user_dict=None).cut``: no user
dictionary, no POS tags. Text containing the private characters it maps to
is handed to spacy-pkuseg itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import srsly

from pipeline.nlp.segmentation import seglexicon
from pipeline.nlp.segmentation.prefixes import name_ends, prefixes_of

try:
    from pipeline.nlp.inference._segment import Scorer
except ImportError:  # built by `pip install` where a C compiler is present
    Scorer = None

log = logging.getLogger(__name__)
_NUM, _LETTER = seglexicon.NODE_CHARS["**Num"], seglexicon.NODE_CHARS["**Letter"]
_NOWORD = "\ue002"
_SPECIAL = (("**noWord", _NOWORD), ("**Num", _NUM), ("**Letter", _LETTER))
_TEMPLATES_1 = ("c", "c-1", "c1", "c-2", "c2")
_TEMPLATES_2 = ("c-1c", "cc1", "c-2c-1")


def _encode(word: str) -> str:
    if "*" not in word:
        return word
    for name, char in _SPECIAL:
        word = word.replace(name, char)
    return word


class FastPkuseg:
    def __init__(self, model_dir: str | Path, compiled: bool = True, verify: bool = True):
        from spacy_pkuseg.inference import run_viterbi

        model_dir = Path(model_dir)
        self.model_dir = model_dir
        self._stock_seg: Any | None = None  # spacy_pkuseg.pkuseg, made when first needed
        self._viterbi = run_viterbi  # pkuseg's compiled decoder
        feats = srsly.read_msgpack(model_dir / "features.msgpack")
        self._read_weights(np.load(model_dir / "weights.npz"), feats)
        self._read_features(feats)
        self._scores = self._scores_py
        self._compiled_cut = None  # scores, Viterbi and word splitting in one compiled call
        if Scorer is not None and compiled:
            scorer = Scorer(self, seglexicon.MIN_LEN, seglexicon.MAX_LEN, seglexicon.CAP, _NOWORD)
            self._scores = scorer.scores
            self._compiled_cut = scorer.cut
        elif Scorer is None:
            log.warning(
                "pipeline.nlp.inference._segment is not built (no C compiler at install?): "
                "segmenting with the plain-Python scorer, about 3x slower"
            )
        #: False once the built-in check found other words than spacy-pkuseg's: it cuts then
        self.agrees = self.verify() if verify else True

    def _read_weights(self, npz, feats: dict) -> None:
        """The node and edge weights of ``weights.npz`` in the layout the decoder reads, and
        which tags begin a word."""
        from spacy_pkuseg.config import config

        n_tag, n_feature = (int(x) for x in npz["sizes"])
        w = npz["w"]
        self.n_tag = n_tag
        # one extra zero row: the id of an absent feature (adding 0.0 changes no sum)
        self.null = n_feature
        self.node_w = np.vstack([w[: n_tag * n_feature].reshape(n_feature, n_tag), np.zeros((1, n_tag))])
        edge = w[n_tag * n_feature :].reshape(n_tag, n_tag)  # [s, s_pre]
        self.edge = np.ones((n_tag, n_tag)) + edge.T  # [s_pre, s], as spacy-pkuseg's getLogYY
        idx_to_tag = {i: t for t, i in feats["tag_to_idx"].items()}
        self.begins = np.array(["B" in idx_to_tag[i] for i in range(n_tag)], dtype=np.uint8)  # 1: a word begins
        self.word_min, self.word_max = config.wordMin, config.wordMax
        self.lengths = list(range(self.word_max, self.word_min - 1, -1))  # 6 ... 2, pkuseg's order
        if not (config.numLetterNorm and config.wordFeature):
            raise ValueError("FastPkuseg decodes models with pkuseg's default features only")

    def _read_features(self, feats: dict) -> None:
        """The feature ids of ``features.msgpack`` indexed for one lookup per character, pair,
        word and lexicon class (and the character classes pkuseg normalises to)."""
        from spacy_pkuseg.feature_extractor import FeatureExtractor

        table = {ord(c): "&" for c in FeatureExtractor.keywords}
        for c in FeatureExtractor.num:
            table.setdefault(ord(c), _NUM)
        for c in FeatureExtractor.letter:
            table.setdefault(ord(c), _LETTER)
        self._translate = table
        self.unigram = frozenset(_encode(u) for u in feats["unigram"])

        # the single-character templates (c, c-1, c1, c-2, c2) and the pair templates
        # (c-1c keyed by (i-1, i), cc1 by (i, i+1), c-2c-1 by (i-2, i-1)): one lookup
        # per character or pair gives the ids of all of them (``null`` where absent)
        slot1 = {t: k for k, t in enumerate(_TEMPLATES_1)}
        slot2 = {t: k for k, t in enumerate(_TEMPLATES_2)}
        self.null_char = [self.null] * len(_TEMPLATES_1)
        self.null_pair = [self.null] * len(_TEMPLATES_2)
        self.by_char: dict[str, list[int]] = {}
        self.by_pair: dict[str, list[int]] = {}
        self.w_end: dict[str, int] = {}
        self.w_start: dict[str, int] = {}
        self.ww_l: dict[tuple[str, str], int] = {}
        self.ww_r: dict[tuple[str, str], int] = {}
        # lexicon features: ids by capped length (lxB, lxE, lxM) and by the triple (lxS)
        self.lexicon = seglexicon.model_lexicon(self.model_dir, feats["feature_to_idx"])
        self.lx_side = seglexicon.CAP + 1
        self.lx = {t: np.full(self.lx_side, self.null, dtype=np.int64) for t in ("lxB", "lxE", "lxM")}
        self.lx_triple = np.full(self.lx_side**3, self.null, dtype=np.int64)
        for name, idx in feats["feature_to_idx"].items():
            template, _, rest = name.partition(".")
            if template in self.lx:
                self.lx[template][int(rest)] = idx
                continue
            if template == "lxS":
                b, e, m = (int(x) for x in rest.split("."))
                self.lx_triple[(b * self.lx_side + e) * self.lx_side + m] = idx
                continue
            rest = _encode(rest)
            k = slot1.get(template)
            if k is not None:
                ids = self.by_char.get(rest)
                if ids is None:
                    ids = self.by_char[rest] = list(self.null_char)
                ids[k] = idx
                continue
            k = slot2.get(template)
            if k is not None:
                left, _, right = rest.partition(".")
                ids = self.by_pair.get(left + right)
                if ids is None:
                    ids = self.by_pair[left + right] = list(self.null_pair)
                ids[k] = idx
            elif template == "w-1":
                self.w_end[rest] = idx
            elif template == "w1":
                self.w_start[rest] = idx
            elif template == "ww":
                side, _, pair = rest.partition(".")
                pre, _, post = pair.partition("*")
                (self.ww_l if side == "l" else self.ww_r)[(pre, post)] = idx
        self.prefixes = prefixes_of(self.unigram, self.word_min)  # the word scan stops early
        self.ww_l_none = self.ww_l.get((_NOWORD, _NOWORD))
        self.ww_r_none = self.ww_r.get((_NOWORD, _NOWORD))

    def verify(self) -> bool:
        """Whether this decoder cuts :data:`~pipeline.nlp.inference.canary.CANARY_TEXT` as spacy-pkuseg
        does (:mod:`pipeline.nlp.inference.canary`); on a difference, say so and cut with spacy-pkuseg."""
        from pipeline.nlp.inference.canary import CANARY_TEXT, mismatch
        from pipeline.nlp.segmentation.segmenter import normalize

        pieces = normalize(CANARY_TEXT).split()
        ours = [w for piece in pieces for w in self._cut(piece)]
        stock = [w for piece in pieces for w in self._stock_cut(piece)]
        if ours == stock:
            return True
        first = next(i for i, (a, b) in enumerate(zip([*ours, ""], [*stock, ""])) if a != b)
        mismatch(f"segmenter {self.model_dir}", f"word {first}: {ours[first : first + 3]} against {stock[first : first + 3]}")
        return False

    # -- public API ------------------------------------------------------
    def cut(self, text: str) -> list[str]:
        """Words of ``text``, as ``spacy_pkuseg.pkuseg(...).cut(text)`` gives them."""
        out: list[str] = []
        for piece in text.split():
            out.extend(self._cut(piece))
        return out

    # -- internals -------------------------------------------------------
    def _cut(self, raw: str) -> list[str]:
        if _NUM in raw or _LETTER in raw or _NOWORD in raw or not getattr(self, "agrees", True):
            return self._stock_cut(raw)
        t = raw.translate(self._translate)
        if self._compiled_cut is not None:
            return self._compiled_cut(t, raw, self.edge, self.begins)
        _, tags = self._viterbi(self._scores(t), self.edge)
        starts = self.begins[np.asarray(tags)]
        words, begin = [], 0
        for i in np.flatnonzero(starts[1:]).tolist():
            words.append(raw[begin : i + 1])
            begin = i + 1
        words.append(raw[begin:])
        return words

    def _stock_cut(self, raw: str) -> list[str]:
        """spacy-pkuseg itself, for text holding the characters this decoder maps to."""
        if self._stock_seg is None:
            self._stock_seg = seglexicon.stock_pkuseg(self.model_dir, lexicon=self.lexicon)
        return self._stock_seg._cut(raw)

    def _scores_py(self, t: str) -> np.ndarray:
        """Node scores (characters x tags): the sum of the weights of each
        character's features, the multiset pkuseg's feature extractor forms."""
        n = len(t)
        null = self.null
        # n-gram templates: one column each, ``null`` (a zero row) where absent;
        # one lookup per character and per character pair gives all templates
        uni = np.array([self.by_char.get(ch, self.null_char) for ch in t], dtype=np.int64)  # c, c-1, c1, c-2, c2
        cols = np.full((n, 9), null, dtype=np.int64)
        cols[:, 0] = 0  # '$$'
        cols[:, 1] = uni[:, 0]
        if n > 1:
            bi = np.array([self.by_pair.get(t[i : i + 2], self.null_pair) for i in range(n - 1)], dtype=np.int64)
            cols[1:, 2] = uni[:-1, 1]
            cols[1:, 3] = bi[:, 0]
            cols[:-1, 4] = uni[1:, 2]
            cols[:-1, 5] = bi[:, 1]
        if n > 2:
            cols[2:, 6] = uni[:-2, 3]
            cols[2:, 7] = bi[:-1, 2]
            cols[:-2, 8] = uni[2:, 4]
        scores = self.node_w[cols].sum(axis=1)
        if self.lexicon is not None:
            begin, end, inside = seglexicon.spans(t, self.lexicon)
            side = self.lx_side
            lx = np.stack(
                [
                    self.lx["lxB"][begin],
                    self.lx["lxE"][end],
                    self.lx["lxM"][inside],
                    self.lx_triple[(begin * side + end) * side + inside],
                ],
                axis=1,
            )
            scores += self.node_w[lx].sum(axis=1)

        # dictionary words of length 6..2 (pkuseg: get_slice_str(...) in unigram)
        unigram = self.unigram
        pre_in: list[list[str]] = [[] for _ in range(n)]  # words ending at i
        post_in: list[list[str]] = [[] for _ in range(n)]  # words starting at i
        pre_ex: list[list[str]] = [[] for _ in range(n)]  # words ending at i-1
        post_ex: list[list[str]] = [[] for _ in range(n)]  # words starting at i+1
        rows: list[int] = []
        ids: list[int] = []
        counts: list[int] = []
        w_end, w_start = self.w_end, self.w_start
        found = [
            (s, e - s, t[s:e])
            for s in range(n - self.word_min + 1)
            for e in name_ends(t, s, self.prefixes, unigram, self.word_min, self.word_max)
        ]
        for s, length, w in found:
            e = s + length - 1
            pre_in[e].append(w)
            post_in[s].append(w)
            if e + 1 < n:
                pre_ex[e + 1].append(w)
            if s > 0:
                post_ex[s - 1].append(w)
            f = w_end.get(w)
            if f is not None:
                rows.append(e)
                ids.append(f)
                counts.append(1)
            f = w_start.get(w)
            if f is not None:
                rows.append(s)
                ids.append(f)
                counts.append(1)
        # word-pair features: (noWord, noWord) for every character, the rest sparse
        n_len = len(self.lengths)
        for table, pres, posts, nn in (
            (self.ww_l, pre_ex, post_in, self.ww_l_none),
            (self.ww_r, pre_in, post_ex, self.ww_r_none),
        ):
            k_pre = np.fromiter(map(len, pres), dtype=np.float64, count=n)
            k_post = np.fromiter(map(len, posts), dtype=np.float64, count=n)
            if nn is not None:
                scores += ((n_len - k_pre) * (n_len - k_post))[:, None] * self.node_w[nn]
            for i in np.flatnonzero(k_pre + k_post).tolist():
                self._pairs(table, i, pres[i], posts[i], n_len, rows, ids, counts)
        if ids:
            np.add.at(scores, np.array(rows), self.node_w[np.array(ids)] * np.array(counts, dtype=np.float64)[:, None])
        return scores

    @staticmethod
    def _pairs(
        table, i: int, pres: list[str], posts: list[str], n_len: int, rows: list[int], ids: list[int], counts: list[int]
    ) -> None:
        """pkuseg's 'ww' features of one character for every (pre, post) of the
        two 5-slot lists, slots without a word holding "**noWord" (the
        (noWord, noWord) pairs are counted by the caller)."""
        none_pre = n_len - len(pres)
        none_post = n_len - len(posts)
        keys = [((pre, _NOWORD), none_post) for pre in pres] if none_post else []
        if none_pre:
            keys += [((_NOWORD, post), none_pre) for post in posts]
        keys += [((pre, post), 1) for post in posts for pre in pres]
        for key, count in keys:
            f = table.get(key)
            if f is not None:
                rows.append(i)
                ids.append(f)
                counts.append(count)
