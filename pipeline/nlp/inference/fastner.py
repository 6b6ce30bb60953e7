"""spaCy's greedy NER, decoded by our own loop over the same weights: same model, same entities.

spaCy's ``EntityRecognizer`` decodes each state step by step in Cython, but
in the spaCy 3.8 wheels that loop takes and drops the GIL inside its
per-state helpers (``perf`` call graphs on our model: ``PyGILState_Ensure``
under ``StateC::B_`` in the moves' validity checks and under
``predict_states``): lock and GIL handling take more time than the
arithmetic, and the component runs at 65-75 K chars/s whatever the model's
width. This decoder reads the same weights and makes the same moves:

* the listener's token vectors go through the model's ``lower`` layer once,
  in one product (spaCy's own precomputation, laid out for the loop: each
  token's contribution to the three state features side by side, pieces
  first, the padding vector in row 0);
* the biluo transition system consumes exactly one token per move, so step
  ``t`` of a document is its token ``t``: the three state features (the
  buffer's first token, the open entity's first token, the token before the
  buffer) are rows of that table, then the maxout and the output layer;
* the valid moves are spaCy's ``is_valid`` rules for documents without preset
  entities: ``B``/``U`` only outside an entity and never on whitespace, ``B``
  and ``I`` never on the last token or across a sentence start, ``I``/``L``
  only inside an entity of their label, ``O`` only outside one; the best
  valid move wins, the first one on a tie, as in spaCy's ``arg_max_if_valid``.

The loop is compiled (``_ner.greedy_moves``, one document after another,
without the GIL); its numpy twin (``_steps``) advances all the running
documents of a batch together, and decodes models with unseen classes
(spaCy gives those the minimum score of the whole batch, which couples the
documents). Documents that carry preset entities, beam search, a model on
other ops than numpy's (a GPU), or a model shape other than spaCy's
``TransitionBasedParser`` for NER (three state features, an output layer) go
through spaCy's own decoder. Tests check that spaCy's decoder and ours give
the same entities on the sample page, on the People's Daily test text and on
generated text, and that the compiled loop and its twin agree.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from spacy.attrs import IS_SPACE, SENT_START
from spacy.pipeline.ner import EntityRecognizer
from spacy.tokens import Doc, Span
from spacy.util import minibatch
from thinc.api import NumpyOps

try:
    from pipeline.nlp.inference._ner import greedy_moves
except ImportError:  # built by `pip install` where a C compiler is present
    greedy_moves = None

_B, _I, _L, _U, _O = range(5)
_MOVE = {"B": _B, "I": _I, "L": _L, "U": _U, "O": _O}


class Entities(list):
    """What :meth:`FastEntityRecognizer.predict` returns for a batch: per document,
    its ``(start, end, label)`` token spans (a list type of its own, so that
    :meth:`set_annotations` tells it from spaCy's parse states)."""


class FastEntityRecognizer(EntityRecognizer):
    """spaCy's ``ner`` component with our greedy decoder (compiled, and its numpy twin).

    Training, scoring and serialisation are spaCy's; only ``predict`` and
    ``set_annotations`` differ, and only where :meth:`decodable` says so.
    """

    compiled = True  # False: the numpy decoder (the compiled loop's twin, for the tests)
    #: None: not checked yet; False: the built-in check found other entities than spaCy's
    agrees: bool | None = None
    #: the decoder's tables of the current moves (set by :meth:`_tables` when first needed)
    _fast_tables: _Tables

    def decodable(self, docs: list[Doc]) -> bool:
        """Whether our decoder makes exactly spaCy's moves for these docs."""
        if self.agrees is False or self.cfg.get("beam_width", 1) != 1 or not self.model.attrs.get("has_upper", False):
            return False
        from pipeline import settings

        if not settings.compiled():
            return False
        if not isinstance(self.model.ops, NumpyOps):  # a GPU's arrays stay with spaCy's decoder
            return False
        lower = self.model.get_ref("lower")
        if lower.get_dim("nF") != 3:  # extra_state_tokens = true uses 6 features
            return False
        return not any(doc.has_annotation("ENT_IOB") for doc in docs)

    def predict(self, docs: Iterable[Doc]):
        docs = list(docs)
        if not self.decodable(docs):
            return super().predict(docs)
        if self.agrees is None:
            self.agrees = self.verify(docs)
            if not self.agrees:
                return super().predict(docs)
        if not any(len(doc) for doc in docs):
            return Entities([] for _ in docs)
        return Entities(self._decode(docs))

    def verify(self, docs: list[Doc]) -> bool:
        """Whether our decoder gives spaCy's entities for the first document of ``docs`` with
        tokens (its vectors are the tok2vec's, so the check waits for the first batch; see
        :mod:`pipeline.nlp.inference.canary`); on a difference, say so (spaCy's decoder runs then)."""
        from pipeline.nlp.inference.canary import mismatch

        doc = next((d for d in docs if len(d)), None)
        if doc is None:
            return True
        copy = Doc(doc.vocab).from_bytes(doc.to_bytes(exclude=["user_data"]))
        super().set_annotations([copy], super().predict([copy]))
        stock = [(e.start, e.end, e.label) for e in copy.ents]
        ours = [tuple(x) for x in self._decode([doc])[0]]
        if ours == stock:
            return True
        mismatch(self.name, f"entities {ours[:3]} against spaCy's {stock[:3]} on {doc.text[:30]!r}")
        return False

    def set_annotations(self, docs: Iterable[Doc], states_or_entities) -> None:
        if not isinstance(states_or_entities, Entities):
            return super().set_annotations(docs, states_or_entities)
        for doc, ents in zip(docs, states_or_entities):
            doc.set_ents([Span(doc, s, e, label=label) for s, e, label in ents], default="outside")
            for hook in self.postprocesses:
                hook(doc)

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 256):
        """As spaCy's, without its sub-batches of ``batch_size // 4``: the decoder's
        cost is per step (the longest document), so a batch is decoded at once."""
        error_handler = self.get_error_handler()
        for batch in minibatch(stream, size=batch_size):
            batch = list(batch)
            try:
                self.set_annotations(batch, self.predict(batch))
                yield from batch
            except Exception as e:  # noqa: BLE001 - spaCy's own contract: the pipeline's error handler decides
                error_handler(self.name, self, batch, e)

    # -- the decoder ----------------------------------------------------
    def _tables(self) -> _Tables:
        n = self.moves.n_moves
        if getattr(self, "_fast_tables", None) is None or self._fast_tables.n_class != n:
            self._fast_tables = _Tables([self.moves.get_class_name(i) for i in range(n)], self.vocab.strings)
        return self._fast_tables

    def _decode(self, docs: list[Doc]) -> list[list[tuple[int, int, int]]]:
        tok2vec, lower, upper = (self.model.get_ref(name) for name in ("tok2vec", "lower", "upper"))
        tables = self._tables()
        # row 1 + token of `table` holds the token's contribution to each of the three state
        # features side by side, row 0 their padding: spaCy's precomputed lower layer, laid out
        # pieces first, so that the maxout is an elementwise maximum of slices (one product)
        vectors = tok2vec.predict(docs)
        weights = lower.get_param("W")  # (features, outputs, pieces, inputs)
        n_f, n_o, n_p, n_i = weights.shape
        width = n_p * n_o
        table = np.empty((len(vectors) + 1, n_f * width), dtype=np.float32)
        np.matmul(vectors, weights.transpose(0, 2, 1, 3).reshape(n_f * width, n_i).T, out=table[1:])
        table[0] = lower.get_param("pad")[0].transpose(0, 2, 1).reshape(n_f * width)
        bias = np.ascontiguousarray(lower.get_param("b").T, dtype=np.float32).reshape(width)
        w_out = np.ascontiguousarray(upper.get_param("W").T, dtype=np.float32)
        b_out = np.ascontiguousarray(upper.get_param("b"), dtype=np.float32)
        unseen = sorted(self.model.attrs.get("unseen_classes", ()))

        lengths = np.array([len(doc) for doc in docs], dtype=np.int64)
        # per token of the batch: 1 if whitespace, 2 if it is the last of its document
        # or the next token starts a sentence (no B or I there)
        kept = lengths[lengths > 0]
        arr = np.concatenate([doc.to_array([IS_SPACE, SENT_START]).reshape(-1, 2) for doc in docs if len(doc)])
        where = (arr[:, 0] == 1).astype(np.int64)
        last = np.zeros(len(arr), dtype=bool)
        last[:-1] = arr[1:, 1] == 1
        last[np.cumsum(kept) - 1] = True
        where += 2 * last
        if self.compiled and greedy_moves is not None and not unseen:
            moves = greedy_moves(
                table, n_o, n_p, bias, w_out, b_out, tables.penalty, tables.next_state, tables.begins, where, lengths
            )
        else:
            feats = [table[:, f * width : (f + 1) * width] for f in range(n_f)]
            moves = self._steps(tables, feats, bias, w_out, b_out, unseen, where, lengths)
        return tables.entities(moves, lengths)

    @staticmethod
    def _steps(
        tables: _Tables, feats: list[np.ndarray], bias, w_out, b_out, unseen: list[int], where: np.ndarray, lengths: np.ndarray
    ) -> np.ndarray:
        """The moves (one per token, documents end to end), all running documents advanced
        together one step at a time with numpy (the compiled ``greedy_moves``' twin, and the
        decoder of models with unseen classes, whose scores spaCy sets per batch)."""
        n_o = w_out.shape[0]
        n_p = len(bias) // n_o
        offsets = np.cumsum(lengths) - lengths
        order = np.argsort(-lengths, kind="stable")  # running documents stay a prefix
        len_s, off_s = lengths[order], offsets[order]
        n_docs = len(lengths)
        state = np.zeros(n_docs, dtype=np.int64)  # 0: outside an entity, k + 1: inside one of label k
        ent_start = np.zeros(n_docs, dtype=np.int64)
        moves = np.zeros(int(lengths.sum()), dtype=np.int64)
        n_steps = int(len_s[0]) if n_docs else 0
        running = n_docs
        for t in range(n_steps):
            while len_s[running - 1] <= t:
                running -= 1
            m = running
            b0 = off_s[:m] + t
            st = state[:m]
            inside = st > 0
            e0 = np.where(inside, off_s[:m] + ent_start[:m], -1)
            before = np.where(inside, b0 - 1, -1)
            unmaxed = feats[0][b0 + 1]
            unmaxed += feats[1][e0 + 1]
            unmaxed += feats[2][before + 1]
            unmaxed += bias
            hidden = unmaxed[:, :n_o]
            for k in range(1, n_p):
                hidden = np.maximum(hidden, unmaxed[:, k * n_o : (k + 1) * n_o])
            scores = hidden @ w_out
            scores += b_out
            if unseen:
                scores[:, unseen] = scores.min()
            scores += tables.penalty[st * 4 + where[b0]]
            guess = scores.argmax(axis=1)
            moves[b0] = guess
            begins = tables.kind[guess] == _B
            ent_start[:m][begins] = t
            state[:m] = tables.next_state[guess]
        return moves


