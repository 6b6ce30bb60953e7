import pytest

from pipeline.nlp import pipeline_dir


@pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`")
def test_spacy_load_finds_our_factories_through_entry_points(fresh_python):
    """A fresh interpreter that never imports `pipeline` can still spacy.load the directory."""
    code = (
        "import spacy, sys\n"
        "assert 'pipeline' not in sys.modules  # nothing of ours is imported before spacy.load\n"
        f"nlp = spacy.load({str(pipeline_dir())!r})\n"
        "assert 'pipeline.nlp.factories' in sys.modules  # spaCy found our factories by entry point\n"
        "doc = nlp('2022年，重庆市技术合同成交额630.5亿元，云阳县')\n"
        "print(nlp.pipe_names)\n"
        "print([(e.text, e.label_, e._.kb_id, e._.value) for e in doc.ents])\n"
    )
    out = fresh_python(code)
    assert "zhnews_entity_rules" in out.stdout and "zhnews_quantities" in out.stdout and "zhnews_linker" in out.stdout
    assert "('630.5亿元', 'MONEY', None, 63050000000.0)" in out.stdout
    assert "('云阳县', 'GPE', '500235', None)" in out.stdout


@pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`")
def test_load_nlp_is_cached():
    from pipeline.nlp import load_nlp

    assert load_nlp() is load_nlp()


@pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`")
def test_span_extensions_and_top_level_loader():
    import pipeline

    nlp = pipeline.load_nlp()
    doc = nlp("截至6月底，我市高新技术企业累计达到6401家，研发人员超过20万人。")
    ents = {e.text: e for e in doc.ents}
    assert ents["6401家"]._.value == 6401 and ents["6401家"]._.unit == "家"
    assert ents["20万人"]._.qualifier == ">" and ents["20万人"]._.source == "quantity:c.ren"
    assert ents["6月底"].label_ == "DATE"


@pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`")
def test_load_nlp_builds_the_models_on_numpys_blas_and_leaves_the_current_ops_alone():
    from thinc.api import get_current_ops

    from pipeline.nlp import load_nlp

    before = get_current_ops()
    nlp = load_nlp()
    assert get_current_ops() is before
    for name in ("tok2vec", "ner"):
        ops = nlp.get_pipe(name).model.ops
        assert type(ops).__name__ == "NumpyOps" and not ops.use_blis


def test_numpy_blas_gemm_equals_blis_gemm():
    import numpy as np
    from thinc.api import NumpyOps

    rng = np.random.default_rng(0)
    x, y = rng.random((50, 30), dtype=np.float32), rng.random((20, 30), dtype=np.float32)
    fast, blis = NumpyOps(use_blis=False), NumpyOps()
    np.testing.assert_allclose(fast.gemm(x, y, trans2=True), blis.gemm(x, y, trans2=True), rtol=1e-5)
    out = np.zeros((50, 20), dtype=np.float32)
    assert fast.gemm(x, y, trans2=True, out=out) is out
    np.testing.assert_allclose(out, blis.gemm(x, y, trans2=True), rtol=1e-5)


@pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`")
def test_docs_serialise_and_nlp_pipe_runs_in_two_processes():
    from spacy.tokens import Doc

    from pipeline.nlp import load_nlp

    nlp = load_nlp()
    texts = [
        "2022年，重庆市技术合同成交额630.5亿元，云阳县",
        "新华社北京1月1日电 记者王小明报道",
        "中国人民银行在北京召开会议",
    ] * 4
    one = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    doc = nlp(texts[0])
    again = Doc(nlp.vocab).from_bytes(doc.to_bytes())  # user data included
    assert [(e.start_char, e.end_char, e.label_) for e in again.ents] == one[0]
    two = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts, n_process=2, batch_size=4)]
    assert two == one


@pytest.mark.skipif(not pipeline_dir().is_dir(), reason="models/zh_news is missing: run `make models`")
@pytest.mark.parametrize("setting, frozen", [(None, True), ("1", True), ("0", False)])
def test_load_nlp_freezes_the_loaded_models_out_of_the_collector(fresh_python, setting, frozen):
    """After loading (and the warm-up sentence's lazy loads), the objects alive are frozen
    out of the cyclic collector's view, unless PIPELINE_GC_FREEZE=0."""
    env = "" if setting is None else f"os.environ['PIPELINE_GC_FREEZE'] = {setting!r}\n"
    code = (
        "import gc, os\n" + env + "from pipeline.nlp import load_nlp\n"
        "nlp = load_nlp()\n"
        "tok = nlp.tokenizer\n"
        "assert tok._segmenter is not None and nlp.get_pipe('zhnews_entity_rules')._gazetteer is not None\n"
        "print('frozen', gc.get_freeze_count())\n"
    )
    count = int(fresh_python(code).stdout.split("frozen ")[1])
    assert (count > 100_000) if frozen else (count == 0)


def test_a_bad_gc_freeze_setting_is_refused(monkeypatch):
    from pipeline import settings

    monkeypatch.setenv("PIPELINE_GC_FREEZE", "yes")
    with pytest.raises(ValueError, match="PIPELINE_GC_FREEZE must be 0 or 1"):
        settings.gc_freeze()
