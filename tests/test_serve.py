"""Scheduling: a Prefect server on loopback, the flow served with a schedule,
and a scheduled run that completes and writes the output."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited: {proc.stdout.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("prefect server did not become healthy")


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture()
def prefect_server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        _wait_healthy(url, proc)
        yield url, env
    finally:
        _stop(proc)


def test_served_flow_runs_on_its_schedule(prefect_server, tmp_path, seed_path):
    url, env = prefect_server
    out = tmp_path / "out"
    env = {**env, "PREFECT_API_URL": url, "PREFECT_RUNNER_POLL_FREQUENCY": "2", "PREFECT_LOGGING_LEVEL": "INFO"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", str(seed_path), "--out", str(out), "--interval", "5", "--name", "test"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.time() + 240

        def committed():  # a batch of data (the zero-row part-schema is there from the run's start)
            return [p for p in (out / "documents").glob("part-*.parquet") if p.name != "part-schema.parquet"]

        while time.time() < deadline and not committed():
            assert serve.poll() is None, serve.stdout.read()[-3000:]
            time.sleep(1)
        assert committed(), "no scheduled run completed in time"
    finally:
        _stop(serve)

    import pyarrow.dataset as ds

    assert ds.dataset(out / "entities", format="parquet").count_rows() > 100


def test_serve_without_a_server_explains_how_to_start_one(monkeypatch, capsys, seed_path, tmp_path):
    import prefect.settings

    from pipeline.cli import main

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: None}):
        code = main(["serve", str(seed_path), "--out", str(tmp_path), "--cron", "0 2 * * *"])
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "prefect server start" in err and "PREFECT_API_URL" in err


def test_prefect_yaml_deployment_matches_the_flow():
    import inspect
    from pathlib import Path

    import yaml
    from prefect.client.schemas.schedules import CronSchedule

    from pipeline import flows

    spec = yaml.safe_load((Path(__file__).resolve().parent.parent / "prefect.yaml").read_text(encoding="utf-8"))
    (dep,) = spec["deployments"]
    path, name = dep["entrypoint"].split(":")
    assert path == "pipeline/flows.py" and getattr(flows, name) is flows.extract
    params = set(inspect.signature(flows.extract.fn).parameters)
    assert set(dep["parameters"]) <= params and {"inputs", "out"} <= set(dep["parameters"])
    for sched in dep["schedules"]:
        CronSchedule(cron=sched["cron"], timezone=sched.get("timezone"))  # validates
