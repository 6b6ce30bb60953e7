import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline import batch, schema
from pipeline.io.parquet import DatasetWriter, batch_key


@pytest.fixture()
def extracted(seed_doc):
    return batch.clean_and_split([seed_doc])


def _write(out, extracted, meta=None):
    writer = DatasetWriter(out, meta or {"pipeline_version": "test"})
    writer.ensure_tables()
    tables = batch.to_tables(extracted, writer.metadata)
    key = batch_key(d.doc_id for d in extracted.documents)
    writer.write_batch(key, {k: v for k, v in tables.items() if k != "failures"})
    return writer, key


def test_every_table_readable_with_pyarrow_dataset(tmp_path, extracted):
    _write(tmp_path, extracted)
    counts = {name: ds.dataset(tmp_path / name, format="parquet").count_rows() for name in schema.TABLES}
    assert counts == {"documents": 1, "articles": 7, "sentences": 116, "entities": 0, "relations": 0, "failures": 0}
    for name, expected in schema.TABLES.items():
        if name == "failures":
            continue
        got = ds.dataset(tmp_path / name, format="parquet").schema
        assert got.remove_metadata().equals(expected.remove_metadata() if expected.metadata else expected), name


def test_every_table_readable_with_duckdb(tmp_path, extracted):
    duckdb = pytest.importorskip("duckdb")
    _write(tmp_path, extracted)
    con = duckdb.connect()
    n = con.execute(f"select count(*) from read_parquet('{tmp_path}/sentences/*.parquet')").fetchone()[0]
    assert n == 116
    row = con.execute(
        f"select a.headline, count(*) from read_parquet('{tmp_path}/articles/*.parquet') a "
        f"join read_parquet('{tmp_path}/sentences/*.parquet') s using (article_id) "
        "where a.index = 3 group by a.headline"
    ).fetchone()
    assert row[0].startswith("中央网信办") and row[1] == 17
    for name in schema.TABLES:
        if name == "failures":
            continue  # no failure part in this batch; see the flow tests
        cols = [r[0] for r in con.execute(f"describe select * from read_parquet('{tmp_path}/{name}/*.parquet')").fetchall()]
        assert cols == schema.TABLES[name].names, name


def test_metadata_and_compression(tmp_path, extracted):
    writer, key = _write(tmp_path, extracted, {"pipeline_version": "9.9", "rules_version": "abc"})
    path = writer.part_path("sentences", key)
    meta = pq.read_schema(path).metadata
    assert meta[b"schema_version"] == schema.SCHEMA_VERSION.encode()
    assert meta[b"pipeline_version"] == b"9.9" and meta[b"rules_version"] == b"abc"
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


def test_rewrite_is_idempotent_and_leaves_no_temporary_files(tmp_path, extracted):
    writer, key = _write(tmp_path, extracted)
    first = pq.read_table(writer.part_path("sentences", key))
    _write(tmp_path, extracted)
    again = pq.read_table(writer.part_path("sentences", key))
    assert first.equals(again)
    assert ds.dataset(tmp_path / "sentences", format="parquet").count_rows() == 116
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]


def test_ids_are_stable_and_unique(extracted, seed_doc):
    again = batch.clean_and_split([seed_doc])
    assert [s.sent_id for s in again.sentences] == [s.sent_id for s in extracted.sentences]
    assert len({s.sent_id for s in extracted.sentences}) == len(extracted.sentences)
    assert len({a.article_id for a in extracted.articles}) == 7


def test_orphans_of_an_interrupted_batch_are_removed(tmp_path, extracted):
    writer, key = _write(tmp_path, extracted)
    # simulate a crash after sentences were written but before documents committed
    writer.part_path("documents", key).unlink()
    assert writer.existing_doc_ids() == set()
    removed = writer.clean_orphans()
    assert {p.parent.name for p in removed} == {"articles", "sentences", "entities", "relations"}
    assert all(ds.dataset(tmp_path / n, format="parquet").count_rows() == 0 for n in schema.TABLES)


def test_remove_documents_for_force(tmp_path, extracted, seed_doc):
    writer, key = _write(tmp_path, extracted)
    writer.remove_documents({seed_doc.doc_id})
    assert writer.existing_doc_ids() == set()
    writer.clean_orphans()
    assert ds.dataset(tmp_path / "sentences", format="parquet").count_rows() == 0


def test_failed_write_leaves_previous_file_intact(tmp_path, extracted, monkeypatch):
    writer, key = _write(tmp_path, extracted)
    before = pq.read_table(writer.part_path("articles", key))

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(OSError):
        _write(tmp_path, extracted)
    assert pq.read_table(writer.part_path("articles", key)).equals(before)
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_schema_mismatch_is_refused(tmp_path):
    writer = DatasetWriter(tmp_path)
    bad = pa.table({"doc_id": ["x"]})
    with pytest.raises(ValueError, match="does not match"):
        writer.write_batch("k", {"documents": bad})


def test_recover_finishes_a_cut_short_force_removal(tmp_path, extracted, seed_doc):
    import json

    writer, key = _write(tmp_path, extracted)
    # a --force run killed right after un-committing the document: its
    # sentences are still in a part whose key looks committed elsewhere
    (tmp_path / ".removing.json").write_text(json.dumps([seed_doc.doc_id]))
    writer.recover()
    assert not (tmp_path / ".removing.json").exists()
    assert writer.existing_doc_ids() == set()
    assert all(ds.dataset(tmp_path / n, format="parquet").count_rows() == 0 for n in schema.TABLES if n != "failures")


def test_recover_removes_temporaries_of_a_killed_writer(tmp_path, extracted):
    writer, key = _write(tmp_path, extracted)
    stale = tmp_path / "entities" / f".part-{key}.parquet.99999.tmp"
    stale.write_bytes(b"PAR1 half a file")
    removed = writer.recover()
    assert stale in removed and not stale.exists()
    assert writer.existing_doc_ids()  # committed data untouched
