"""Direct checks of the compiled module's building blocks (their users' tests compare whole
outputs with the plain-Python twins: test_fastseg, test_fasttok2vec, test_fastner)."""

import numpy as np
import pytest

segment = pytest.importorskip("pipeline.nlp.inference._segment", reason="pipeline/nlp/inference/_segment.pyx is not built")
tok2vec_loops = pytest.importorskip("pipeline.nlp.inference._tok2vec", reason="pipeline/nlp/inference/_tok2vec.pyx is not built")
ner_loops = pytest.importorskip("pipeline.nlp.inference._ner", reason="pipeline/nlp/inference/_ner.pyx is not built")


def test_trie_finds_each_word_and_only_words():
    words = {"重庆": 1, "重庆市": 2, "北京": 1, "𠀀字": 1}  # one code point beyond the BMP
    trie = segment.Trie(words)
    nodes = {w: trie.find(w) for w in words}
    assert all(n > 0 for n in nodes.values()) and len(set(nodes.values())) == len(words)
    assert trie.find("") == 0  # the root: the empty string
    assert trie.find("重") > 0  # a prefix is a node...
    assert trie.find("重庆县") == -1 and trie.find("上海") == -1  # ...a string that no word starts is not


def test_trie_scales_to_many_words():
    words = {f"{chr(0x4E00 + i % 500)}{chr(0x4E00 + i // 500)}词": 1 for i in range(50_000)}
    trie = segment.Trie(words)
    assert len({trie.find(w) for w in words}) == len(words)


def test_kernels_refuse_shapes_that_disagree():
    f = np.zeros((4, 6), dtype=np.float32)
    with pytest.raises(ValueError, match="widths disagree"):
        tok2vec_loops.window_maxout_norm(
            np.zeros((4, 5), dtype=np.float32),
            np.zeros(6, dtype=np.float32),
            3,
            np.ones(2, dtype=np.float32),
            np.zeros(2, dtype=np.float32),
            np.zeros((4, 2), dtype=np.float32),
            np.zeros((4, 2), dtype=np.float32),
            0,
            4,
        )
    with pytest.raises(ValueError, match="widths disagree"):
        tok2vec_loops.embed_maxout_norm(
            f,
            np.zeros((4, 1), dtype=np.uint32),
            np.zeros(5, dtype=np.float32),
            3,
            np.ones(2, dtype=np.float32),
            np.zeros(2, dtype=np.float32),
            np.zeros((4, 2), dtype=np.float32),
        )
    with pytest.raises(ValueError, match="lengths, tokens and table rows disagree"):
        ner_loops.greedy_moves(
            np.zeros((3, 12), dtype=np.float32),
            2,
            2,
            np.zeros(4, dtype=np.float32),
            np.zeros((2, 3), dtype=np.float32),
            np.zeros(3, dtype=np.float32),
            np.zeros((8, 3), dtype=np.float32),
            np.zeros(3, dtype=np.int64),
            np.zeros(3, dtype=np.uint8),
            np.zeros(2, dtype=np.int64),
            np.array([5], dtype=np.int64),
        )


def test_word_columns_fill_keys_and_refuse_words_that_do_not_cover_the_text():
    keys = {}

    def add(word):
        return keys.setdefault(word, 100 + len(keys))

    tags = np.array([[0, 0, 0], [1, 1, 1], [2, 0, 3], [4, 5, 6]], dtype=np.uint64)  # S; B2 E2; B3 M3 E3 (3: and more)
    out = np.zeros((8, 2), dtype=np.uint64)
    assert segment.word_columns(["重庆市", "的", "科技", "一二三"], add, tags, out, 1, 0) is None  # 9 characters, 8 rows
    assert not out.any()
    out = np.zeros((9, 2), dtype=np.uint64)
    assert segment.word_columns(["重庆市", "的", "科技", "一二三"], add, tags, out, 1, 0) == ([0, 3, 4, 6], [3, 4, 6, 9])
    assert out[:, 1].tolist() == [100] * 3 + [101] + [102] * 2 + [103] * 3
    assert out[:, 0].tolist() == [4, 5, 6, 1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="columns out of range"):
        segment.word_columns(["重庆市"], add, tags, np.zeros((3, 2), dtype=np.uint64), 0, 2)
    out = np.zeros((5, 1), dtype=np.uint64)
    assert segment.word_columns(["中华人民", "国"], add, tags, out, 0, 0) is not None
    assert out[:, 0].tolist() == [4, 5, 5, 6, 1]  # four characters count as the longest class


def test_lexicon_column_refuses_rows_that_disagree_and_asks_for_unknown_codes():
    trie = segment.Trie({"北京": 2})
    keys, known = np.zeros(64, dtype=np.uint64), np.zeros(64, dtype=np.uint8)
    with pytest.raises(ValueError, match="rows and text disagree"):
        segment.lexicon_column(trie, "北京", 2, 2, 3, keys, known, np.zeros((3, 1), dtype=np.uint64), 0)
    with pytest.raises(ValueError, match="out of range"):
        segment.lexicon_column(trie, "北京", 2, 2, 3, keys, known, np.zeros((2, 1), dtype=np.uint64), 1)
    out = np.zeros((3, 1), dtype=np.uint64)
    assert segment.lexicon_column(trie, "北京市", 2, 2, 3, keys, known, out, 0) == 1 << 2  # nsB: not known yet
    known[[0, 1 << 2, 3 << 2]] = 1
    keys[[0, 1 << 2, 3 << 2]] = [7, 8, 9]
    assert segment.lexicon_column(trie, "北京市", 2, 2, 3, keys, known, out, 0) == -1
    assert out[:, 0].tolist() == [8, 9, 7]
