"""Bad input, generated: every stage over hostile text.

Random CJK, punctuation runs, mixed scripts, very long lines, control
characters and lone surrogates go through cleaning, sentence splitting, NER
and relation extraction. No exception may escape, offsets stay valid and inside the text, and
entity spans never cross sentence ends. ``make test`` runs the default
Hypothesis profile; ``make fuzz`` runs the "fuzz" profile (10,000 examples
per stage).
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.cleaning import clean_text
from pipeline.sentences import split_article

pytestmark = pytest.mark.fuzz

cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
punct = st.sampled_from(list("。！？；…，、：“”‘’《》（）【】—·．％\"'()[]-~～"))
latin = st.characters(min_codepoint=0x20, max_codepoint=0x24F)
other_scripts = st.sampled_from(list("ДжΩλאבعربि한글ひらカタ😀🇨🇳\U00020000"))
controls = st.sampled_from(list("\x00\x01\x07\x08\x0b\x0c\x1b\x7f\u200b\u200d\u2028\u2029\ufeff\ufffd\r\t\u3000 "))
surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
markers = st.sampled_from(
    [
        "\n",
        "\n\n",
        "# ",
        "## ",
        "□ 重庆日报记者 张亦筑",
        "（上接1版）",
        "（下转2版）",
        "新华社北京7月10日电（记者 白瀛）",
        "新渝报讯（记者 邓小强）",
        " 摄",
        "1.",
        "（一）",
        "重庆市科技局",
        "云阳县",
        "2.36%",
        "1—6月",
        "3000余亿元",
    ]
)

chunk = st.one_of(
    st.text(st.one_of(cjk, cjk, cjk, punct, latin), min_size=1, max_size=40),
    st.text(punct, min_size=1, max_size=12),  # punctuation runs
    st.text(st.one_of(other_scripts, controls, surrogates), min_size=1, max_size=6),
    markers,
    st.builds(lambda c, n: c * n, st.text(cjk, min_size=1, max_size=3), st.integers(50, 400)),  # long lines
)
hostile_pages = st.lists(chunk, min_size=1, max_size=30).map("".join)


def _check_articles_and_sentences(page: str):
    articles = clean_text(page, "doc")
    sentences = []
    for art in articles:
        offs = art.offsets.offsets
        assert len(offs) == len(art.clean_text)
        assert all(0 <= o < len(page) for o in offs)
        for s in split_article(art):
            assert 0 <= s.raw_start <= s.raw_end <= len(page)
            if s.start is not None:
                assert 0 <= s.start <= s.end <= len(art.clean_text)
                assert art.clean_text[s.start : s.end] == s.text
            sentences.append(s)
    return articles, sentences


@given(hostile_pages)
def test_cleaning_and_splitting_survive_hostile_text(page):
    _check_articles_and_sentences(page)


@given(hostile_pages)
def test_ner_and_relations_survive_hostile_text(page):
    from pipeline.ner import recognize
    from pipeline.relations import extract_relations

    articles, sentences = _check_articles_and_sentences(page)
    by_id = {s.sent_id: s for s in sentences}
    entities = recognize(articles, sentences)
    for e in entities:
        s = by_id[e.sent_id]
        assert s.raw_start <= e.raw_start < e.raw_end <= s.raw_end <= len(page)
        if e.start is not None:
            assert s.start <= e.start < e.end <= s.end
        assert e.text and e.label
    ents = {e.ent_id: e for e in entities}
    for r in extract_relations(articles, sentences, entities):
        assert r.head_ent_id in ents and (r.tail_ent_id is None or r.tail_ent_id in ents)
        assert r.sent_id in by_id and r.source


@given(st.text(st.one_of(cjk, punct, controls, surrogates), max_size=200))
def test_jsonl_lines_with_hostile_text_are_read_or_rejected_with_a_reason(text):
    import json

    from pipeline.io.readers import InputError, _read_jsonl

    line = json.dumps({"id": "x", "text": text})
    for item in _read_jsonl(line, "feed.jsonl", "utf-8"):
        if isinstance(item, InputError):
            assert item.reason
        else:
            item.text.encode("utf-8")  # writable: no lone surrogates survive


# -- hostile directories: FIFOs, device links, symlink loops, names that are not UTF-8 ----

ENTRY_KINDS = ("page", "jsonl", "fifo", "device", "loop", "dangling", "bad_name", "dir_loop", "empty")
entries = st.lists(st.tuples(st.sampled_from(ENTRY_KINDS), st.integers(0, 3)), min_size=1, max_size=10)


def _make_entry(root, kind: str, n: int, i: int):
    import os

    name = os.path.join(os.fsencode(root), f"{kind}-{i}-{n}".encode())
    if kind == "page":
        with open(name + b".txt", "wb") as fh:
            fh.write(f"# 通知\n\n重庆市科技局发布第{i}号通知，全市新增企业{n + 100}家。".encode())
        return "doc"
    if kind == "jsonl":
        with open(name + b".jsonl", "wb") as fh:
            fh.write(f'{{"id": "r{i}", "text": "大足区教委第{i}次会议召开。"}}\n{{broken\n'.encode())
        return "doc+fail"
    if kind == "fifo":
        os.mkfifo(name + b".txt")
    elif kind == "device":
        os.symlink("/dev/zero", name + b".txt")
        return "device"  # links to one device are one file, read (refused) once
    elif kind == "loop":
        os.symlink(os.path.basename(name) + b".txt", name + b".txt")
    elif kind == "dangling":
        os.symlink(b"/nonexistent/" + os.path.basename(name), name + b".txt")
    elif kind == "bad_name":
        with open(name + b"-\xff\xfe.txt", "wb") as fh:
            fh.write(f"# 通知\n\n云阳县第{i}次会议召开。".encode())
        return "doc"
    elif kind == "dir_loop":
        os.symlink(b".", name)  # a symlinked folder pointing at its parent: not followed
        return None
    elif kind == "empty":
        open(name + b".md", "wb").close()
    return "fail"


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs FIFOs (POSIX)")
@given(entries)
def test_hostile_directories_are_read_without_hanging_one_outcome_per_entry(kinds):
    """Every regular page gives a document, everything else one failure with a reason,
    and nothing blocks (a FIFO opened for reading would wait for a writer forever)."""
    import tempfile

    from pipeline import batch
    from pipeline.io.readers import discover

    with tempfile.TemporaryDirectory() as root:
        expected_docs = expected_fails = 0
        for i, (kind, n) in enumerate(kinds):
            outcome = _make_entry(root, kind, n, i)
            expected_docs += outcome in ("doc", "doc+fail")
            expected_fails += outcome in ("fail", "doc+fail")
        expected_fails += any(kind == "device" for kind, _ in kinds)
        found = discover([root])
        result = batch.read_documents([str(p) for p in found.files])
        assert len(result.documents) == expected_docs
        assert len(result.failures) == expected_fails
        for f in result.failures:
            assert f.error and f.path.encode("utf-8")
        for d in result.documents:
            d.path.encode("utf-8")  # a name that is not UTF-8 is escaped, writable
