"""Scoring functions of pipeline/evaluate.py and the `eval seg` command."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.evaluate import oov_recall, segmentation_prf

ROOT = Path(__file__).resolve().parent.parent


def test_segmentation_prf_counts_words_with_both_boundaries():
    gold = [["共同", "创造", "美好", "的", "新", "世纪"]]
    pred = [["共同", "创造", "美好的", "新", "世纪"]]
    prf = segmentation_prf(gold, pred)
    assert (prf.tp, prf.fp, prf.fn) == (4, 1, 2)


def test_segmentation_prf_refuses_different_text():
    with pytest.raises(ValueError):
        segmentation_prf([["共同"]], [["共", "问"]])


def test_oov_recall_splits_gold_words_by_the_word_list():
    gold = [["江", "泽民", "发表", "新年", "贺词"]]
    pred = [["江泽民", "发表", "新年贺词"]]
    out = oov_recall(gold, pred, known={"江", "发表", "新年", "贺词"})
    # OOV: 泽民 (missed); IV: 江 (missed), 发表 (found), 新年, 贺词 (missed)
    assert out == {"oov_rate": 0.2, "r_oov": 0.0, "r_iv": 0.25}


def test_eval_seg_command_with_a_word_list(tmp_path):
    if not (ROOT / "models" / "zh_news" / "tokenizer" / "pkuseg" / "weights.npz").is_file():
        pytest.skip("no trained segmenter in models/ (run `make models`)")
    gold = tmp_path / "gold.utf8"
    gold.write_text("共同  创造  美好  的  新  世纪\n", encoding="utf-8")
    words = tmp_path / "words.utf8"
    words.write_text("共同\n创造\n美好\n的\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "pipeline", "eval", "seg", "--gold", str(gold), "--words", str(words), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(out.stdout)
    assert set(report) == {"p", "r", "f", "oov_rate", "r_oov", "r_iv"}
    assert report["oov_rate"] == round(2 / 6, 4)
