"""The training code, exercised end to end on a tiny sample (real training: `make models`)."""

from pathlib import Path

import pytest

PD_LINES = [
    "迈向/v  充满/v  希望/n  的/u  新/a  世纪/n  ——/w  一九九八年/t  新年/t  讲话/n",
    "中共中央/nt  总书记/n  、/w  国家/n  主席/n  江/nr  泽民/nr",
    "１２月/t  ３１日/t  ，/w  [中央/n  人民/n  广播/vn  电台/n]nt  播出/v  讲话/n  。/w",
    "重庆/ns  是/v  一个/m  美丽/a  的/u  城市/n  。/w",
    "北京/ns  大学/n  的/u  学生/n  来到/v  上海/ns  。/w",
] * 6


@pytest.fixture(scope="module")
def tiny_segmenter(tmp_path_factory):
    from pipeline.training import segmenter

    work = tmp_path_factory.mktemp("seg")
    pd = work / "pd.txt"
    pd.write_text("\n".join(PD_LINES) + "\n", encoding="utf-8")
    words = work / "words.txt"
    words.write_text("中华人民共和国\n科技局\n美\n丽\n", encoding="utf-8")
    counts = segmenter.prepare(pd, work / "data", dev_every=5, extra_words=words)
    assert counts == {"train_sentences": 24, "dev_sentences": 6, "extra_words": 4, "split_types": 1, "split_tokens": 6}
    train_text = (work / "data" / "train.txt").read_text(encoding="utf-8")
    assert "美 丽" in train_text and "美丽" not in train_text  # the bakeoff's list splits it
    segmenter.train(work / "data" / "train.txt", work / "data" / "dev.txt", work / "full", iterations=1, threads=1)
    stats = segmenter.prune(work / "full", work / "pruned", threshold=0.0001)
    assert 0 < stats["features_after"] <= stats["features_before"]
    return work


@pytest.fixture(scope="module")
def tiny_lexicon_segmenter(tiny_segmenter):
    from pipeline.training import segmenter

    work = tiny_segmenter
    lexicon = work / "lexicon.txt"
    # "一九九八年" holds digits of pkuseg's node map: it can never match and is left out
    assert segmenter.seglexicon.write_lexicon(["城市", "美丽", "北京大学", "人民广播电台", "一九九八年", "x"], lexicon) == 4
    segmenter.train(
        work / "data" / "train.txt", work / "data" / "dev.txt", work / "lex_full", iterations=1, threads=1, lexicon=lexicon
    )
    segmenter.prune(work / "lex_full", work / "lex_pruned", threshold=0.0001)
    return work / "lex_pruned"


def test_lexicon_features_are_trained_saved_and_decoded_alike(tiny_lexicon_segmenter):
    import srsly

    from pipeline.nlp.inference.fastseg import FastPkuseg
    from pipeline.nlp.segmentation import seglexicon
    from pipeline.nlp.segmentation.segmenter import Segmenter

    model = tiny_lexicon_segmenter
    assert seglexicon.model_lexicon(model) == {"城市", "美丽", "北京大学", "人民广播电台"}
    names = srsly.read_msgpack(model / "features.msgpack")["feature_to_idx"]
    assert {"lxB.2", "lxE.2", "lxS.0.0.0"} <= names.keys()
    fast, stock = FastPkuseg(model), Segmenter(model, fast=False)._seg
    assert type(stock.feature_extractor).__name__ == "LexiconFeatureExtractor"
    texts = [
        "北京大学的学生来到美丽的城市。",
        "中央人民广播电台播出讲话",
        "1998年12月31日",
        "\ue000北京大学",
        "ＡＢ-城市|美丽:人民",
        "城" * 50,
    ]
    for text in texts:
        assert fast.cut(text) == stock.cut(text), text
    # a model with lexicon features refuses to load without its lexicon
    bare = model.parent / "lex_bare"
    bare.mkdir()
    for name in ("features.msgpack", "weights.npz"):
        (bare / name).write_bytes((model / name).read_bytes())
    for load in (FastPkuseg, lambda d: Segmenter(d, fast=False)):
        with pytest.raises(FileNotFoundError, match="lexicon.txt"):
            load(bare)
    # the lexicon features change the scores, so a decoder without them would differ
    # (the plain-Python scorer reads ``lexicon`` at each call; the compiled one keeps what it had at load)
    plain = FastPkuseg(model, compiled=False)
    plain.lexicon = None
    assert not np_equal(plain._scores("美丽的城市"), fast._scores("美丽的城市"))


