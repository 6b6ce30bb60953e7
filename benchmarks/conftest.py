import pytest

from benchmarks import systems


@pytest.fixture(scope="session")
def pd_texts():
    texts = systems.pd_test_sentences()
    if texts is None:
        pytest.skip("../shared/corpora/peoples-daily-ner is not beside this checkout (the 219 K-character benchmark corpus)")
    return texts


@pytest.fixture(scope="session")
def seed_texts():
    from pipeline import batch
    from pipeline.io.readers import make_document

    doc = make_document(systems.seed_text(), "seed", "utf-8")
    return [s.text for s in batch.clean_and_split([doc]).sentences]
