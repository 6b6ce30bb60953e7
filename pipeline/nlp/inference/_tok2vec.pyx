# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compiled loops of the tok2vec's inference (:mod:`pipeline.nlp.inference.fasttok2vec`), held
to thinc's forward pass by the tests."""

import numpy as np

from libc.math cimport sqrt
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset

# --- tok2vec inference (pipeline.nlp.fasttok2vec) -------------------------------------------------

cdef inline void _maxout_norm(float* h, Py_ssize_t n_out, Py_ssize_t n_piece, const float* gain,
                              const float* shift, float* y, float* dest, bint add) noexcept nogil:
    """Max over each output's pieces of ``h`` (``n_piece * n_out``, piece-major: the pieces of
    output o at o, n_out + o, ...), then thinc's LayerNorm (mean and variance over the
    outputs, 1e-8 added to the variance), scaled by ``gain`` and shifted; written to
    ``dest`` or, with ``add``, added to it (a residual)."""
    cdef Py_ssize_t o, p
    cdef const float* piece
    cdef float a, b
    cdef double mean, var, d0, d1, d2, d3
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    for o in range(n_out):
        y[o] = h[o]
    for p in range(1, n_piece):
        piece = h + p * n_out
        for o in range(n_out):  # an unconditional store: a max instruction, no branch
            a = piece[o]
            b = y[o]
            y[o] = a if a > b else b
    # sums over four interleaved accumulators: four chains of additions run at once,
    # where one chain waits for each addition in turn (the reductions were most of this loop)
    o = 0
    while o + 4 <= n_out:
        s0 += y[o]
        s1 += y[o + 1]
        s2 += y[o + 2]
        s3 += y[o + 3]
        o += 4
    while o < n_out:
        s0 += y[o]
        o += 1
    mean = ((s0 + s1) + (s2 + s3)) / n_out
    s0 = s1 = s2 = s3 = 0.0
    o = 0
    while o + 4 <= n_out:
        d0 = y[o] - mean
        d1 = y[o + 1] - mean
        d2 = y[o + 2] - mean
        d3 = y[o + 3] - mean
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
        o += 4
    while o < n_out:
        d0 = y[o] - mean
        s0 += d0 * d0
        o += 1
    var = (s0 + s1) + (s2 + s3)
    cdef float scale = <float>(1.0 / sqrt(var / n_out + 1e-8))
    cdef float m = <float>mean
    if add:
        for o in range(n_out):
            dest[o] += (y[o] - m) * scale * gain[o] + shift[o]
    else:
        for o in range(n_out):
            dest[o] = (y[o] - m) * scale * gain[o] + shift[o]


cdef int _scratch(Py_ssize_t width, Py_ssize_t n_out, float** h, float** y) except -1:
    """A row's pre-activations (``width``) and maxout outputs (``n_out``); the caller frees them."""
    h[0] = <float*>malloc(width * sizeof(float))
    y[0] = <float*>malloc(n_out * sizeof(float))
    if h[0] == NULL or y[0] == NULL:
        free(h[0])
        free(y[0])
        raise MemoryError()
    return 0


def embed_maxout_norm(const float[:, ::1] table, const unsigned int[:, ::1] rows, const float[::1] bias,
                      Py_ssize_t n_piece, const float[::1] gain, const float[::1] shift, float[:, ::1] out):
    """Each token's first tok2vec layer: the sum of its ``rows`` of ``table`` (every hash
    embedding row already multiplied by its block of the mixing weights, columns
    piece-major), plus ``bias``, then maxout and layer norm into ``out``."""
    cdef Py_ssize_t n = rows.shape[0], n_rows = rows.shape[1], width = table.shape[1]
    cdef Py_ssize_t n_out = out.shape[1], i, r, j
    cdef const float* src
    cdef float* h
    cdef float* y
    if width != n_out * n_piece or bias.shape[0] != width:
        raise ValueError("embed_maxout_norm: table, bias and output widths disagree")
    _scratch(width, n_out, &h, &y)
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
                       const float[::1] gain, const float[::1] shift, const float[:, ::1] x,
                       float[:, ::1] out, Py_ssize_t first, Py_ssize_t stop):
    """A window-1 maxout layer with layer norm and a residual, ``out[t] = x[t] + layer(x)[t]``,
    for the rows ``first`` to ``stop``. ``z`` holds ``x @ [W_prev; W_cur; W_next].T`` for the
    rows ``first - 1`` to ``stop`` (one row of context each side where the array has one): row
    t sums the previous row's first block, its own middle block and the next row's last
    block, which is ``seq2col`` followed by the maxout's product. Each block's columns are
    piece-major, as ``bias``'s."""
    cdef Py_ssize_t width = bias.shape[0], n_out = out.shape[1], t, j, zi
    cdef Py_ssize_t total = out.shape[0]
    cdef Py_ssize_t z0 = first - 1 if first > 0 else 0
    cdef float* h
    cdef float* y
    cdef float* dest
    cdef const float* src
    cdef const float* cur
    cdef const float* b = &bias[0]
    if width != n_out * n_piece or z.shape[1] != 3 * width:
        raise ValueError("window_maxout_norm: weight and output widths disagree")
    if x.shape[0] != total or x.shape[1] != n_out:
        raise ValueError("window_maxout_norm: input and output shapes disagree")
    if first < 0 or stop > total or first > stop:
        raise ValueError("window_maxout_norm: rows out of range")
    if z.shape[0] != min(stop + 1, total) - z0:
        raise ValueError("window_maxout_norm: z does not cover the rows and their neighbours")
    _scratch(width, n_out, &h, &y)
    with nogil:
        for t in range(first, stop):
            zi = t - z0
            cur = &z[zi, width]
            for j in range(width):
                h[j] = b[j] + cur[j]
            if t > 0:
                cur = &z[zi - 1, 0]
                for j in range(width):
                    h[j] += cur[j]
            if t + 1 < total:
                cur = &z[zi + 1, 2 * width]
                for j in range(width):
                    h[j] += cur[j]
            dest = &out[t, 0]
            src = &x[t, 0]
            for j in range(n_out):
                dest[j] = src[j]
            _maxout_norm(h, n_out, n_piece, &gain[0], &shift[0], y, dest, True)
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
