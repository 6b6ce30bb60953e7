"""End-to-end: the Prefect flow over real and broken inputs (one ephemeral server for all)."""

import asyncio
import json
import shutil

import pyarrow.dataset as ds
import pytest

from pipeline import schema
from tests.conftest import write_numbered_pages

pytestmark = pytest.mark.e2e


def _tables(out):
    return {name: ds.dataset(out / name, format="parquet").to_table() for name in schema.TABLES}


def _rows(table, drop=("processed_at", "at")):
    cols = [c for c in table.column_names if c not in drop]
    rows = table.select(cols).to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False, default=str))


@pytest.fixture()
def inputs(tmp_path, seed_path, seed_text):
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(seed_path, d / "page.txt")
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (d / "undecodable.txt").write_bytes(b"\x80\x81\xfe\xff\xfe" * 20)
    gbk = seed_text.replace("7月10日，重庆市科技创新", "7月11日，重庆市科技创新")  # another document
    (d / "page-gbk.txt").write_bytes(gbk.encode("gbk"))
    (d / "feed.jsonl").write_text(
        json.dumps(
            {"id": "n1", "text": "# 标题\n\n新华社北京7月10日电（记者 白瀛）正文。", "source": "新华社"}, ensure_ascii=False
        )
        + "\n{broken\n",
        encoding="utf-8",
    )
    return d


def test_flow_writes_all_tables_and_records_failures(prefect_harness, inputs, tmp_path):
    from pipeline.flows import extract

    out = tmp_path / "out"
    summary = asyncio.run(extract([str(inputs)], str(out), batch_size=2))
    tables = _tables(out)
    docs = tables["documents"].to_pylist()
    assert sorted(d["encoding"] for d in docs) == ["gbk", "utf-8", "utf-8"]
    assert summary["documents"] == 3 and summary["articles"] == 15 and summary["sentences"] == 235
    failures = {(f["path"].rsplit("/", 1)[-1], f["stage"]) for f in tables["failures"].to_pylist()}
    assert failures == {("empty.txt", "read"), ("binary.md", "read"), ("undecodable.txt", "read"), ("feed.jsonl:2", "read")}
    assert summary["failures"] == 4
    assert tables["articles"].num_rows == 15 and tables["sentences"].num_rows == 235
    ents = tables["entities"].to_pylist()
    assert summary["entities"] == len(ents) > 300
    assert len({e["ent_id"] for e in ents}) == len(ents)
    sent_ids = set(tables["sentences"].column("sent_id").to_pylist())
    assert all(e["sent_id"] in sent_ids for e in ents)
    yunyang = [e for e in ents if e["text"] == "云阳县"]
    assert yunyang and all(e["kb_id"] == "500235" and e["normalized"] == "云阳县" for e in yunyang)
    gas = [e for e in ents if e["text"] == "112.96万立方米"]
    assert gas and gas[0]["value"] == 1129600.0 and gas[0]["unit"] == "立方米" and gas[0]["qualifier"] == "="
    duckdb = pytest.importorskip("duckdb")
    for name in schema.TABLES:
        n = duckdb.connect().execute(f"select count(*) from read_parquet('{out}/{name}/*.parquet')").fetchone()[0]
        assert n == tables[name].num_rows, name
    by_doc = {d["path"].rsplit("/", 1)[-1]: d for d in docs}
    assert by_doc["feed.jsonl"]["source_id"] == "n1" and by_doc["feed.jsonl"]["source"] == "新华社"

    # a second run over the same input adds nothing and changes nothing
    again = asyncio.run(extract([str(inputs)], str(out), batch_size=5))
    assert again["documents"] == 0 and again["skipped"] == 3
    tables2 = _tables(out)
    for name in schema.TABLES:
        assert _rows(tables2[name]) == _rows(tables[name]), name

    # --force redoes the documents and ends with the same rows
    forced = asyncio.run(extract([str(inputs)], str(out), batch_size=1, force=True))
    assert forced["documents"] == 3
    tables3 = _tables(out)
    for name in schema.TABLES:
        assert _rows(tables3[name]) == _rows(tables[name]), name