def np_equal(a, b):
    import numpy as np

    return a.shape == b.shape and np.allclose(a, b)


def test_bakeoff_splits_only_frequent_common_words_the_list_can_spell(tmp_path):
    from pipeline.training import segmenter

    pd = tmp_path / "pd.txt"
    lines = ["我们/r  放在/v  桌上/s  。/w", "江/nr  泽民/nr  看/v  北京市/ns", "新/a  篇章/n  新篇章/n"]
    pd.write_text("\n".join(lines * 3) + "\n", encoding="utf-8")
    vocabulary = {"放", "在", "泽", "民", "北京", "市", "新", "篇章", "我们", "桌上", "看", "江", "。"}
    assert segmenter.bakeoff_splits(pd, vocabulary) == {"放在": ["放", "在"], "新篇章": ["新", "篇章"]}
    # a name (nr/ns) is not split, nor a word seen fewer than min_count times
    assert segmenter.bakeoff_splits(pd, vocabulary, min_count=4) == {}


def test_segmenter_trains_prunes_and_scores(tiny_segmenter):
    from pipeline.training import segmenter

    gold = tiny_segmenter / "gold.txt"
    gold.write_text("重庆  是  一个  美丽  的  城市  。\n", encoding="utf-8")
    prf = segmenter.evaluate(tiny_segmenter / "pruned", gold)
    assert 0.0 < prf.f <= 1.0


def test_silver_reader_marks_compound_orgs_missing(tmp_path):
    from pipeline.training.ner_data import read_pd1998_silver

    pd = tmp_path / "pd.txt"
    # two copies: 江 begins a run of nr words twice, enough to count as a surname
    pd.write_text("\n".join(PD_LINES[:10]) + "\n", encoding="utf-8")
    samples = list(read_pd1998_silver(pd))
    s = samples[1]
    assert [(s.text[a:b], label) for a, b, label in s.spans] == [("中共中央", "ORG"), ("江泽民", "PERSON")]
    radio = samples[2]
    assert "".join(radio.text[a:b] for a, b in radio.missing) == "中央人民广播电台"
    uni = samples[4]
    assert [(uni.text[a:b], label) for a, b, label in uni.spans] == [("上海", "LOC")]  # 北京 is part of 北京大学