class _Tables:
    """The transition system as lookup tables over the move ids."""

    def __init__(self, names: list[str], strings):
        self.n_class = len(names)
        self.kind = np.array([_MOVE[name.partition("-")[0]] for name in names], dtype=np.int64)
        label_names = [name.partition("-")[2] for name in names]
        self.labels = sorted({lab for lab in label_names if lab})
        index = {lab: k for k, lab in enumerate(self.labels)}
        self.label_hash = [strings.add(lab) for lab in self.labels]
        self.move_label = np.array([index.get(lab, -1) for lab in label_names], dtype=np.int64)
        # the state after a move: outside (0) or inside an entity of label k (k + 1)
        self.next_state = np.where(np.isin(self.kind, (_B, _I)), self.move_label + 1, 0).astype(np.int64)
        self.begins = (self.kind == _B).astype(np.uint8)
        # penalty[state * 4 + where]: 0 for a valid move, -inf for the others, where
        # the token's bit 1 is whitespace and bit 2 "no B or I here" (spaCy's is_valid
        # for documents without preset entities)
        n_states = len(self.labels) + 1
        valid = np.zeros((n_states * 4, self.n_class), dtype=bool)
        labelled = self.move_label >= 0
        for st in range(n_states):
            for where in range(4):
                blank, stop = bool(where & 1), bool(where & 2)
                row = valid[st * 4 + where]
                if st == 0:
                    row |= self.kind == _O
                    if not blank:
                        row |= (self.kind == _U) & labelled
                        if not stop:
                            row |= (self.kind == _B) & labelled
                else:
                    same = self.move_label == st - 1
                    row |= (self.kind == _L) & same
                    if not stop:
                        row |= (self.kind == _I) & same
        self.penalty = np.where(valid, 0.0, -np.inf).astype(np.float32)

    def entities(self, moves: np.ndarray, lengths: np.ndarray) -> list[list[tuple[int, int, int]]]:
        """(start, end, label hash) per document from the moves (one per token, documents end
        to end). The moves are valid biluo sequences, so the k-th B pairs with the k-th L and
        no entity runs across documents."""
        n_docs = len(lengths)
        per_doc: list[list[tuple[int, int, int]]] = [[] for _ in range(n_docs)]
        if not len(moves):
            return per_doc
        doc_of = np.repeat(np.arange(n_docs), lengths)
        pos = np.arange(len(moves)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        kind = self.kind[moves]
        labels = self.move_label[moves]
        begin, last, unit = (np.flatnonzero(kind == k) for k in (_B, _L, _U))
        for b, e in zip(begin.tolist(), last.tolist()):
            per_doc[doc_of[b]].append((int(pos[b]), int(pos[e]) + 1, self.label_hash[labels[b]]))
        for u in unit.tolist():
            per_doc[doc_of[u]].append((int(pos[u]), int(pos[u]) + 1, self.label_hash[labels[u]]))
        for ents in per_doc:
            ents.sort()
        return per_doc