def test_cli_exit_status_and_summary(prefect_harness, inputs, tmp_path, capsys):
    from pipeline.cli import main

    out = tmp_path / "cli-out"
    rc = main(["run", str(inputs / "page.txt"), str(inputs / "empty.txt"), "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 1
    assert "documents" in captured.out and str(out.resolve()) in captured.out
    assert "empty.txt" in captured.err and "empty file" in captured.err
    assert ds.dataset(out / "sentences", format="parquet").count_rows() == 116

    rc = main(["run", str(inputs / "page.txt"), "--out", str(out), "--no-progress"])
    assert rc == 0


def test_cli_refuses_unwritable_output(tmp_path, capsys):
    from pipeline.cli import main

    target = tmp_path / "file"
    target.write_text("not a directory")
    rc = main(["run", "data/samples", "--out", str(target / "out")])
    assert rc == 2
    assert "cannot write to output directory" in capsys.readouterr().err


def test_incremental_run_processes_only_the_changed_file(prefect_harness, tmp_path):
    from pipeline.flows import extract

    src = write_numbered_pages(
        tmp_path / "in", 100, lambda i: f"# 第{i}号通知\n\n重庆市科技局发布第{i}号通知，全市新增企业{i + 1}家。"
    )
    out = tmp_path / "out"
    first = asyncio.run(extract([str(src)], str(out), batch_size=50))
    assert first["documents"] == 100
    (src / "042.txt").write_text("# 第42号通知（更正）\n\n重庆市科技局更正第42号通知。", encoding="utf-8")
    second = asyncio.run(extract([str(src)], str(out), batch_size=50))
    assert (second["documents"], second["skipped"], second["replaced"]) == (1, 99, 1)
    tables = _tables(out)
    assert tables["documents"].num_rows == 100
    texts = [
        s["text"]
        for s in tables["sentences"].to_pylist()
        if s["doc_id"] in {d["doc_id"] for d in tables["documents"].to_pylist() if d["path"].endswith("042.txt")}
    ]
    assert "重庆市科技局更正第42号通知。" in texts and not any("新增企业43家" in t for t in texts)


def test_run_publishes_a_markdown_artifact_and_stage_timings(prefect_harness, inputs, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from pipeline.flows import extract

    summary = asyncio.run(extract([str(inputs)], str(tmp_path / "out"), batch_size=2))
    assert set(summary["stage_seconds"]) == {"read", "clean-and-split", "ner", "dates", "relations", "write"}
    assert summary["labels"]["ORG"] > 0 and sum(summary["labels"].values()) == summary["entities"]

    async def latest():
        async with get_client() as client:
            arts = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["extract-summary"])))
            return sorted(arts, key=lambda a: a.created)[-1].data

    md = asyncio.run(latest())
    assert f"| entities | {summary['entities']} |" in md
    assert f"| ORG | {summary['labels']['ORG']} |" in md
    assert "| ner |" in md and "undecodable.txt" in md


def test_batches_stream_one_at_a_time_and_stage_seconds_fit_in_the_run(prefect_harness, tmp_path, monkeypatch):
    """One batch in flight per process: the NER stage never runs two batches at once, batches
    commit as they finish, and the wall seconds per stage add up to at most the run's."""
    import threading

    from pipeline import batch
    from pipeline.flows import extract

    pages = tmp_path / "in"
    write_numbered_pages(pages, 6, lambda i: f"# 第{i}篇\n\n重庆市科技局第{i}次会议召开，投入资金{i + 5}亿元。\n")
    running, peak, lock = [0], [0], threading.Lock()
    real = batch.recognize_entities

    def counting(extracted, nlp=None):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real(extracted, nlp)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(batch, "recognize_entities", counting)
    summary = asyncio.run(extract([str(pages)], str(tmp_path / "out"), batch_size=1))
    assert summary["documents"] == 6 and peak[0] == 1
    assert sum(summary["stage_seconds"].values()) <= summary["seconds"]
    assert set(summary["stage_cpu_seconds"]) == set(summary["stage_seconds"])
    assert summary["first_batch_seconds"] is not None and summary["first_batch_seconds"] < summary["seconds"]
    md_parts = [p for p in (tmp_path / "out" / "documents").glob("part-*.parquet") if p.name != "part-schema.parquet"]
    assert len(md_parts) == 6  # one commit per batch


def test_readme_make_run_counts_are_those_of_a_run(prefect_harness, tmp_path, seed_path, monkeypatch):
    """The summary the README shows for `make run` (the sample, its paper's packs, its date)
    is what the flow gives: the quoted numbers come from a run, not from memory."""
    import re
    from pathlib import Path

    from pipeline.flows import extract
    from pipeline.nlp import load_nlp, use_rule_packs

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"documents  articles  sentences  entities  relations  failures  seconds\n\s*(.+)\n", readme)
    quoted = [int(x) for x in block.group(1).split()[:6]]
    from pipeline import settings

    packs = ("oil_gas", "chongqing")
    before = settings.rule_packs()  # the session's (tests/conftest.py), restored after
    monkeypatch.setenv("PIPELINE_RULE_PACKS", ",".join(packs))
    nlp = load_nlp()
    use_rule_packs(nlp, packs)
    try:
        summary = asyncio.run(extract([str(seed_path)], str(tmp_path / "out"), published="2023-07-11"))
    finally:
        use_rule_packs(nlp, before)
    got = [summary[k] for k in ("documents", "articles", "sentences", "entities", "relations", "failures")]
    assert got == quoted, f"README quotes {quoted}, the run gives {got}"
