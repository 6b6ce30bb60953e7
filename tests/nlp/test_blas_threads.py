"""The pipeline pins the BLAS library's threads itself (PIPELINE_BLAS_THREADS, default 1)."""

import subprocess
import sys

import pytest

CHECK = """
import threadpoolctl
from pipeline.nlp import load_nlp
load_nlp()
print(max(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"))
"""


@pytest.mark.parametrize("setting,expected", [(None, "1"), ("2", "2")])
def test_loading_the_pipeline_pins_blas_threads_whatever_the_environment(setting, expected, tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env["OPENBLAS_NUM_THREADS"] = "4"  # the caller's environment asks for more
    if setting is not None:
        env["PIPELINE_BLAS_THREADS"] = setting
    out = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == expected


def test_a_bad_setting_names_itself(monkeypatch):
    from pipeline import settings

    monkeypatch.setenv("PIPELINE_BLAS_THREADS", "many")
    with pytest.raises(ValueError, match="PIPELINE_BLAS_THREADS"):
        settings.blas_threads()
