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


def test_batches_shrink_to_a_quarter_of_each_workers_share(tmp_path, monkeypatch):
    """With N batches in flight a batch holds at most a quarter of each worker's share of the
    input (about 3 bytes a character), so that the workers finish together; never fewer than
    MIN_SHARED_BATCH_CHARS, never more than PIPELINE_BATCH_CHARS; one process keeps the setting."""
    from pipeline import flows

    monkeypatch.setenv("PIPELINE_BATCH_CHARS", "200000")
    paths = []
    for i in range(40):  # 40 pages of 15,000 bytes: about 200,000 characters
        p = tmp_path / f"{i}.txt"
        p.write_bytes(b"x" * 15_000)
        paths.append(str(p))

    def batch_chars(paths, in_flight):
        return flows._batch_chars(flows._file_sizes(paths), in_flight)

    assert batch_chars(paths, 1) == 200_000
    assert batch_chars(paths, 2) == flows.MIN_SHARED_BATCH_CHARS  # 200,000 / 8 = 25,000: too small
    assert batch_chars(paths * 8, 2) == 200_000  # 1.6 M characters / 8: the setting caps it
    assert batch_chars(paths * 4, 2) == 100_000
    assert batch_chars(paths * 4 + [str(tmp_path / "missing.txt")], 2) == 100_000


def test_a_local_clusters_workers_run_without_dasks_slow_defaults():
    """MALLOC_TRIM_THRESHOLD_ (which Dask sets before it spawns a worker) turns off glibc's
    dynamic mmap threshold, and the profiler samples the task's stack every 10 ms: the stages ran
    about 7 % slower in a worker with them. task_runner_for('local:N') switches both off."""
    import copy

    import dask
    import distributed  # noqa: F401  (its defaults join dask's config)

    from pipeline.flows import task_runner_for

    saved = copy.deepcopy(dask.config.config)
    try:
        task_runner_for("local:2")
        environ = dask.config.get("distributed.nanny.pre-spawn-environ")
        assert environ.get("MALLOC_TRIM_THRESHOLD_") is None and environ["OMP_NUM_THREADS"] == 1
        assert dask.config.get("distributed.worker.profile.enabled") is False
    finally:
        dask.config.config.clear()
        dask.config.config.update(saved)
