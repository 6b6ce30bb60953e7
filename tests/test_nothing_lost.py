"""Nothing lost, nothing hangs: one regression test per numbered case of the issue
"Nothing lost, nothing hangs" (incremental JSONL, hostile files, damaged outputs,
readers that never see half a batch, bad settings, exit statuses)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline import schema
from pipeline.io.parquet import DatasetWriter, read_table
from pipeline.io.readers import InputError, decode_bytes, read_path
from tests.conftest import output_snapshot

TEXT = "重庆市科技局第{i}次会议召开，投入资金{m}亿元。"


def _line(i: int, text: str | None = None) -> str:
    return json.dumps({"id": f"n{i}", "text": text or TEXT.format(i=i, m=i + 5)}, ensure_ascii=False) + "\n"


def _run(inputs, out, **kw) -> dict:
    from pipeline.flows import extract

    return asyncio.run(extract([str(i) for i in inputs], str(out), **kw))


_TIMES = ("processed_at", "at", "resolved_at")


def _rows(out: Path, name: str) -> list[str]:
    return output_snapshot(out, [name], _TIMES)[name]


def _snapshot(out: Path) -> dict[str, list[str]]:
    return output_snapshot(out, [name for name in schema.TABLES if name != "failures"], _TIMES)


def _docs(out: Path) -> list[dict]:
    return read_table(out, "documents").to_pylist()


# -- 1. appending to a JSONL file keeps what was ingested ------------------------------


@pytest.mark.e2e
def test_case01_appending_a_jsonl_line_keeps_every_earlier_document(prefect_harness, tmp_path, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    news = src / "news.jsonl"
    news.write_text("".join(_line(i) for i in range(3)), encoding="utf-8")
    out = tmp_path / "out"
    assert _run([src], out)["documents"] == 3
    with news.open("a", encoding="utf-8") as fh:
        fh.write(_line(3))
    second = _run([src], out)
    assert second["documents"] == 1 and second["skipped"] == 3 and second["replaced"] == 0
    ids = sorted(d["source_id"] for d in _docs(out))
    assert ids == ["n0", "n1", "n2", "n3"]
    before = _snapshot(out)
    # stable: a third run changes nothing, by a relative path too (one file, one source)
    monkeypatch.chdir(tmp_path)
    third = _run([Path("in") / "news.jsonl"], Path("out"))
    assert third["documents"] == 0 and third["replaced"] == 0 and third["skipped"] == 4
    assert _snapshot(out) == before
    # a changed line replaces only that line's document
    news.write_text(
        "".join(_line(i) for i in range(3)) + _line(3, "重庆市科技局第3次会议召开，投入资金9亿元。"), encoding="utf-8"
    )
    fourth = _run([src], out)
    assert fourth["documents"] == 1 and fourth["replaced"] == 1
    assert sorted(d["source_id"] for d in _docs(out)) == ["n0", "n1", "n2", "n3"]
    assert any("9亿元" in r for r in _rows(out, "entities"))
    assert not any("8亿元" in r for r in _rows(out, "entities"))


# -- 2. line separators inside JSON strings ----------------------------------------------


def test_case02_unicode_line_separators_inside_json_strings_do_not_split_lines(tmp_path):
    records = [{"id": f"r{i}", "text": f"第{i}段\u2028重庆市科技局\u2029发布\x85通知，全市新增企业{i}家。"} for i in range(5)]
    path = tmp_path / "sep.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    items = list(read_path(path))
    assert [type(i).__name__ for i in items] == ["Document"] * 5
    assert [d.line for d in items] == [1, 2, 3, 4, 5]
    assert items[0].text == records[0]["text"]


def test_case02_crlf_lines_still_read(tmp_path):
    path = tmp_path / "crlf.jsonl"
    path.write_bytes("".join(_line(i).replace("\n", "\r\n") for i in range(3)).encode("utf-8"))
    assert [d.source_id for d in read_path(path)] == ["n0", "n1", "n2"]


# -- 3. text that is not Chinese ---------------------------------------------------------

JAPANESE = (
    "東京都は3日、新型コロナウイルスの感染者が新たに確認されたと発表した。政府は経済対策をまとめ、国会で審議する予定です。" * 3
)
KOREAN = (
    "서울시는 3일 신종 코로나바이러스 감염자가 새로 확인됐다고 발표했다. 정부는 경제 대책을 마련하고 국회에서 심의할 예정이다."
    * 3
)


@pytest.mark.parametrize(
    ("text", "encoding", "expect"),
    [
        (JAPANESE, "shift_jis", "Japanese in SHIFT-JIS"),
        (JAPANESE, "euc_jp", "Japanese"),
        (KOREAN, "euc_kr", "Korean in EUC-KR"),
        (JAPANESE, "utf-8", "Japanese"),
        (KOREAN, "utf-8", "Korean"),
    ],
)
def test_case03_japanese_and_korean_are_refused_with_a_reason(text, encoding, expect):
    with pytest.raises(InputError) as info:
        decode_bytes(text.encode(encoding), "page.txt")
    assert "not Chinese text" in info.value.reason and expect in info.value.reason


def test_case03_chinese_in_gbk_and_traditional_script_still_read(seed_text):
    text, encoding = decode_bytes(seed_text.encode("gbk"), "page.txt")
    assert encoding == "gbk" and text == seed_text
    traditional = (
        "香港特別行政區政府今日公佈，本港經濟在第三季度按年實質增長百分之四點一。政府發言人表示，"
        "對外貿易和本地消費均有改善，失業率維持在低水平。行政長官說，特區政府會繼續推動創新科技發展。"
    )
    assert decode_bytes(traditional.encode("big5"), "tw.txt")[0] == traditional
    assert decode_bytes(traditional.encode("gb18030"), "tw.txt")[0] == traditional


def test_case03_a_japanese_jsonl_record_is_one_failure(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(_line(0) + json.dumps({"id": "ja", "text": JAPANESE}, ensure_ascii=False) + "\n" + _line(2), encoding="utf-8")
    items = list(read_path(path))
    assert [type(i).__name__ for i in items] == ["Document", "InputError", "Document"]
    assert items[1].line == 2 and items[1].source_id == "ja" and "Japanese" in items[1].reason


# -- 4. one text under several records; duplicate ids -----------------------------------


def test_case04_duplicate_ids_in_one_file_fail_the_later_line(tmp_path):
    path = tmp_path / "dup.jsonl"
    path.write_text(_line(0) + _line(1) + _line(0, "别的文本：重庆市教委召开会议。") + _line(1), encoding="utf-8")
    items = list(read_path(path))
    assert [type(i).__name__ for i in items] == ["Document", "Document", "InputError", "InputError"]
    assert "duplicate id 'n0' (first at line 1) with a different text" in items[2].reason
    assert "the same text" in items[3].reason


@pytest.mark.e2e
def test_case04_the_same_text_under_two_ids_keeps_both_records(prefect_harness, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    text = TEXT.format(i=1, m=6)
    (src / "a.jsonl").write_text(
        json.dumps({"id": "a1", "text": text, "url": "http://a/1"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (src / "b.jsonl").write_text(
        json.dumps({"id": "b7", "text": text, "source": "B报"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    summary = _run([src], out)
    assert summary["documents"] == 1 and summary["duplicates"] == 1
    (doc,) = _docs(out)
    assert [(s["source_id"], s["url"], s["source"]) for s in doc["sources"]] == [("a1", "http://a/1", None), ("b7", None, "B报")]
    # a later run that meets the text under a third record adds it, without processing it again
    (src / "c.jsonl").write_text(json.dumps({"id": "c3", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    again = _run([src / "c.jsonl"], out)
    assert again["documents"] == 0 and again["skipped"] == 1 and again["sources_updated"] == 1
    (doc,) = _docs(out)
    assert [s["source_id"] for s in doc["sources"]] == ["a1", "b7", "c3"]
    # when one record's text changes, the text keeps its other records
    (src / "a.jsonl").write_text(
        json.dumps({"id": "a1", "text": "大足区教委召开会议。"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    changed = _run([src], out)
    assert changed["documents"] == 1 and changed["replaced"] == 0 and changed["sources_updated"] == 1
    kept = sorted([s["source_id"] for s in d["sources"]] for d in _docs(out))
    assert kept == [["a1"], ["b7", "c3"]]


# -- 5. damaged outputs ----------------------------------------------------------------


@pytest.fixture()
def pages(tmp_path):
    from tests.conftest import write_numbered_pages

    return write_numbered_pages(
        tmp_path / "pages", 6, lambda i: f"# 第{i}号通知\n\n重庆市科技局发布通知，全市新增企业{100 + i}家，投入资金{i + 2}亿元。"
    )


@pytest.mark.e2e
@pytest.mark.parametrize("damage", ["delete-entities", "corrupt-entities", "corrupt-documents", "truncate-relations"])
def test_case05_a_damaged_batch_is_found_and_redone(prefect_harness, pages, tmp_path, damage):
    out = tmp_path / "out"
    _run([pages], out, batch_size=2)
    reference = _snapshot(out)
    writer = DatasetWriter(out)
    table, how = damage.split("-")[1], damage.split("-")[0]
    part = writer.parts(table)[1]
    if how == "delete":
        part.unlink()
    elif how == "truncate":
        part.write_bytes(part.read_bytes()[:-200])
    else:  # same size, different bytes in the middle
        data = bytearray(part.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 16] = b"\xff" * 16
        part.write_bytes(bytes(data))
    assert list(writer.damaged_batches())
    summary = _run([pages], out, batch_size=2)
    assert summary["damaged"] == 1 and summary["documents"] == 2
    assert _snapshot(out) == reference
    assert not DatasetWriter(out).damaged_batches()
    # --force on a damaged output neither crashes nor loses documents
    writer.parts("documents")[0].write_bytes(b"not parquet")
    forced = _run([pages], out, batch_size=2, force=True)
    assert forced["documents"] == 6
    assert _snapshot(out) == reference


# -- 6. relative paths with tasks elsewhere -----------------------------------------------


@pytest.mark.e2e
def test_case06_relative_inputs_and_output_are_resolved_before_the_run(prefect_harness, pages, tmp_path, monkeypatch):
    from pipeline import batch

    monkeypatch.chdir(tmp_path)
    seen_dirs = []
    real = batch.read_documents

    def spy(paths, published=None):
        seen_dirs.extend(paths)
        return real(paths, published)

    monkeypatch.setattr(batch, "read_documents", spy)
    summary = _run([Path("pages")], Path("rel-out"), batch_size=3)
    assert summary["out"] == str(tmp_path / "rel-out")
    assert seen_dirs and all(os.path.isabs(p) for p in seen_dirs)
    assert all(os.path.isabs(d["path"]) for d in _docs(tmp_path / "rel-out"))


# -- 7. FIFOs, devices, loops, undecodable names ------------------------------------------


@pytest.mark.e2e
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_case07_hostile_directory_entries_become_failures_and_the_rest_goes_on(prefect_harness, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text("# 通知\n\n重庆市科技局发布通知，全市新增企业120家。", encoding="utf-8")
    os.mkfifo(src / "fifo.txt")
    os.symlink("/dev/zero", src / "zero.txt")
    os.symlink("loop.txt", src / "loop.txt")
    bad_name = os.path.join(os.fsencode(src), b"caf\xe9-\xff.txt")
    with open(bad_name, "wb") as fh:
        fh.write("# 通知\n\n大足区教委召开会议，部署2023年工作。".encode("utf-8"))
    out = tmp_path / "out"
    summary = _run([src], out)
    assert summary["documents"] == 2
    failures = {Path(f["path"]).name: f["error"] for f in read_table(out, "failures").to_pylist()}
    assert "not a regular file (a FIFO)" in failures["fifo.txt"]
    assert "not a regular file (a character device)" in failures["zero.txt"]
    assert "symbolic links" in failures["loop.txt"]
    paths = {Path(d["path"]).name for d in _docs(out)}
    assert paths == {"good.txt", "caf\\xe9-\\xff.txt"}
    again = _run([src], out)
    assert again["documents"] == 0 and again["skipped"] == 2


def test_case07_a_page_is_read_with_a_size_limit_whatever_its_size_claims(tmp_path, monkeypatch):
    from pipeline.io import readers

    monkeypatch.setenv("PIPELINE_MAX_DOC_CHARS", "10")
    link = tmp_path / "zero.txt"
    os.symlink("/dev/urandom", link)
    (item,) = list(readers.read_path(link))
    assert isinstance(item, InputError) and "character device" in item.reason
    big = tmp_path / "big.txt"
    big.write_text("重庆" * 100, encoding="utf-8")
    (item,) = list(readers.read_path(big))
    assert isinstance(item, InputError) and "document too large" in item.reason


# -- 8. the lock's owner note -------------------------------------------------------------


def test_case08_the_lock_owner_note_is_not_written_through_a_symlink(tmp_path):
    from pipeline.io.lock import OWNER_NAME, OutputLock

    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / OWNER_NAME)
    with OutputLock(out) as lock:
        assert victim.read_text(encoding="utf-8") == "precious"
        assert not (out / OWNER_NAME).is_symlink()
        assert lock.owner()["pid"] == os.getpid()


# -- 9. orphaned temporary Prefect servers ------------------------------------------------


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="Linux /proc")
def test_case09_a_server_whose_run_was_killed_is_reaped_and_no_other(tmp_path):
    from pipeline import ephemeral

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    env = {**os.environ, "PREFECT__SERVER_EPHEMERAL": "1"}
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], env={**env, ephemeral.ENV: f"{dead.pid}:1"})
    mine = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        env={**env, ephemeral.ENV: f"{os.getpid()}:{ephemeral._start_time(os.getpid())}"},
    )
    unmarked = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], env=env)
    try:
        time.sleep(0.3)
        assert ephemeral.reap_orphans() == [orphan.pid]
        assert orphan.wait(timeout=10) == -signal.SIGTERM
        assert mine.poll() is None and unmarked.poll() is None
    finally:
        for p in (orphan, mine, unmarked):
            p.kill()
            p.wait()


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="Linux /proc")
def test_case09_a_killed_run_leaves_a_server_that_the_next_run_stops(tmp_path, pages):
    from pipeline import ephemeral

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_LOGGING_LEVEL"] = "ERROR"
    cmd = [sys.executable, "-m", "pipeline", "run", str(pages), "--out", str(tmp_path / "out"), "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not [p for p in ephemeral.orphans() + _servers_of(proc.pid)]:
        time.sleep(0.5)
    servers = _servers_of(proc.pid)
    assert servers, "the run started no temporary server"
    proc.kill()
    proc.wait()
    assert set(servers) <= set(ephemeral.orphans())
    ephemeral.reap_orphans()
    assert not set(servers) & set(ephemeral.orphans())
    for pid in servers:
        assert ephemeral._start_time(pid) is None or ephemeral._is_zombie(pid)


def _servers_of(owner: int) -> list[int]:
    from pipeline import ephemeral

    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            mark = ephemeral._owner_of(int(entry.name))
            if mark and mark.split(":")[0] == str(owner):
                found.append(int(entry.name))
    return found


# -- 10. long 、-lists ----------------------------------------------------------------------


def test_case10_a_list_of_thousands_of_names_is_linear():
    """200 K characters of 、-separated names took 121 s (quadratic); a linear pass takes a
    few seconds. The bound is generous: it guards the complexity, not the speed."""
    from pipeline import batch
    from pipeline.io.readers import make_document

    names = ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄丽"]
    text = "出席会议的有" + "、".join(names[i % 8] for i in range(66_000)) + "等同志。\n"
    started = time.process_time()
    extracted = batch.recognize_entities(batch.clean_and_split([make_document(text, "x.txt", "utf-8")]))
    assert time.process_time() - started < 60
    assert sum(e.label == "PERSON" for e in extracted.entities) > 60_000


# -- 11. readers never see half a batch ------------------------------------------------------


@pytest.mark.e2e
def test_case11_after_a_kill_readers_see_only_committed_batches(prefect_harness, pages, tmp_path):
    import duckdb

    out = tmp_path / "out"
    env = {
        **os.environ,
        "PIPELINE_FAULT": "kill-after-rename:13",
        "PREFECT_API_URL": prefect_harness,
        "PREFECT_LOGGING_LEVEL": "ERROR",
    }
    cmd = [sys.executable, "-m", "pipeline", "run", str(pages), "--out", str(out), "--batch-size", "2", "--no-progress"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    # (the six zero-row schema parts are writes 1-6, the first batch 7-11) the second batch's
    # articles and sentences are in place, its documents part is not
    committed = {d["doc_id"] for d in _docs(out)}
    raw = pq.read_table(DatasetWriter(out).parts("articles")).column("doc_id").to_pylist()
    assert len(committed) == 2 and set(raw) - committed
    # the library reader and the README's DuckDB views read only committed documents
    assert set(read_table(out, "articles").column("doc_id").to_pylist()) == committed
    con = duckdb.connect()
    con.execute(COMMITTED_VIEWS.format(out=out))
    assert {r[0] for r in con.execute("select distinct doc_id from articles").fetchall()} == committed
    assert {r[0] for r in con.execute("select distinct doc_id from entities").fetchall()} <= committed


#: the README's recipe (kept in step with it by test_case11_the_readme_holds_the_recipe)
COMMITTED_VIEWS = """
create view documents as select * from '{out}/documents/part-*.parquet';
create view articles  as select * from '{out}/articles/part-*.parquet'  semi join documents using (doc_id);
create view sentences as select * from '{out}/sentences/part-*.parquet' semi join documents using (doc_id);
create view entities  as select * from '{out}/entities/part-*.parquet'  semi join documents using (doc_id);
create view relations as select * from '{out}/relations/part-*.parquet' semi join documents using (doc_id);
"""


def test_case11_the_readme_holds_the_recipe():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert COMMITTED_VIEWS.format(out="out").strip() in readme


# -- 12. bad settings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PIPELINE_BATCH_SIZE", "abc"),
        ("PIPELINE_DASK", "foo"),
        ("PIPELINE_GC_FREEZE", "yes"),
        ("PIPELINE_MAX_DOC_CHARS", "-3"),
        ("PIPELINE_BLAS_THREADS", "many"),
        ("PIPELINE_IN_FLIGHT", "0"),
        ("PIPELINE_RULE_PACKS", "../etc"),
        ("PIPELINE_MODELS_DIR", "/nonexistent/models"),
    ],
)
def test_case12_a_bad_setting_exits_2_naming_it(tmp_path, monkeypatch, capsys, seed_path, name, value):
    from pipeline.cli import main

    monkeypatch.setenv(name, value)
    assert main(["run", str(seed_path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert name in err and repr(value) in err
    assert not (tmp_path / "out" / "documents").exists()


def test_case12_report_into_a_directory_or_over_stray_files_is_a_clear_error(tmp_path, capsys):
    from pipeline.cli import main

    out = tmp_path / "out"
    DatasetWriter(out).ensure_tables()
    assert main(["report", str(out), "--html", str(tmp_path)]) == 2
    assert "is a directory" in " ".join(capsys.readouterr().err.split())
    (out / "entities" / "notes.txt").write_text("a stray file", encoding="utf-8")
    (out / "entities" / "copy.parquet.bak").write_bytes(b"junk")
    assert main(["report", str(out), "--html", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# -- 13. exit statuses, capped output, resolved failures ------------------------------------


@pytest.mark.e2e
def test_case13_a_crash_has_its_own_exit_status(prefect_harness, pages, tmp_path, monkeypatch, capsys):
    from pipeline import flows
    from pipeline.cli import EXIT_CRASHED, EXIT_SOME_FAILED, main

    def broken(*a, **k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(flows, "discover", broken)
    assert main(["run", str(pages), "--out", str(tmp_path / "out"), "--no-progress"]) == EXIT_CRASHED
    assert "the run crashed: RuntimeError: a bug" in capsys.readouterr().err
    monkeypatch.undo()
    (pages / "bad.txt").write_bytes(b"")
    assert main(["run", str(pages), "--out", str(tmp_path / "out"), "--no-progress"]) == EXIT_SOME_FAILED


@pytest.mark.e2e
def test_case13_many_failures_print_a_few_lines_and_keep_all_rows(prefect_harness, tmp_path, capsys):
    from pipeline.cli import MAX_FAILURES_PRINTED, main

    src = tmp_path / "in"
    src.mkdir()
    (src / "bad.jsonl").write_text("not json\n" * 3000 + _line(1), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(src), "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("failed ") <= MAX_FAILURES_PRINTED + 1 and "2,980 more failed inputs" in err
    assert read_table(out, "failures").num_rows == 3000


@pytest.mark.e2e
def test_case13_a_failure_that_no_longer_occurs_is_marked_resolved(prefect_harness, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    page = src / "p.txt"
    page.write_bytes(b"")
    news = src / "n.jsonl"
    news.write_text(_line(0) + "{broken\n", encoding="utf-8")
    out = tmp_path / "out"
    _run([src], out)
    failures = read_table(out, "failures").to_pylist()
    assert len(failures) == 2 and all(f["resolved_at"] is None for f in failures)
    assert {(Path(f["input"]).name, f["line"]) for f in failures} == {("p.txt", None), ("n.jsonl", 2)}
    page.write_text("# 通知\n\n重庆市科技局发布通知，全市新增企业120家。", encoding="utf-8")
    summary = _run([src], out)
    assert summary["resolved"] == 1
    state = {Path(f["input"]).name: f["resolved_at"] is not None for f in read_table(out, "failures").to_pylist()}
    assert state == {"p.txt": True, "n.jsonl": False}
    news.write_text(_line(0) + _line(1), encoding="utf-8")
    assert _run([src], out)["resolved"] == 1
    assert all(f["resolved_at"] is not None for f in read_table(out, "failures").to_pylist())
