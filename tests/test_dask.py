"""Scale-out: the same flow on a 2-worker Dask LocalCluster gives the same rows."""

import asyncio
import shutil

import pytest

from tests.test_crash_safety import PAGES, _snapshot

pytestmark = pytest.mark.e2e


def test_dask_local_cluster_gives_identical_parquet(prefect_harness, tmp_path, seed_path):
    pytest.importorskip("prefect_dask")
    from pipeline.flows import ApiForWorkers, extract, task_runner_for

    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(seed_path, src / "seed.txt")
    for i, text in enumerate(PAGES):
        (src / f"p{i}.txt").write_text(text, encoding="utf-8")

    local = tmp_path / "local"
    asyncio.run(extract([str(src)], str(local), batch_size=2))

    dask_out = tmp_path / "dask"
    flow = extract.with_options(task_runner=task_runner_for("local:2"))
    with ApiForWorkers("local:2"):
        summary = asyncio.run(flow([str(src)], str(dask_out), batch_size=2))
    assert summary["documents"] == len(PAGES) + 1
    assert _snapshot(dask_out) == _snapshot(local)


@pytest.mark.parametrize("spec", ["local:0", "local:x", "dask-scheduler:8786"])
def test_bad_dask_spec_is_a_clear_error(spec):
    from pipeline.flows import task_runner_for

    with pytest.raises(ValueError, match="--dask"):
        task_runner_for(spec)


def test_remote_cluster_without_api_fails_clearly(monkeypatch):
    import prefect.settings

    from pipeline.flows import ApiForWorkers

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: None}):
        with pytest.raises(RuntimeError, match="PREFECT_API_URL"):
            ApiForWorkers("tcp://10.0.0.1:8786").__enter__()
