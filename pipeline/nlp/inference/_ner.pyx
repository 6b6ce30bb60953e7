# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled greedy NER decoder (:mod:`pipeline.nlp.inference.fastner`), held to spaCy's
decoder and to its numpy twin by the tests."""

import numpy as np

from libc.math cimport sqrt
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset

# --- greedy NER decoding (pipeline.nlp.fastner) ----------------------------------------------------

def greedy_moves(const float[:, ::1] table, Py_ssize_t n_out, Py_ssize_t n_piece, const float[::1] bias,
                 const float[:, ::1] w_out, const float[::1] b_out, const float[:, ::1] penalty,
                 const int64_t[::1] next_state, const uint8_t[::1] begins, const int64_t[::1] where,
                 const int64_t[::1] lengths):
    """The greedy moves of spaCy's transition-based NER for documents laid end to end, one per
    token (the biluo system moves one token per step), as ``FastEntityRecognizer._decode_py``
    makes them: row ``1 + token`` of ``table`` holds the token's precomputed lower layer for
    the three state features side by side (each ``n_piece * n_out``, piece-major), row 0 the
    padding; ``penalty[state * 4 + where[token]]`` is 0 for the valid moves, -inf for the
    others; the first best valid move wins. Documents without unseen classes only."""
    cdef Py_ssize_t width = n_out * n_piece, n_class = b_out.shape[0], n_tokens = where.shape[0]
    cdef Py_ssize_t n_docs = lengths.shape[0], d, t, j, k, c, off = 0, b0, best_c
    cdef int64_t state, ent_start
    cdef const float* row0
    cdef const float* row1
    cdef const float* row2
    cdef const float* pen
    cdef const float* w
    cdef float v, best, s
    if table.shape[1] != 3 * width or bias.shape[0] != width or w_out.shape[0] != n_out or w_out.shape[1] != n_class:
        raise ValueError("greedy_moves: layer shapes disagree")
    if penalty.shape[1] != n_class or next_state.shape[0] != n_class or begins.shape[0] != n_class:
        raise ValueError("greedy_moves: transition tables disagree with the classes")
    if sum(lengths) != n_tokens or table.shape[0] != n_tokens + 1:
        raise ValueError("greedy_moves: lengths, tokens and table rows disagree")
    moves_a = np.empty(n_tokens, dtype=np.int64)
    cdef int64_t[::1] moves = moves_a
    cdef float* unmaxed = <float*>malloc(width * sizeof(float))
    cdef float* hidden = <float*>malloc(n_out * sizeof(float))
    cdef float* scores = <float*>malloc(n_class * sizeof(float))
    if unmaxed == NULL or hidden == NULL or scores == NULL:
        free(unmaxed)
        free(hidden)
        free(scores)
        raise MemoryError()
    with nogil:
        for d in range(n_docs):
            state = 0
            ent_start = 0
            for t in range(lengths[d]):
                b0 = off + t
                row0 = &table[b0 + 1, 0]
                if state > 0:  # inside an entity: its first token, and the token before the buffer
                    row1 = &table[off + ent_start + 1, width]
                    row2 = &table[b0, 2 * width]
                else:
                    row1 = &table[0, width]
                    row2 = &table[0, 2 * width]
                for j in range(width):
                    unmaxed[j] = row0[j] + row1[j] + row2[j] + bias[j]
                for j in range(n_out):
                    v = unmaxed[j]
                    for k in range(1, n_piece):
                        if unmaxed[k * n_out + j] > v:
                            v = unmaxed[k * n_out + j]
                    hidden[j] = v
                pen = &penalty[state * 4 + where[b0], 0]
                for c in range(n_class):
                    scores[c] = 0.0
                for j in range(n_out):  # each class's sum still runs over j in order
                    v = hidden[j]
                    w = &w_out[j, 0]
                    for c in range(n_class):
                        scores[c] = scores[c] + v * w[c]
                best = 0.0
                best_c = -1
                for c in range(n_class):
                    s = scores[c] + b_out[c]
                    s = s + pen[c]
                    if best_c < 0 or s > best:
                        best = s
                        best_c = c
                moves[b0] = best_c
                if begins[best_c]:
                    ent_start = t
                state = next_state[best_c]
            off += lengths[d]
    free(unmaxed)
    free(hidden)
    free(scores)
    return moves_a
