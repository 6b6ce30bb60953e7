"""Direct checks of the compiled module's building blocks (their users' tests compare whole
outputs with the plain-Python twins: test_fastseg, test_fasttok2vec, test_fastner)."""

import numpy as np
import pytest

compiled = pytest.importorskip("pipeline.nlp._compiled", reason="pipeline/nlp/_compiled.pyx is not built")


def test_trie_finds_each_word_and_only_words():
    words = {"重庆": 1, "重庆市": 2, "北京": 1, "𠀀字": 1}  # one code point beyond the BMP
    trie = compiled.Trie(words)
    nodes = {w: trie.find(w) for w in words}
    assert all(n > 0 for n in nodes.values()) and len(set(nodes.values())) == len(words)
    assert trie.find("") == 0  # the root: the empty string
    assert trie.find("重") > 0  # a prefix is a node...
    assert trie.find("重庆县") == -1 and trie.find("上海") == -1  # ...a string that no word starts is not


def test_trie_scales_to_many_words():
    words = {f"{chr(0x4E00 + i % 500)}{chr(0x4E00 + i // 500)}词": 1 for i in range(50_000)}
    trie = compiled.Trie(words)
    assert len({trie.find(w) for w in words}) == len(words)


def test_kernels_refuse_shapes_that_disagree():
    f = np.zeros((4, 6), dtype=np.float32)
    with pytest.raises(ValueError, match="widths disagree"):
        compiled.window_maxout_norm(np.zeros((4, 5), dtype=np.float32), np.zeros(6, dtype=np.float32), 3,
                                    np.ones(2, dtype=np.float32), np.zeros(2, dtype=np.float32),
                                    np.zeros((4, 2), dtype=np.float32), np.zeros((4, 2), dtype=np.float32), 0, 4)
    with pytest.raises(ValueError, match="widths disagree"):
        compiled.embed_maxout_norm(f, np.zeros((4, 1), dtype=np.uint32), np.zeros(5, dtype=np.float32), 3,
                                   np.ones(2, dtype=np.float32), np.zeros(2, dtype=np.float32),
                                   np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="lengths, tokens and table rows disagree"):
        compiled.greedy_moves(np.zeros((3, 12), dtype=np.float32), 2, 2, np.zeros(4, dtype=np.float32),
                              np.zeros((2, 3), dtype=np.float32), np.zeros(3, dtype=np.float32),
                              np.zeros((8, 3), dtype=np.float32), np.zeros(3, dtype=np.int64),
                              np.zeros(3, dtype=np.uint8), np.zeros(2, dtype=np.int64), np.array([5], dtype=np.int64))
