# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The project's compiled loops (Cython), each with a plain-Python twin that
the tests hold it to.

* :class:`Scorer`: the node scores of :class:`pipeline.nlp.fastseg.FastPkuseg`,
  the same features as ``FastPkuseg._scores_py`` from the same tables, with
  the loops over characters, n-grams and candidate words in C; each feature
  found adds its weight row to the score matrix directly.
* :func:`find_names`: every dictionary name in a text by prefix scan, the
  loop of :func:`pipeline.nlp.prefixes.find_names_py`.

Lookups stay Python ``dict`` / ``frozenset`` lookups of ``str`` slices.
"""

import numpy as np

from libc.math cimport sqrt
from libc.stdlib cimport free, malloc


cdef inline void _add(double[:, ::1] out, Py_ssize_t row, const double[:, ::1] w, Py_ssize_t f, double times,
                      Py_ssize_t n_tag) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(n_tag):
        out[row, k] += times * w[f, k]


cdef class Scorer:
    cdef dict by_char, by_pair, w_end, w_start, ww_l, ww_r, lex_reach
    cdef frozenset unigram, prefixes, lexicon
    cdef const double[:, ::1] node_w
    cdef const long long[::1] lx_b, lx_e, lx_m, lx_s
    cdef Py_ssize_t n_tag, null, word_min, word_max, n_len, lx_side, lx_min, lx_max, lx_cap
    cdef Py_ssize_t ww_l_none, ww_r_none
    cdef str noword

    def __init__(self, fast, lx_min, lx_max, lx_cap, noword):
        self.by_char = fast.by_char
        self.by_pair = fast.by_pair
        self.w_end = fast.w_end
        self.w_start = fast.w_start
        self.ww_l = fast.ww_l
        self.ww_r = fast.ww_r
        self.unigram = frozenset(fast.unigram)
        self.prefixes = frozenset(fast.prefixes)
        self.node_w = np.ascontiguousarray(fast.node_w, dtype=np.float64)
        self.n_tag = fast.n_tag
        self.null = fast.null
        self.word_min = fast.word_min
        self.word_max = fast.word_max
        self.n_len = len(fast.lengths)
        self.ww_l_none = -1 if fast.ww_l_none is None else fast.ww_l_none
        self.ww_r_none = -1 if fast.ww_r_none is None else fast.ww_r_none
        self.noword = noword
        self.lexicon = frozenset(fast.lexicon) if fast.lexicon is not None else None
        # the longest lexicon word beginning with each two characters (every word has two)
        self.lex_reach = {}
        if self.lexicon is not None:
            for w in self.lexicon:
                if len(w) > self.lex_reach.get(w[:2], 0):
                    self.lex_reach[w[:2]] = len(w)
        self.lx_side = fast.lx_side
        self.lx_min, self.lx_max, self.lx_cap = lx_min, lx_max, lx_cap
        if lx_min < 2:
            raise ValueError("the lexicon scan keys words by their first two characters: lx_min must be >= 2")
        self.lx_b = np.ascontiguousarray(fast.lx["lxB"], dtype=np.int64)
        self.lx_e = np.ascontiguousarray(fast.lx["lxE"], dtype=np.int64)
        self.lx_m = np.ascontiguousarray(fast.lx["lxM"], dtype=np.int64)
        self.lx_s = np.ascontiguousarray(fast.lx_triple, dtype=np.int64)

    cdef inline void _feat(self, double[:, ::1] out, Py_ssize_t row, Py_ssize_t f, double times=1.0):
        if f != self.null:
            _add(out, row, self.node_w, f, times, self.n_tag)

    def scores(self, str t):
        """Node scores (characters x tags) of the pkuseg node string ``t``."""
        cdef Py_ssize_t n = len(t)
        cdef Py_ssize_t i, j, s, e, length, k, top, n_len = self.n_len
        cdef object ids, f
        result = np.zeros((n, self.n_tag), dtype=np.float64)
        cdef double[:, ::1] out = result
        if n == 0:
            return result
        # n-gram templates: one lookup per character and per pair gives the ids of
        # all templates keyed by it ([c, c-1, c1, c-2, c2] / [c-1c, cc1, c-2c-1])
        for i in range(n):
            self._feat(out, i, 0)  # '$$'
            ids = self.by_char.get(t[i])
            if ids is not None:
                self._feat(out, i, ids[0])
                if i + 1 < n:
                    self._feat(out, i + 1, ids[1])
                if i >= 1:
                    self._feat(out, i - 1, ids[2])
                if i + 2 < n:
                    self._feat(out, i + 2, ids[3])
                if i >= 2:
                    self._feat(out, i - 2, ids[4])
            if i + 1 < n:
                ids = self.by_pair.get(t[i:i + 2])
                if ids is not None:
                    self._feat(out, i + 1, ids[0])
                    self._feat(out, i, ids[1])
                    if i + 2 < n:
                        self._feat(out, i + 2, ids[2])

        # lexicon features: the capped length of the longest lexicon word beginning
        # at, ending at and strictly covering each character
        cdef long long[::1] begin, end, inside
        if self.lexicon is not None:
            begin_a = np.zeros(n, dtype=np.int64)
            end_a = np.zeros(n, dtype=np.int64)
            inside_a = np.zeros(n, dtype=np.int64)
            begin, end, inside = begin_a, end_a, inside_a
            for s in range(n - 1):
                reach = self.lex_reach.get(t[s:s + 2])
                if reach is None:
                    continue
                top = min(self.lx_max, n - s, <Py_ssize_t>reach)
                for length in range(self.lx_min, top + 1):
                    if t[s:s + length] in self.lexicon:
                        k = min(length, self.lx_cap)
                        if begin[s] < k:
                            begin[s] = k
                        if end[s + length - 1] < k:
                            end[s + length - 1] = k
                        for j in range(s + 1, s + length - 1):
                            if inside[j] < k:
                                inside[j] = k
            for i in range(n):
                self._feat(out, i, self.lx_b[begin[i]])
                self._feat(out, i, self.lx_e[end[i]])
                self._feat(out, i, self.lx_m[inside[i]])
                self._feat(out, i, self.lx_s[(begin[i] * self.lx_side + end[i]) * self.lx_side + inside[i]])

        # dictionary words of length word_min..word_max, found by prefix scan
        cdef list pre_in = [None] * n    # words ending at i
        cdef list post_in = [None] * n   # words starting at i
        cdef list pre_ex = [None] * n    # words ending at i - 1
        cdef list post_ex = [None] * n   # words starting at i + 1
        cdef Py_ssize_t any_word = 0
        for s in range(n - self.word_min + 1):
            top = min(self.word_max, n - s)
            for length in range(self.word_min, top + 1):
                w = t[s:s + length]
                if w not in self.prefixes:
                    break
                if w not in self.unigram:
                    continue
                any_word = 1
                e = s + length - 1
                _push(pre_in, e, w)
                _push(post_in, s, w)
                if e + 1 < n:
                    _push(pre_ex, e + 1, w)
                if s > 0:
                    _push(post_ex, s - 1, w)
                f = self.w_end.get(w)
                if f is not None:
                    self._feat(out, e, f)
                f = self.w_start.get(w)
                if f is not None:
                    self._feat(out, s, f)

        # word-pair features ('ww.l': words ending before / starting at the character,
        # 'ww.r': ending at / starting after it) over pkuseg's n_len x n_len slots,
        # empty slots holding **noWord
        cdef Py_ssize_t k_pre, k_post
        cdef list pres, posts
        for side in range(2):
            table = self.ww_l if side == 0 else self.ww_r
            none_id = self.ww_l_none if side == 0 else self.ww_r_none
            for i in range(n):
                if side == 0:
                    pres, posts = pre_ex[i], post_in[i]
                else:
                    pres, posts = pre_in[i], post_ex[i]
                k_pre = len(pres) if pres is not None else 0
                k_post = len(posts) if posts is not None else 0
                if none_id >= 0:
                    self._feat(out, i, none_id, <double>((n_len - k_pre) * (n_len - k_post)))
                if not any_word or (k_pre == 0 and k_post == 0):
                    continue
                if k_post < n_len and pres is not None:
                    for pre in pres:
                        f = table.get((pre, self.noword))
                        if f is not None:
                            self._feat(out, i, f, <double>(n_len - k_post))
                if k_pre < n_len and posts is not None:
                    for post in posts:
                        f = table.get((self.noword, post))
                        if f is not None:
                            self._feat(out, i, f, <double>(n_len - k_pre))
                if pres is not None and posts is not None:
                    for post in posts:
                        for pre in pres:
                            f = table.get((pre, post))
                            if f is not None:
                                self._feat(out, i, f)
        return result


cdef inline void _push(list slots, Py_ssize_t i, str w):
    cdef object cur = slots[i]
    if cur is None:
        slots[i] = [w]
    else:
        (<list>cur).append(w)


def find_names(str text, prefixes, names, Py_ssize_t min_len, Py_ssize_t max_len):
    """(start, end) of every name of ``names`` in ``text``, ``min_len`` to ``max_len``
    long: starts ascending, and at each start the longest name first."""
    cdef Py_ssize_t n = len(text), s, length, top, k, first
    cdef list out = []
    cdef str piece
    for s in range(n - min_len + 1):
        top = min(max_len, n - s)
        first = len(out)
        for length in range(min_len, top + 1):
            piece = text[s:s + length]
            if piece not in prefixes:
                break
            if piece in names:
                out.append((s, s + length))
        if len(out) - first > 1:
            out[first:] = out[first:][::-1]
    return out


# --- tok2vec inference (pipeline.nlp.fasttok2vec) -------------------------------------------------

cdef inline void _maxout_norm(float* h, Py_ssize_t n_out, Py_ssize_t n_piece, const float* gain,
                              const float* shift, float* y, float* dest, bint add) noexcept nogil:
    """Max over each output's pieces of ``h`` (``n_out * n_piece``, output-major), then thinc's
    LayerNorm (mean and variance over the outputs, 1e-8 added to the variance), scaled by
    ``gain`` and shifted; written to ``dest`` or, with ``add``, added to it (a residual)."""
    cdef Py_ssize_t o, p
    cdef float best
    cdef double mean = 0.0, var = 0.0, d
    for o in range(n_out):
        best = h[o * n_piece]
        for p in range(1, n_piece):
            if h[o * n_piece + p] > best:
                best = h[o * n_piece + p]
        y[o] = best
        mean += best
    mean /= n_out
    for o in range(n_out):
        d = y[o] - mean
        var += d * d
    cdef float scale = <float>(1.0 / sqrt(var / n_out + 1e-8))
    cdef float m = <float>mean
    if add:
        for o in range(n_out):
            dest[o] += (y[o] - m) * scale * gain[o] + shift[o]
    else:
        for o in range(n_out):
            dest[o] = (y[o] - m) * scale * gain[o] + shift[o]


def embed_maxout_norm(const float[:, ::1] table, const unsigned int[:, ::1] rows, const float[::1] bias,
                      Py_ssize_t n_piece, const float[::1] gain, const float[::1] shift, float[:, ::1] out):
    """Each token's first tok2vec layer: the sum of its ``rows`` of ``table`` (every hash
    embedding row already multiplied by its block of the mixing weights), plus ``bias``,
    then maxout and layer norm into ``out``."""
    cdef Py_ssize_t n = rows.shape[0], n_rows = rows.shape[1], width = table.shape[1]
    cdef Py_ssize_t n_out = out.shape[1], i, r, j
    cdef const float* src
    cdef float* h
    cdef float* y
    if width != n_out * n_piece or bias.shape[0] != width:
        raise ValueError("embed_maxout_norm: table, bias and output widths disagree")
    h = <float*>malloc(width * sizeof(float))
    y = <float*>malloc(n_out * sizeof(float))
    if h == NULL or y == NULL:
        free(h)
        free(y)
        raise MemoryError()
    with nogil:
        for i in range(n):
            for j in range(width):
                h[j] = bias[j]
            for r in range(n_rows):
                src = &table[rows[i, r], 0]
                for j in range(width):
                    h[j] += src[j]
            _maxout_norm(h, n_out, n_piece, &gain[0], &shift[0], y, &out[i, 0], False)
    free(h)
    free(y)


def window_maxout_norm(const float[:, ::1] z, const float[::1] bias, Py_ssize_t n_piece,
                       const float[::1] gain, const float[::1] shift, float[:, ::1] out,
                       Py_ssize_t first, Py_ssize_t stop):
    """A window-1 maxout layer with layer norm, added to ``out`` (the residual), for the rows
    ``first`` to ``stop`` of ``out``. ``z`` holds ``x @ [W_prev; W_cur; W_next].T`` for the rows
    ``first - 1`` to ``stop`` (one row of context each side where the array has one): row t
    sums the previous row's first block, its own middle block and the next row's last block,
    which is ``seq2col`` followed by the maxout's product."""
    cdef Py_ssize_t width = bias.shape[0], n_out = out.shape[1], t, j, zi
    cdef Py_ssize_t total = out.shape[0]
    cdef Py_ssize_t z0 = first - 1 if first > 0 else 0
    cdef float* h
    cdef float* y
    if width != n_out * n_piece or z.shape[1] != 3 * width:
        raise ValueError("window_maxout_norm: weight and output widths disagree")
    if first < 0 or stop > total or first > stop:
        raise ValueError("window_maxout_norm: rows out of range")
    if z.shape[0] != min(stop + 1, total) - z0:
        raise ValueError("window_maxout_norm: z does not cover the rows and their neighbours")
    h = <float*>malloc(width * sizeof(float))
    y = <float*>malloc(n_out * sizeof(float))
    if h == NULL or y == NULL:
        free(h)
        free(y)
        raise MemoryError()
    with nogil:
        for t in range(first, stop):
            zi = t - z0
            for j in range(width):
                h[j] = bias[j] + z[zi, width + j]
            if t > 0:
                for j in range(width):
                    h[j] += z[zi - 1, j]
            if t + 1 < total:
                for j in range(width):
                    h[j] += z[zi + 1, 2 * width + j]
            _maxout_norm(h, n_out, n_piece, &gain[0], &shift[0], y, &out[t, 0], True)
    free(h)
    free(y)


def sum_rows(const float[:, ::1] table, const unsigned int[:, ::1] rows, float[:, ::1] out):
    """``out[i] = table[rows[i, 0]] + table[rows[i, 1]] + ...``"""
    cdef Py_ssize_t n = rows.shape[0], n_rows = rows.shape[1], width = table.shape[1], i, r, j
    cdef const float* src
    cdef float* dest
    if out.shape[0] != n or out.shape[1] != width:
        raise ValueError("sum_rows: output shape disagrees")
    with nogil:
        for i in range(n):
            dest = &out[i, 0]
            src = &table[rows[i, 0], 0]
            for j in range(width):
                dest[j] = src[j]
            for r in range(1, n_rows):
                src = &table[rows[i, r], 0]
                for j in range(width):
                    dest[j] += src[j]
