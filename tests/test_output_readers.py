"""Every table of an output opens in every reader the README names (DuckDB, pyarrow,
pandas, Polars), also when it holds no rows: a clean run writes no failure, and
``select count(*) from 'OUT/failures/*.parquet'`` must still answer 0."""

from __future__ import annotations

import asyncio

import pytest

from pipeline import schema

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clean_output(prefect_harness, seed_path, tmp_path_factory):
    from pipeline.flows import extract

    out = tmp_path_factory.mktemp("clean") / "out"
    summary = asyncio.run(extract([str(seed_path)], str(out)))
    assert summary["failures"] == 0 and summary["documents"] == 1
    return out, summary


@pytest.mark.parametrize("table", list(schema.TABLES))
def test_every_table_opens_in_the_four_readers_and_they_agree(clean_output, table):
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow.dataset as ds

    out, summary = clean_output
    expected = summary[table]
    glob = f"{out}/{table}/*.parquet"
    assert duckdb.connect().execute(f"select count(*) from '{glob}'").fetchone()[0] == expected
    assert ds.dataset(out / table, format="parquet").count_rows() == expected
    assert len(pd.read_parquet(out / table)) == expected
    assert pl.scan_parquet(glob).select(pl.len()).collect().item() == expected
    # and each sees the whole schema, also with no rows
    assert set(duckdb.sql(f"select * from '{glob}' limit 0").columns) == set(schema.TABLES[table].names)
    assert set(pl.read_parquet(glob).columns) == set(schema.TABLES[table].names)


def test_a_fresh_output_has_every_table_before_any_row(tmp_path):
    import duckdb

    from pipeline.io.parquet import DatasetWriter

    writer = DatasetWriter(tmp_path / "out")
    writer.ensure_tables()
    for table in schema.TABLES:
        assert duckdb.connect().execute(f"select count(*) from '{tmp_path}/out/{table}/*.parquet'").fetchone()[0] == 0
    assert not writer.damaged_batches()
    # a lost schema part comes back at the next run's start
    writer.part_path("failures", "schema").unlink()
    writer.ensure_tables()
    assert writer.part_path("failures", "schema").is_file()