def test_ner_trains_and_assembles(tiny_segmenter, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    from pipeline.training.assemble import assemble
    from pipeline.training.ner import _char_tokenizer, train
    from pipeline.training.ner_data import Sample, to_docs

    samples = [
        Sample("重庆市科技局局长明炬表示", [(0, 3, "LOC"), (0, 6, "ORG"), (8, 10, "PERSON")]),
        Sample("记者张亦筑来到北京", [(2, 5, "PERSON"), (7, 9, "LOC")]),
        Sample("新华社记者白瀛报道", [(0, 3, "ORG"), (5, 7, "PERSON")]),
    ] * 4
    nlp = spacy.blank("zh")
    nlp.tokenizer = _char_tokenizer(nlp)
    data = tmp_path / "data"
    data.mkdir()
    for name in ("train", "dev"):
        db = DocBin()
        for doc in to_docs(samples, nlp):
            db.add(doc)
        db.to_disk(data / f"{name}.spacy")
    from pathlib import Path

    config = Path(__file__).resolve().parents[2] / "models" / "ner" / "config.cfg"
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("明炬\tnr\n张亦筑\tnr\n重庆市\tns\n新华社\tnt\n", encoding="utf-8")
    best = train(
        config,
        data,
        tmp_path / "out",
        tiny_segmenter / "pruned",
        {
            "training.max_steps": 20,
            "training.eval_frequency": 10,
            "components.tok2vec.model.encode.width": 32,
            "nlp.tokenizer.lexicon": str(lexicon),
        },
    )
    out = assemble(best, tiny_segmenter / "pruned", tmp_path / "pipeline")
    loaded = spacy.load(out)
    assert loaded.pipe_names == ["tok2vec", "ner", "zhnews_entity_rules", "zhnews_quantities", "zhnews_linker"]
    assert type(loaded.get_pipe("ner")).__name__ == "FastEntityRecognizer"
    assert type(loaded.get_pipe("tok2vec")).__name__ == "FastTok2Vec"
    assert loaded.get_pipe("tok2vec").plan() is not None  # a 32-wide encoder gets the fused inference too
    doc = loaded("2022年，重庆市研发投入强度预计2.3%")
    labels = {(e.text, e.label_) for e in doc.ents}
    assert ("2.3%", "PERCENT") in labels and ("重庆市", "GPE") in labels
    assert (out / "tokenizer" / "pkuseg" / "weights.npz").is_file()
    assert (out / "tokenizer" / "lexicon.txt").is_file()  # the lexicon travels with the pipeline
    assert str(loaded("明炬表示")[0].morph) == "Lex=nrB"
    assert [t.tag_ for t in doc][:2] and all(t.lemma_ for t in doc)


def test_silver_reader_rebuilds_compound_orgs_on_request(tmp_path):
    from pipeline.training.ner_data import read_pd1998_silver

    pd = tmp_path / "pd.txt"
    pd.write_text(
        "我/r  收听/v  中国/ns  国际/n  广播/vn  电台/n  和/c  中央/n  人民/n  广播/vn  电台/n  。/w\n", encoding="utf-8"
    )
    (s,) = read_pd1998_silver(pd, labels=("LOC", "ORG"), org_compounds=True)
    assert [(s.text[a:b], label) for a, b, label in s.spans] == [("中国国际广播电台", "ORG")]
    # a run that does not start with a proper name stays missing
    assert "".join(s.text[a:b] for a, b in s.missing) == "中央人民广播电台"
    (loc_only,) = read_pd1998_silver(pd, labels=("LOC",), org_compounds=True)
    assert loc_only.spans == [] and "中国国际广播电台" in "".join(loc_only.text[a:b] for a, b in loc_only.missing)


def test_the_tokenizer_saves_the_segmenter_lexicon_with_it(tiny_lexicon_segmenter, tiny_segmenter, tmp_path):
    import spacy

    from pipeline.nlp.tokenizer import CharWordTokenizer

    nlp = spacy.blank("zh")
    tok = CharWordTokenizer(nlp.vocab, segmenter_dir=tiny_lexicon_segmenter)
    tok.to_disk(tmp_path / "tok")
    assert (tmp_path / "tok" / "pkuseg" / "lexicon.txt").is_file()
    loaded = CharWordTokenizer(nlp.vocab).from_disk(tmp_path / "tok")
    text = "北京大学的学生来到美丽的城市"
    assert [t.lemma_ for t in loaded(text)] == [t.lemma_ for t in tok(text)]
    # saving a model without a lexicon over it leaves no stale lexicon behind
    CharWordTokenizer(nlp.vocab, segmenter_dir=tiny_segmenter / "pruned").to_disk(tmp_path / "tok")
    assert not (tmp_path / "tok" / "pkuseg" / "lexicon.txt").exists()


def test_assembly_switches_spacy_tok2vec_and_ner_to_the_fast_components(tmp_path):
    from spacy import Config

    from pipeline.training.assemble import _use_fast_components

    shipped = Path(__file__).resolve().parents[2] / "models" / "zh_news" / "config.cfg"
    text = shipped.read_text(encoding="utf-8")
    text = text.replace('factory = "zhnews_ner"', 'factory = "ner"').replace('factory = "zhnews_tok2vec"', 'factory = "tok2vec"')
    path = tmp_path / "config.cfg"
    path.write_text(text, encoding="utf-8")
    _use_fast_components(path)
    cfg = Config().from_disk(path, interpolate=False)
    original = Config().from_disk(shipped, interpolate=False)
    assert cfg["components"]["ner"]["factory"] == "zhnews_ner"
    assert cfg["components"]["tok2vec"]["factory"] == "zhnews_tok2vec"
    for name in ("ner", "tok2vec"):
        assert cfg["components"][name]["model"] == original["components"][name]["model"]
