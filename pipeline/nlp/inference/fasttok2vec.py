"""spaCy's ``tok2vec``, run for inference with fused compiled loops: same weights, same vectors.

Our tok2vec is spaCy's ``Tok2Vec.v2`` of a ``MultiHashEmbed.v2`` (hash embeddings
of a few token attributes, concatenated, mixed by a maxout layer with layer
norm) and a ``MaxoutWindowEncoder.v2`` (residual window-1 maxout layers with
layer norm). thinc runs each of those as its own numpy pass over the whole batch
(``seq2col`` copies, ``hstack``, two passes of ``LayerNorm``, the maxout's
reshape and argmax), and for inference this plan does the same arithmetic in
fewer, cache-sized steps:

* **Embedding and mixing.** The mixing layer is linear before its maxout, so
  its product with a token's concatenated embeddings is the sum of each
  embedding's product with its own block of the weights. Every hash-embedding
  row is multiplied by its block once, when the plan is made; a token then
  costs a few row additions instead of a ``(5 * width) x (3 * width)``
  product. Within a batch each distinct attribute value is hashed and summed
  once (``numpy.unique``).
* **Encoder layers.** ``seq2col`` followed by the product is the same as the
  product with the three window blocks of the weights stacked
  (``x @ [W_prev; W_cur; W_next].T``) and each row adding its neighbours'
  blocks; that product runs on numpy's BLAS in chunks of rows that stay in
  cache, and one compiled loop does the window sum, the bias, the maxout, the
  layer norm and the residual for each row.

The documents are laid out as thinc's ``with_array`` lays them out (the
encoder's padding rows between documents included, which its window layers
read), so the vectors differ from thinc's only by float rounding (a few 1e-6 on
values up to about 10 on our model); the tests check the entities are the same.

The plan is made from the model's weights when first needed and dropped
whenever they can change (``finish_update``, ``use_params``, ``initialize``,
loading); training itself runs thinc's own forward and backward passes. A model
of another shape (static vectors, another encoder or window), on other ops than
numpy's (a GPU), or a build without the compiled module runs thinc's forward
pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, cast

import numpy as np
from spacy.language import Language
from spacy.pipeline.tok2vec import Tok2Vec
from spacy.tokens import Doc
from spacy.training import Example
from thinc.api import Model, NumpyOps

try:
    from pipeline.nlp.inference._tok2vec import embed_maxout_norm, sum_rows, window_maxout_norm
except ImportError:  # built by `pip install` where a C compiler is present
    embed_maxout_norm = sum_rows = window_maxout_norm = None

log = logging.getLogger(__name__)

CHUNK_ROWS = 512  # rows of the encoder's product per BLAS call: 512 x 864 floats stay in L2


class InferencePlan:
    """The weights of a ``MultiHashEmbed`` + ``MaxoutWindowEncoder`` tok2vec, rearranged for
    inference. :meth:`from_model` returns None for any other model."""

    def __init__(
        self,
        columns: list[str],
        hashes: list[tuple[int, int, int, int]],
        table: np.ndarray,
        mix: tuple[np.ndarray, np.ndarray, np.ndarray],
        layers: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]],
        n_piece: int,
        pad: int,
    ):
        self.columns = columns
        self.hashes = hashes  # per embedding: (feature column, seed, rows, first row in table)
        self.table = table  # every embedding row times its block of the mixing weights
        self.mix_bias, self.mix_gain, self.mix_shift = mix
        self.layers = layers  # per encoder layer: (stacked window weights, bias, gain, shift, pieces)
        self.n_piece = n_piece  # the mixing layer's
        self.pad = pad
        self.width = mix[1].shape[0]
        self.ops = NumpyOps()

    @classmethod
    def from_model(cls, model: Model) -> InferencePlan | None:
        if window_maxout_norm is None or not isinstance(model.ops, NumpyOps):
            return None
        shape = _shape(model)
        if shape is None:
            return None
        embed, encode = model.get_ref("embed"), model.get_ref("encode")
        columns = shape["attrs"]
        mix = next(n for n in embed.walk() if n.name == "maxout")
        mix_norm = next(n for n in embed.walk() if n.name == "layernorm")
        n_out, n_piece, n_in = (mix.get_dim(d) for d in ("nO", "nP", "nI"))
        weights = cast(np.ndarray, mix.get_param("W")).reshape(n_out * n_piece, n_in)
        # the compiled loops read each maxout's outputs piece-major (all first pieces, then all
        # second pieces...), so that the maximum runs over contiguous rows: thinc's order is
        # output-major, hence this column permutation of every product and bias
        weights = weights[_piece_major(n_out, n_piece)]
        tables, hashes, first, block = [], [], 0, 0
        for branch in (n for n in embed.walk(order="dfs_pre") if n.name == "ints-getitem>>hashembed"):
            getitem, hashembed = branch.layers  # in the order they are concatenated
            vectors = cast(np.ndarray, hashembed.get_param("E"))
            width = vectors.shape[1]
            tables.append(vectors @ weights[:, block : block + width].T)
            hashes.append((int(getitem.attrs["index"][1]), int(hashembed.attrs["seed"]), vectors.shape[0], first))
            first += vectors.shape[0]
            block += width
        if block != n_in:
            return None
        layers = []
        maxouts = [n for n in encode.walk(order="dfs_pre") if n.name == "maxout"]
        norms = [n for n in encode.walk(order="dfs_pre") if n.name == "layernorm"]
        for maxout, norm in zip(maxouts, norms):
            order = _piece_major(maxout.get_dim("nO"), maxout.get_dim("nP"))
            w = cast(np.ndarray, maxout.get_param("W")).reshape(len(order), -1)[order]
            part = w.shape[1] // 3
            stacked = np.vstack([w[:, :part], w[:, part : 2 * part], w[:, 2 * part :]]).T
            layers.append(
                (
                    np.ascontiguousarray(stacked, dtype="f"),
                    _f(cast(np.ndarray, maxout.get_param("b")).reshape(-1)[order]),
                    _f(norm.get_param("G")),
                    _f(norm.get_param("b")),
                    maxout.get_dim("nP"),
                )
            )
        return cls(
            columns,
            hashes,
            np.ascontiguousarray(np.vstack(tables), dtype="f"),
            (
                _f(cast(np.ndarray, mix.get_param("b")).reshape(-1)[_piece_major(n_out, n_piece)]),
                _f(mix_norm.get_param("G")),
                _f(mix_norm.get_param("b")),
            ),
            layers,
            n_piece,
            int(encode.attrs["pad"]),
        )

    def __call__(self, docs: Sequence[Doc]) -> list[np.ndarray]:
        lengths = np.array([len(doc) for doc in docs], dtype="int64")
        if not lengths.sum():
            return [np.zeros((0, self.width), dtype="f") for _ in docs]
        columns = cast("list[int | str]", self.columns)  # spaCy's stub: list[int | str] (invariant)
        features = np.concatenate([doc.to_array(columns) for doc in docs if len(doc)])
        if features.ndim == 1:
            features = features.reshape(-1, 1)
        n = len(features)
        rows = np.empty((n, len(self.hashes)), dtype="uint32")
        distinct, base = [], 0
        for e, (column, seed, n_rows, first) in enumerate(self.hashes):
            keys, inverse = np.unique(features[:, column], return_inverse=True)
            rows[:, e] = inverse.reshape(-1) + base
            distinct.append(self.ops.hash(np.ascontiguousarray(keys, dtype="uint64"), seed) % n_rows + first)
            base += len(keys)
        summed = np.empty((base, self.table.shape[1]), dtype="f")
        sum_rows(self.table, np.ascontiguousarray(np.concatenate(distinct), dtype="uint32"), summed)
        x = np.empty((n, self.width), dtype="f")
        embed_maxout_norm(summed, rows, self.mix_bias, self.n_piece, self.mix_gain, self.mix_shift, x)
        # thinc's with_array(pad): `pad` zero rows before each non-empty document and after the last
        kept = lengths[lengths > 0]
        before = np.cumsum(kept) - kept  # tokens of the documents before
        starts = before + self.pad * np.arange(1, len(kept) + 1)
        total = n + self.pad * (len(kept) + 1)
        flat = np.zeros((total, self.width), dtype="f")
        flat[np.repeat(starts - before, kept) + np.arange(n)] = x
        for stacked, bias, gain, shift, n_piece in self.layers:
            buffer = np.empty((min(total, CHUNK_ROWS) + 2, stacked.shape[1]), dtype="f")
            out = np.empty_like(flat)  # flat + the layer's output (the window reads `flat`)
            for first in range(0, total, CHUNK_ROWS):
                stop = min(total, first + CHUNK_ROWS)
                lo, hi = max(0, first - 1), min(total, stop + 1)
                z = np.matmul(flat[lo:hi], stacked, out=buffer[: hi - lo])
                window_maxout_norm(z, bias, n_piece, gain, shift, flat, out, first, stop)
            flat = out
        starts_of = iter(starts.tolist())
        return [
            flat[(start := next(starts_of)) : start + length] if length else np.zeros((0, self.width), dtype="f")
            for length in lengths.tolist()
        ]


def _piece_major(n_out: int, n_piece: int) -> np.ndarray:
    """The permutation of a maxout's ``n_out * n_piece`` columns from thinc's output-major
    order to the piece-major order the compiled loops read."""
    return np.arange(n_out * n_piece).reshape(n_out, n_piece).T.reshape(-1)


def _f(array) -> np.ndarray:
    return np.ascontiguousarray(array, dtype="f")


def _shape(model: Model) -> dict | None:
    """The hyperparameters of a ``Tok2Vec.v2(MultiHashEmbed.v2, MaxoutWindowEncoder.v2)`` model
    with window 1, or None when ``model`` is built otherwise: the names of all its layers must
    equal those of the model spaCy builds from the same hyperparameters."""
    from spacy.ml.models.tok2vec import (
        MaxoutWindowEncoder,
        MultiHashEmbed,
        build_Tok2Vec_model,
    )

    if not (model.has_ref("embed") and model.has_ref("encode")):
        return None
    embed, encode = model.get_ref("embed"), model.get_ref("encode")
    try:
        extract = next(n for n in embed.walk() if n.name == "extract_features")
        hashembeds = [n for n in embed.walk(order="dfs_pre") if n.name == "hashembed"]
        window = next(n for n in encode.walk() if n.name == "expand_window")
        maxouts = [n for n in encode.walk() if n.name == "maxout"]
        shape = {
            "width": encode.get_dim("nO"),
            "attrs": list(extract.attrs["columns"]),
            "rows": [n.get_dim("nV") for n in hashembeds],
            "window_size": window.attrs["window_size"],
            "maxout_pieces": maxouts[0].get_dim("nP"),
            "depth": len(maxouts),
        }
        if shape["window_size"] != 1 or len(shape["rows"]) != len(shape["attrs"]):
            return None
        reference = build_Tok2Vec_model(
            MultiHashEmbed(shape["width"], shape["attrs"], shape["rows"], include_static_vectors=False),
            MaxoutWindowEncoder(width=shape["width"], window_size=1, maxout_pieces=shape["maxout_pieces"], depth=shape["depth"]),
        )
    except (StopIteration, IndexError, KeyError, ValueError):
        return None
    names = [n.name for n in model.walk(order="dfs_pre")]
    if names != [n.name for n in reference.walk(order="dfs_pre")]:
        return None
    if any(not n.has_param(p) for n in model.walk() for p in n.param_names):
        return None  # not initialised yet
    return shape


class FastTok2Vec(Tok2Vec):
    """spaCy's ``tok2vec`` component whose ``predict`` runs an :class:`InferencePlan` of its
    model where one can be made; training, listeners and serialisation are spaCy's."""

    fused = True  # False: thinc's forward pass (the reference the tests compare with)
    _plan: InferencePlan | None | Literal[False] = False  # False: not made yet

    def predict(self, docs: Iterable[Doc]):
        docs = list(docs)
        plan = self.plan()
        if plan is None:
            return super().predict(docs)
        return plan(docs)

    def plan(self) -> InferencePlan | None:
        """The inference plan of the current weights, or None where thinc's forward pass runs."""
        if not self.fused:
            return None
        if self._plan is False:
            from pipeline import settings

            self._plan = InferencePlan.from_model(self.model) if settings.compiled() else None
            if self._plan is None and window_maxout_norm is None:
                log.warning(
                    "pipeline.nlp.inference._tok2vec is not built (no C compiler at install?): "
                    "the tok2vec runs thinc's forward pass, slower"
                )
            if self._plan is not None and not self.verify(self._plan):
                self._plan = None
        return self._plan

    def verify(self, plan: InferencePlan) -> bool:
        """Whether ``plan`` gives thinc's vectors for the characters of the built-in text
        (:mod:`pipeline.nlp.inference.canary`); on a difference, say so (thinc's forward pass runs then)."""
        from pipeline.nlp.inference.canary import CANARY_TEXT, VECTOR_TOLERANCE, mismatch

        docs = [Doc(self.vocab, words=[c for c in CANARY_TEXT if not c.isspace()]), Doc(self.vocab, words=["重", "庆"])]
        ours, stock = plan(docs), self.model.predict(docs)
        worst = max(float(np.abs(a - b).max()) for a, b in zip(ours, stock))
        if worst <= VECTOR_TOLERANCE:
            return True
        mismatch(self.name, f"vectors differ by up to {worst:.3g}")
        return False

    def drop_plan(self) -> None:
        self._plan = False

    def finish_update(self, sgd) -> None:
        self.drop_plan()
        super().finish_update(sgd)

    def use_params(self, params: dict):
        """spaCy's convention: a generator that ``Language.use_params`` steps through."""
        self.drop_plan()
        try:
            with self.model.use_params(params):
                yield
        finally:
            self.drop_plan()

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Language | None = None):
        self.drop_plan()  # spaCy validates [initialize] settings against this signature: keep it spaCy's
        return super().initialize(get_examples, nlp=nlp)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()):
        self.drop_plan()
        return super().from_bytes(bytes_data, exclude=exclude)

    def from_disk(self, path, *, exclude: Iterable[str] = ()):
        self.drop_plan()
        return super().from_disk(path, exclude=exclude)
