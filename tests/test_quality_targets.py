"""The NER issue's targets on the evaluation-only splits, so that a rule or model
change that loses them fails here (they are read, never trained or tuned on).

The seed gold's ORG and place targets are checked in tests/test_ner.py.
"""

import pytest

from tests.conftest import SHARED

PKU_GOLD = SHARED / "corpora" / "icwb2-sighan2005" / "gold" / "pku_test_gold.utf8"
MSRA_TEST = SHARED / "corpora" / "msra-ner" / "msra_test_bio.txt"


@pytest.fixture(scope="module")
def shipped():
    from pipeline.nlp import pipeline_dir

    if not pipeline_dir().is_dir():
        pytest.skip("models/zh_news is missing: run `make models`")


@pytest.mark.skipif(not PKU_GOLD.is_file(), reason="../shared/corpora/icwb2-sighan2005 is absent (a fresh user clone has none)")
def test_segmenter_pku_f1_at_least_095(shipped):
    from pipeline.eval_cli import eval_seg

    report = eval_seg(str(PKU_GOLD))
    assert report["f"] >= 0.95, report


@pytest.mark.skipif(not MSRA_TEST.is_file(), reason="../shared/corpora/msra-ner is absent (a fresh user clone has none)")
def test_full_pipeline_msra_micro_f1_at_least_080(shipped):
    from pipeline.eval_cli import eval_ner_corpus

    report = eval_ner_corpus("msra", str(MSRA_TEST))
    assert report["micro"]["f"] >= 0.80, report["micro"]
