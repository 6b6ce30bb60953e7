import json

import pytest

from pipeline.io.readers import InputError, decode_bytes, discover, read_path

TEXT = "重庆市科技局发布１２３项成果。\n第二段。"


@pytest.mark.parametrize(
    "encoding,expected",
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("utf-16", "utf-16")],
)
def test_decodes_common_encodings(encoding, expected):
    text, detected = decode_bytes(TEXT.encode(encoding))
    assert text == TEXT
    assert detected == expected


def test_gb18030_only_characters():
    text = "㐀𠀀重庆"  # outside GBK: needs GB18030
    decoded, enc = decode_bytes(text.encode("gb18030"))
    assert decoded == text and enc == "gb18030"


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty"),
        (b"   \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
        (b"\x80\x81\xfe\xff\xfe" * 20, "undecodable"),
        ("正文".encode("utf-8")[:-1] * 30, "undecodable"),  # broken UTF-8, mojibake as GB18030
        (b"\xff\xfd\xfc\xfb" * 10, "not a Chinese encoding"),
    ],
)
def test_bad_bytes_raise_with_reason(data, reason):
    with pytest.raises(InputError) as err:
        decode_bytes(data, "x.txt")
    assert reason in err.value.reason
    assert "x.txt" in str(err.value)


def test_read_path_gives_failures_not_exceptions(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02binary")
    (item,) = list(read_path(bad))
    assert isinstance(item, InputError) and "binary" in item.reason
    (gone,) = list(read_path(tmp_path / "missing.txt"))
    assert isinstance(gone, InputError) and "disappeared" in gone.reason


def test_same_text_same_doc_id_whatever_the_encoding(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(TEXT.encode("utf-8"))
    b.write_bytes(TEXT.encode("gbk"))
    (da,), (db,) = list(read_path(a)), list(read_path(b))
    assert da.doc_id == db.doc_id and da.encoding == "utf-8" and db.encoding == "gbk"


def test_jsonl_lines_each_a_document_bad_lines_fail_alone(tmp_path):
    path = tmp_path / "docs.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": "第一篇。", "source": "重庆日报", "date": "2023-07-11"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "a3"}),
        json.dumps({"id": "a4", "text": "   "}),
        json.dumps({"text": "没有编号。"}, ensure_ascii=False),
        "",
        json.dumps({"id": "a6", "text": "孤立代理\ud800字符。", "url": "http://example.invalid/a6"}),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    items = list(read_path(path))
    docs = [i for i in items if not isinstance(i, InputError)]
    errors = [i for i in items if isinstance(i, InputError)]
    assert [d.source_id for d in docs] == ["a1", "a6"]
    assert docs[0].source == "重庆日报" and docs[0].date == "2023-07-11"
    assert docs[1].text == "孤立代理\ufffd字符。"  # lone surrogate replaced one for one
    assert [e.path.rsplit(":", 1)[1] for e in errors] == ["2", "3", "4", "5"]
    assert "invalid JSON" in errors[0].reason and "text" in errors[1].reason


def test_discover_files_dirs_globs(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("甲。", encoding="utf-8")
    (tmp_path / "d" / "sub" / "b.md").write_text("乙。", encoding="utf-8")
    (tmp_path / "d" / "sub" / "c.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "d" / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "d" / ".hidden.txt").write_text("x", encoding="utf-8")
    found = discover([tmp_path / "d", str(tmp_path / "d" / "*.txt"), tmp_path / "nope", str(tmp_path / "*.zz")])
    assert [p.name for p in found.files] == ["a.txt", "b.md", "c.jsonl"]
    assert [p.name for p in found.ignored] == ["image.png"]
    assert found.missing == [str(tmp_path / "nope"), str(tmp_path / "*.zz")]
