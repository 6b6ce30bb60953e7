# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled loops of segmentation and lexicons, each with a plain-Python twin that the tests
hold it to.

* :class:`Scorer`: the node scores of :class:`pipeline.nlp.inference.fastseg.FastPkuseg`,
  the same features as ``FastPkuseg._scores_py`` from the same tables, all in
  C: characters and pairs looked up by code point in integer hash maps
  (:class:`IntMap`), dictionary and lexicon words found by walking a
  character trie (:class:`Trie`), word pairs keyed by their trie nodes; each
  feature found adds its weight row to the score matrix directly.
  ``Scorer.cut`` goes on with spacy-pkuseg's Viterbi recursion and the word
  split, in the same call.
* :func:`find_names`: every dictionary name in a text by prefix scan, the
  loop of :func:`pipeline.nlp.segmentation.prefixes.find_names_py` (Python ``str`` lookups).
* :func:`word_columns`, :func:`lexicon_column`: the tokenizer's LEMMA, TAG and
  MORPH keys per character (:mod:`pipeline.nlp.tokenizer`), the loops of its
  ``_word_keys`` and of ``Lexicon.features`` (they share the :class:`Trie`).
"""

import numpy as np

from libc.math cimport sqrt
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset


# --- an integer hash map and a character trie, for the segmenter's lookups ---------------------

cdef uint64_t _EMPTY = 0xFFFFFFFFFFFFFFFF


cdef struct _Table:
    uint64_t* keys
    int64_t* vals
    uint64_t mask
    int shift


cdef inline int64_t _get(const _Table* t, uint64_t key, int64_t missing) noexcept nogil:
    cdef uint64_t i = (key * <uint64_t>0x9E3779B97F4A7C15) >> t.shift
    while True:
        if t.keys[i] == key:
            return t.vals[i]
        if t.keys[i] == _EMPTY:
            return missing
        i = (i + 1) & t.mask


cdef class IntMap:
    """uint64 -> int64, open addressing with linear probing (no deletions)."""
    cdef _Table t
    cdef Py_ssize_t size

    def __cinit__(self, Py_ssize_t capacity):
        cdef Py_ssize_t slots = 16
        cdef int bits = 4
        while slots < 2 * capacity + 1:
            slots *= 2
            bits += 1
        self.t.keys = <uint64_t*>malloc(slots * sizeof(uint64_t))
        self.t.vals = <int64_t*>malloc(slots * sizeof(int64_t))
        if self.t.keys == NULL or self.t.vals == NULL:
            raise MemoryError()
        memset(self.t.keys, 0xFF, slots * sizeof(uint64_t))
        self.t.mask = slots - 1
        self.t.shift = 64 - bits
        self.size = 0

    def __dealloc__(self):
        free(self.t.keys)
        free(self.t.vals)

    cdef inline int64_t get(self, uint64_t key, int64_t missing) noexcept nogil:
        return _get(&self.t, key, missing)

    cdef int set(self, uint64_t key, int64_t value) except -1:
        if key == _EMPTY:
            raise ValueError("IntMap: reserved key")
        cdef uint64_t i = (key * <uint64_t>0x9E3779B97F4A7C15) >> self.t.shift
        while self.t.keys[i] != _EMPTY and self.t.keys[i] != key:
            i = (i + 1) & self.t.mask
        if self.t.keys[i] == _EMPTY:
            if 2 * (self.size + 1) > <Py_ssize_t>(self.t.mask + 1):
                raise OverflowError("IntMap: over half full")
            self.size += 1
            self.t.keys[i] = key
        self.t.vals[i] = value
        return 0


cdef inline uint64_t _edge(int64_t node, Py_UCS4 ch) noexcept nogil:
    return (<uint64_t>node << 21) | <uint64_t>ch  # code points take 21 bits


cdef class Trie:
    """Words over code points: node 0 is the empty string; ``child(node, ch)`` the node of that
    string plus ``ch`` (-1 where no word goes on so), ``flags[node]`` what the string is."""
    cdef IntMap edges
    cdef uint8_t[::1] flags
    cdef Py_ssize_t n_nodes

    def __init__(self, words_flags: dict):
        cdef Py_ssize_t capacity = sum(len(w) for w in words_flags) + 1
        cdef int64_t node, nxt
        cdef Py_UCS4 ch
        self.edges = IntMap(capacity)
        flags = np.zeros(capacity, dtype=np.uint8)
        self.n_nodes = 1
        for word, flag in words_flags.items():
            node = 0
            for ch in word:
                nxt = self.edges.get(_edge(node, ch), -1)
                if nxt < 0:
                    nxt = self.n_nodes
                    self.n_nodes += 1
                    self.edges.set(_edge(node, ch), nxt)
                node = nxt
            flags[node] |= flag
        self.flags = flags[:self.n_nodes].copy()

    cpdef int64_t find(self, str word):
        """The node of ``word``, or -1."""
        cdef int64_t node = 0
        cdef Py_UCS4 ch
        for ch in word:
            node = self.edges.get(_edge(node, ch), -1)
            if node < 0:
                return -1
        return node

    cdef inline int64_t child(self, int64_t node, Py_UCS4 ch) noexcept nogil:
        return self.edges.get(_edge(node, ch), -1)


cdef uint8_t _WORD = 1  # a dictionary word of the model (unigram), of a length the model reads
cdef uint8_t _LEX = 2   # a word of the segmenter's lexicon


cdef inline void _add(double* out, const double* w, Py_ssize_t n_tag, double times) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(n_tag):
        out[k] += times * w[k]


cdef class Scorer:
    """pkuseg's node scores from the features of ``FastPkuseg`` (see ``FastPkuseg._scores_py``),
    with every lookup in C: characters and character pairs by code point, dictionary and
    lexicon words by walking a trie, word pairs by their trie nodes."""
    cdef IntMap char_row, pair_row, ww_l, ww_r, w_end, w_start
    cdef Trie trie
    cdef const int64_t[:, ::1] char_ids
    cdef const int64_t[:, ::1] pair_ids
    cdef const double[:, ::1] node_w
    cdef const int64_t[::1] lx_b, lx_e, lx_m, lx_s
    cdef Py_ssize_t n_tag, null, word_min, word_max, n_len, lx_side, lx_min, lx_max, lx_cap
    cdef int64_t ww_l_none, ww_r_none, noword
    cdef bint has_lexicon

    def __init__(self, fast, lx_min, lx_max, lx_cap, noword):
        self.node_w = np.ascontiguousarray(fast.node_w, dtype=np.float64)
        self.n_tag = fast.n_tag
        self.null = fast.null
        self.word_min = fast.word_min
        self.word_max = fast.word_max
        self.n_len = len(fast.lengths)
        self.ww_l_none = -1 if fast.ww_l_none is None else fast.ww_l_none
        self.ww_r_none = -1 if fast.ww_r_none is None else fast.ww_r_none
        if lx_min < 1:
            raise ValueError("lx_min must be >= 1")
        self.lx_min, self.lx_max, self.lx_cap = lx_min, lx_max, lx_cap
        self.lx_side = fast.lx_side
        self.has_lexicon = fast.lexicon is not None
        self.lx_b = np.ascontiguousarray(fast.lx["lxB"], dtype=np.int64)
        self.lx_e = np.ascontiguousarray(fast.lx["lxE"], dtype=np.int64)
        self.lx_m = np.ascontiguousarray(fast.lx["lxM"], dtype=np.int64)
        self.lx_s = np.ascontiguousarray(fast.lx_triple, dtype=np.int64)

        # characters and pairs (only keys of one and two characters can be looked up)
        chars = [(c, ids) for c, ids in fast.by_char.items() if len(c) == 1]
        pairs = [(p, ids) for p, ids in fast.by_pair.items() if len(p) == 2]
        self.char_row = IntMap(len(chars))
        self.pair_row = IntMap(len(pairs))
        cdef Py_ssize_t r
        for r, (c, _) in enumerate(chars):
            self.char_row.set(<uint64_t>ord(c), r)
        for r, (p, _) in enumerate(pairs):
            self.pair_row.set(_edge(ord(p[0]), p[1]), r)
        self.char_ids = np.array([ids for _, ids in chars], dtype=np.int64).reshape(len(chars), 5)
        self.pair_ids = np.array([ids for _, ids in pairs], dtype=np.int64).reshape(len(pairs), 3)

        # one trie for the model's dictionary words and the lexicon's words
        flags = {}
        for w in fast.unigram:
            if self.word_min <= len(w) <= self.word_max:
                flags[w] = _WORD
        if self.has_lexicon:
            for w in fast.lexicon:
                if lx_min <= len(w) <= lx_max:
                    flags[w] = flags.get(w, 0) | _LEX
        self.trie = Trie(flags)
        self.noword = self.trie.n_nodes  # an id no node has
        cdef int64_t a, b
        self.w_end = IntMap(len(fast.w_end))
        self.w_start = IntMap(len(fast.w_start))
        for table, source in ((self.w_end, fast.w_end), (self.w_start, fast.w_start)):
            for w, f in source.items():
                a = self._word_id(w, noword)
                if a >= 0:  # features of words the scan never finds are never read
                    (<IntMap>table).set(<uint64_t>a, f)
        self.ww_l = IntMap(len(fast.ww_l))
        self.ww_r = IntMap(len(fast.ww_r))
        for table, source in ((self.ww_l, fast.ww_l), (self.ww_r, fast.ww_r)):
            for (pre, post), f in source.items():
                a = self._word_id(pre, noword)
                b = self._word_id(post, noword)
                if a >= 0 and b >= 0:
                    (<IntMap>table).set(self._pair_key(a, b), f)

    cdef int64_t _word_id(self, str word, str noword):
        """The trie node of a dictionary word the scan can find, ``self.noword`` for pkuseg's
        no-word marker, or -1."""
        if word == noword:
            return self.noword
        cdef int64_t node = self.trie.find(word)
        return node if node > 0 and self.trie.flags[node] & _WORD else -1

    cdef inline uint64_t _pair_key(self, int64_t a, int64_t b) noexcept nogil:
        return <uint64_t>a * <uint64_t>(self.noword + 1) + <uint64_t>b

    cdef inline void _feat(self, double* row, int64_t f, double times=1.0) noexcept nogil:
        if f != self.null and f >= 0:
            _add(row, &self.node_w[f, 0], self.n_tag, times)

    cdef int _fill(self, str t, double* out) except -1:
        """Add the node scores of the pkuseg node string ``t`` to ``out`` (characters x tags)."""
        cdef Py_ssize_t n = len(t), h = self.n_tag  # row i of the scores is out + i * h
        if n == 0:
            return 0
        cdef Py_UCS4* cps = <Py_UCS4*>malloc(n * sizeof(Py_UCS4))
        cdef int64_t* lex = <int64_t*>calloc(3 * n, sizeof(int64_t))  # begin, end, inside
        cdef Py_ssize_t max_words = n * (self.word_max - self.word_min + 1) + 1
        cdef int64_t* word_node = <int64_t*>malloc(max_words * sizeof(int64_t))
        cdef Py_ssize_t* word_s = <Py_ssize_t*>malloc(max_words * sizeof(Py_ssize_t))
        cdef Py_ssize_t* word_e = <Py_ssize_t*>malloc(max_words * sizeof(Py_ssize_t))
        # words by end and by start position, in the order found (CSR: offsets, then word indices)
        cdef Py_ssize_t* end_off = <Py_ssize_t*>calloc(n + 2, sizeof(Py_ssize_t))
        cdef Py_ssize_t* start_off = <Py_ssize_t*>calloc(n + 2, sizeof(Py_ssize_t))
        cdef Py_ssize_t* by_end = <Py_ssize_t*>malloc(max_words * sizeof(Py_ssize_t))
        cdef Py_ssize_t* by_start = <Py_ssize_t*>malloc(max_words * sizeof(Py_ssize_t))
        cdef Py_ssize_t* fill = <Py_ssize_t*>calloc(n + 2, sizeof(Py_ssize_t))
        if (cps == NULL or lex == NULL or word_node == NULL or word_s == NULL or word_e == NULL
                or end_off == NULL or start_off == NULL or by_end == NULL or by_start == NULL or fill == NULL):
            free(cps); free(lex); free(word_node); free(word_s); free(word_e)
            free(end_off); free(start_off); free(by_end); free(by_start); free(fill)
            raise MemoryError()
        cdef Py_ssize_t i, s, e, length, top, top_len, k, j, r, n_words = 0, side
        cdef Py_ssize_t k_pre, k_post, n_len = self.n_len, pre_lo, pre_hi, post_lo, post_hi, a, b
        cdef int64_t node, f, none_id
        cdef const int64_t* ids
        cdef const _Table* table
        cdef Py_UCS4 ch
        i = 0
        for ch in t:
            cps[i] = ch
            i += 1
        with nogil:
            # n-gram templates: [c, c-1, c1, c-2, c2] keyed by each character,
            # [c-1c, cc1, c-2c-1] by each pair
            for i in range(n):
                self._feat(out + i * h, 0)  # '$$'
                r = self.char_row.get(<uint64_t>cps[i], -1)
                if r >= 0:
                    ids = &self.char_ids[r, 0]
                    self._feat(out + i * h, ids[0])
                    if i + 1 < n:
                        self._feat(out + (i + 1) * h, ids[1])
                    if i >= 1:
                        self._feat(out + (i - 1) * h, ids[2])
                    if i + 2 < n:
                        self._feat(out + (i + 2) * h, ids[3])
                    if i >= 2:
                        self._feat(out + (i - 2) * h, ids[4])
                if i + 1 < n:
                    r = self.pair_row.get(_edge(cps[i], cps[i + 1]), -1)
                    if r >= 0:
                        ids = &self.pair_ids[r, 0]
                        self._feat(out + (i + 1) * h, ids[0])
                        self._feat(out + i * h, ids[1])
                        if i + 2 < n:
                            self._feat(out + (i + 2) * h, ids[2])

            # one walk of the trie from each character finds the lexicon's words (for the
            # capped length of the longest lexicon word beginning at, ending at and strictly
            # covering each character) and the model's dictionary words (word_min..word_max
            # long; the flags only mark words of the lengths each scan reads)
            top_len = max(self.word_max, self.lx_max if self.has_lexicon else 0)
            for s in range(n):
                node = 0
                top = min(top_len, n - s)
                for length in range(1, top + 1):
                    node = self.trie.child(node, cps[s + length - 1])
                    if node < 0:
                        break
                    if self.has_lexicon and self.trie.flags[node] & _LEX:
                        k = min(length, self.lx_cap)
                        if lex[s] < k:
                            lex[s] = k
                        if lex[n + s + length - 1] < k:
                            lex[n + s + length - 1] = k
                        for j in range(s + 1, s + length - 1):
                            if lex[2 * n + j] < k:
                                lex[2 * n + j] = k
                    if self.trie.flags[node] & _WORD:
                        e = s + length - 1
                        word_node[n_words] = node
                        word_s[n_words] = s
                        word_e[n_words] = e
                        n_words += 1
                        end_off[e + 1] += 1
                        start_off[s + 1] += 1
            # the features, in the order of the Python twin: lexicon, then each word found
            if self.has_lexicon:
                for i in range(n):
                    self._feat(out + i * h, self.lx_b[lex[i]])
                    self._feat(out + i * h, self.lx_e[lex[n + i]])
                    self._feat(out + i * h, self.lx_m[lex[2 * n + i]])
                    self._feat(out + i * h, self.lx_s[(lex[i] * self.lx_side + lex[n + i]) * self.lx_side + lex[2 * n + i]])
            for k in range(n_words):
                self._feat(out + word_e[k] * h, self.w_end.get(<uint64_t>word_node[k], -1))
                self._feat(out + word_s[k] * h, self.w_start.get(<uint64_t>word_node[k], -1))
            for i in range(n):
                end_off[i + 1] += end_off[i]
                start_off[i + 1] += start_off[i]
            for k in range(n_words):
                by_end[end_off[word_e[k]] + fill[word_e[k]]] = k
                fill[word_e[k]] += 1
            memset(fill, 0, (n + 2) * sizeof(Py_ssize_t))
            for k in range(n_words):
                by_start[start_off[word_s[k]] + fill[word_s[k]]] = k
                fill[word_s[k]] += 1

            # word pairs ('ww.l': words ending before / starting at the character,
            # 'ww.r': ending at / starting after it) over pkuseg's n_len x n_len slots,
            # empty slots holding **noWord
            for side in range(2):
                table = &self.ww_l.t if side == 0 else &self.ww_r.t
                none_id = self.ww_l_none if side == 0 else self.ww_r_none
                for i in range(n):
                    if side == 0:  # words ending at i - 1, words starting at i
                        pre_lo = end_off[i - 1] if i >= 1 else 0
                        pre_hi = end_off[i] if i >= 1 else 0
                        post_lo = start_off[i]
                        post_hi = start_off[i + 1]
                    else:  # words ending at i, words starting at i + 1
                        pre_lo = end_off[i]
                        pre_hi = end_off[i + 1]
                        post_lo = start_off[i + 1] if i + 1 < n else 0
                        post_hi = start_off[i + 2] if i + 1 < n else 0
                    k_pre = pre_hi - pre_lo
                    k_post = post_hi - post_lo
                    if none_id >= 0:
                        self._feat(out + i * h, none_id, <double>((n_len - k_pre) * (n_len - k_post)))
                    if n_words == 0 or (k_pre == 0 and k_post == 0):
                        continue
                    if k_post < n_len:
                        for a in range(pre_lo, pre_hi):
                            f = _get(table, self._pair_key(word_node[by_end[a]], self.noword), -1)
                            self._feat(out + i * h, f, <double>(n_len - k_post))
                    if k_pre < n_len:
                        for b in range(post_lo, post_hi):
                            f = _get(table, self._pair_key(self.noword, word_node[by_start[b]]), -1)
                            self._feat(out + i * h, f, <double>(n_len - k_pre))
                    for b in range(post_lo, post_hi):
                        for a in range(pre_lo, pre_hi):
                            f = _get(table, self._pair_key(word_node[by_end[a]], word_node[by_start[b]]), -1)
                            self._feat(out + i * h, f)
        free(cps); free(lex); free(word_node); free(word_s); free(word_e)
        free(end_off); free(start_off); free(by_end); free(by_start); free(fill)
        return 0

    def scores(self, str t):
        """Node scores (characters x tags) of the pkuseg node string ``t``."""
        result = np.zeros((len(t), self.n_tag), dtype=np.float64)
        cdef double[:, ::1] out = result
        if len(t):
            self._fill(t, &out[0, 0])
        return result

    def cut(self, str t, str raw, const double[:, ::1] edge, const uint8_t[::1] begins):
        """The words of ``raw`` (``t`` is its node string, as long): the node scores, then
        spacy-pkuseg's ``run_viterbi`` (the same recursion from the last character, ties to
        the later next tag, the first best tag at the start), then a word begins at each
        character whose tag is a beginning."""
        cdef Py_ssize_t n = len(t), h = self.n_tag, i, y, y_pre, tag, begin
        cdef double sc, best
        if len(raw) != n:
            raise ValueError("cut: the node string and the text differ in length")
        if edge.shape[0] != h or edge.shape[1] != h or begins.shape[0] != h:
            raise ValueError("cut: edge scores or tag table disagree with the model's tags")
        if n == 0:
            return []
        cdef double* node = <double*>calloc(n * h, sizeof(double))
        cdef double* score = <double*>malloc(n * h * sizeof(double))
        cdef int* pre = <int*>malloc(n * h * sizeof(int))
        cdef int* states = <int*>malloc(n * sizeof(int))
        if node == NULL or score == NULL or pre == NULL or states == NULL:
            free(node); free(score); free(pre); free(states)
            raise MemoryError()
        try:
            self._fill(t, node)
            with nogil:
                for y in range(h):
                    score[(n - 1) * h + y] = node[(n - 1) * h + y]
                for i in range(n - 2, -1, -1):
                    for y in range(h):
                        best = score[(i + 1) * h] + node[i * h + y] + edge[y, 0]
                        tag = 0
                        for y_pre in range(1, h):
                            sc = score[(i + 1) * h + y_pre] + node[i * h + y] + edge[y, y_pre]
                            if sc >= best:
                                best = sc
                                tag = y_pre
                        score[i * h + y] = best
                        pre[i * h + y] = <int>tag
                tag = 0
                best = score[0]
                for y in range(1, h):
                    if best < score[y]:
                        best = score[y]
                        tag = y
                states[0] = <int>tag
                for i in range(1, n):
                    states[i] = pre[(i - 1) * h + states[i - 1]]
            words = []
            begin = 0
            for i in range(1, n):
                if begins[states[i]]:
                    words.append(raw[begin:i])
                    begin = i
            words.append(raw[begin:])
            return words
        finally:
            free(node); free(score); free(pre); free(states)


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


# --- the tokenizer's token columns (pipeline.nlp.tokenizer) ------------------------------------

def word_columns(list words, object add, const uint64_t[:, ::1] tag_keys, uint64_t[:, ::1] out,
                 Py_ssize_t lemma_col, Py_ssize_t tag_col):
    """For ``words`` that cover the ``len(out)`` characters of a text one for one: each
    character's word key (``add(word)``, the vocabulary's string key) in ``out[:, lemma_col]``
    and its position tag's key in ``out[:, tag_col]``. ``tag_keys[k]`` holds the keys of the
    first, middle and last character of a word of length class ``k`` (the lengths above
    ``len(tag_keys) - 1`` count as that), ``tag_keys[1, 0]`` the single character's. Returns
    the word starts and ends, or None (nothing filled) where the lengths do not add up."""
    cdef Py_ssize_t n = out.shape[0], pos = 0, length, k, c, top = tag_keys.shape[0] - 1
    cdef uint64_t key
    cdef str w
    if not (0 <= lemma_col < out.shape[1] and 0 <= tag_col < out.shape[1]) or tag_keys.shape[1] != 3:
        raise ValueError("word_columns: columns out of range")
    for w in words:
        pos += len(w)
    if pos != n or top < 1:
        return None
    starts, ends = [], []
    pos = 0
    for w in words:
        length = len(w)
        if length == 0:
            continue
        key = add(w)
        starts.append(pos)
        for c in range(pos, pos + length):
            out[c, lemma_col] = key
        if length == 1:
            out[pos, tag_col] = tag_keys[1, 0]
        else:
            k = length if length < top else top
            out[pos, tag_col] = tag_keys[k, 0]
            for c in range(pos + 1, pos + length - 1):
                out[c, tag_col] = tag_keys[k, 1]
            out[pos + length - 1, tag_col] = tag_keys[k, 2]
        pos += length
        ends.append(pos)
    return starts, ends


def lexicon_column(Trie trie, str text, Py_ssize_t min_len, Py_ssize_t max_len, Py_ssize_t n_types,
                   const uint64_t[::1] keys, const uint8_t[::1] known, uint64_t[:, ::1] out, Py_ssize_t col):
    """The name lexicon's feature of each character of ``text`` (the loop of
    ``Lexicon.features``), as the key ``keys[code]`` in ``out[:, col]``. ``trie`` holds the
    names, each flagged with its type's index plus one. Per type, the longest name of that
    type covering a character counts (the first found among equally long ones, names found
    by start and then longest first); ``code`` holds 2 bits per type: 0 no name, 1 the
    name's first character, 2 inside, 3 its last. Returns -1, or a code whose key is not
    ``known`` yet (the caller adds it and calls again)."""
    cdef Py_ssize_t n = len(text), i, j, k, t, top, n_found
    cdef Py_ssize_t* best_len
    cdef Py_ssize_t* best_start
    cdef Py_ssize_t* found
    cdef int64_t* found_node
    cdef int64_t node
    cdef uint64_t code
    cdef Py_UCS4 ch
    if out.shape[0] != n:
        raise ValueError("lexicon_column: rows and text disagree")
    if not 0 <= col < out.shape[1] or not 1 <= n_types <= 8 or keys.shape[0] != known.shape[0]:
        raise ValueError("lexicon_column: column, types or key table out of range")
    if n == 0:
        return -1
    best_len = <Py_ssize_t*>calloc(n * n_types, sizeof(Py_ssize_t))
    best_start = <Py_ssize_t*>calloc(n * n_types, sizeof(Py_ssize_t))
    found = <Py_ssize_t*>malloc((max_len + 1) * sizeof(Py_ssize_t))
    found_node = <int64_t*>malloc((max_len + 1) * sizeof(int64_t))
    if best_len == NULL or best_start == NULL or found == NULL or found_node == NULL:
        free(best_len)
        free(best_start)
        free(found)
        free(found_node)
        raise MemoryError()
    try:
        for i in range(n):
            node = 0
            n_found = 0
            top = min(max_len, n - i)
            for j in range(top):
                ch = text[i + j]
                node = trie.child(node, ch)
                if node < 0:
                    break
                if j + 1 >= min_len and trie.flags[node]:
                    found[n_found] = j + 1
                    found_node[n_found] = node
                    n_found += 1
            while n_found > 0:  # the longest first
                n_found -= 1
                j = found[n_found]
                t = <Py_ssize_t>trie.flags[found_node[n_found]] - 1
                if t < 0 or t >= n_types:
                    continue
                for k in range(i, i + j):
                    if best_len[k * n_types + t] < j:
                        best_len[k * n_types + t] = j
                        best_start[k * n_types + t] = i
        for k in range(n):
            code = 0
            for t in range(n_types):
                j = best_len[k * n_types + t]
                if j:
                    i = best_start[k * n_types + t]
                    code |= <uint64_t>(1 if k == i else (3 if k == i + j - 1 else 2)) << (2 * t)
            if code >= <uint64_t>known.shape[0] or not known[code]:
                return <Py_ssize_t>code
            out[k, col] = keys[code]
        return -1
    finally:
        free(best_len)
        free(best_start)
        free(found)
        free(found_node)
