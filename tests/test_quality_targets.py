"""Quality guards on DEVELOPMENT data, so that a rule or model change that loses
ground fails here.

The test splits (MSRA test, SIGHAN PKU test) gate nothing: they are read once
per shipped model, for the model card (models/README.md). The guards read the
development data the choices are made on, with a margin below the shipped
scores (run-to-run noise of a retraining, small pages):

* the MSRA development split (about 5 % of MSRA train, by a stable hash);
* the annotated pages of ../shared/dev-pages, with the default rules, no packs
  (``eval pages``; the sample page's own guard is in tests/test_eval_pages.py).
"""

import pytest

from tests.conftest import SHARED, need_shared

MSRA_TRAIN = SHARED / "corpora" / "msra-ner" / "train" / "msra_train_bio.txt"
DEV_PAGES = SHARED / "dev-pages"

# shipped scores minus a margin (models/README.md has the shipped scores)
MSRA_DEV_MIN = 0.80
PAGES_ORG_PLACE_MIN = 0.73
PAGES_PERSON_MIN = 0.88
PAGES_NUMBER_MIN = 0.94


@pytest.fixture(scope="module")
def shipped():
    from pipeline.nlp import pipeline_dir

    if not pipeline_dir().is_dir():
        pytest.skip("models/zh_news is missing: run `make models`")


def test_full_pipeline_on_the_msra_development_split(shipped):
    from pipeline.eval_cli import eval_ner_corpus

    report = eval_ner_corpus("msra-dev", str(need_shared(MSRA_TRAIN, "MSRA train")))
    assert report["micro"]["f"] >= MSRA_DEV_MIN, report["micro"]


@pytest.fixture
def default_rules():
    """The default rule set, no packs: what holds on any page."""
    from pipeline.nlp import load_nlp, use_rule_packs
    from tests.conftest import SAMPLE_PACKS

    nlp = load_nlp()
    use_rule_packs(nlp, ())
    yield
    use_rule_packs(nlp, SAMPLE_PACKS)


def test_dev_pages_with_the_default_rules(shipped, default_rules):
    from pipeline import eval_pages

    need_shared(DEV_PAGES, "the annotated development pages")
    report = eval_pages.evaluate_pages(eval_pages.discover([DEV_PAGES]))
    groups = report["groups"]
    assert groups["ORG+PLACE"]["f"] >= PAGES_ORG_PLACE_MIN, groups["ORG+PLACE"]
    assert groups["PERSON"]["f"] >= PAGES_PERSON_MIN, groups["PERSON"]
    assert groups["NUMBER"]["f"] >= PAGES_NUMBER_MIN, groups["NUMBER"]
