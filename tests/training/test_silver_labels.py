"""read_pd1998_silver(labels=...): left-out labels become missing regions."""

import pytest

LINES = [
    "江/nr  泽民/nr  访问/v  北京/ns  。/w",
    "新华社/nt  记者/n  报道/v  ，/w  江/nr  泽民/nr  抵达/v  上海/ns  。/w",
]


@pytest.fixture
def pd_file(tmp_path):
    path = tmp_path / "199801.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def _spans(sample):
    return [(sample.text[a:b], label) for a, b, label in sample.spans]


def _missing(sample):
    return [sample.text[a:b] for a, b in sample.missing]


def test_default_labels_unchanged(pd_file):
    from pipeline.training.ner_data import read_pd1998_silver

    first, second = read_pd1998_silver(pd_file)
    assert _spans(first) == [("江泽民", "PERSON"), ("北京", "LOC")]
    assert first.missing == []
    assert _spans(second) == [("新华社", "ORG"), ("江泽民", "PERSON"), ("上海", "LOC")]


def test_loc_only_marks_person_and_org_missing(pd_file):
    from pipeline.training.ner_data import read_pd1998_silver

    first, second = read_pd1998_silver(pd_file, labels=("LOC",))
    assert _spans(first) == [("北京", "LOC")]
    assert not any(label == "PERSON" for s in (first, second) for _, _, label in s.spans)
    assert _missing(first) == ["江泽民"]
    assert _spans(second) == [("上海", "LOC")]
    assert _missing(second) == ["新华社", "江泽民"]


def test_left_out_label_is_missing_in_docs(pd_file):
    import spacy

    from pipeline.training.ner import _char_tokenizer
    from pipeline.training.ner_data import read_pd1998_silver, to_docs

    nlp = spacy.blank("zh")
    nlp.tokenizer = _char_tokenizer(nlp)
    doc = next(to_docs(read_pd1998_silver(pd_file, labels=("LOC", "ORG")), nlp))
    assert [(e.text, e.label_) for e in doc.ents] == [("北京", "LOC")]
    assert [t.ent_iob_ for t in doc[:3]] == ["", "", ""]  # 江泽民: missing, neither O nor PERSON
    assert doc[3].ent_iob_ == "O"


def test_unknown_label_rejected(pd_file):
    from pipeline.training.ner_data import read_pd1998_silver

    with pytest.raises(ValueError):
        list(read_pd1998_silver(pd_file, labels=("GPE",)))


def test_runs_of_names_are_cut_at_surnames(tmp_path):
    """The corpus runs a list of names together (李/nr 鹏/nr 乔/nr 石/nr): one PERSON per name."""
    from pipeline.training.ner_data import pd1998_surnames, read_pd1998_silver, split_names

    lines = [
        "李/nr  鹏/nr  乔/nr  石/nr  出席/v  。/w",
        "李/nr  瑞环/nr  会见/v  克林顿/nr  。/w",
        "克林顿/nr  李/nr  鹏/nr  会谈/v  。/w",
        "乔/nr  石/nr  说/v  。/w",
        "乔/nr  石/nr  指出/v  。/w",
    ]
    path = tmp_path / "199801.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    surnames = pd1998_surnames(path)
    assert {"李", "乔"} <= surnames
    assert "克林顿" not in surnames  # never begins a run
    assert split_names(["克林顿", "李", "鹏"], surnames) == [(0, 0), (1, 2)]
    samples = list(read_pd1998_silver(path))
    assert _spans(samples[0]) == [("李鹏", "PERSON"), ("乔石", "PERSON")]
    assert _spans(samples[1]) == [("李瑞环", "PERSON"), ("克林顿", "PERSON")]
    assert _spans(samples[2]) == [("克林顿", "PERSON"), ("李鹏", "PERSON")]
