"""One writer per output directory: the lock and what a waiting run sees."""

import threading
import time

import pytest

from pipeline.io.lock import OutputLock, OutputLocked


def test_second_writer_fails_after_timeout_naming_the_holder(tmp_path):
    with OutputLock(tmp_path):
        with pytest.raises(OutputLocked, match=r"in use by another run \(pid \d+ on .* since"):
            OutputLock(tmp_path, timeout=0.3).acquire()


def test_second_writer_waits_and_then_runs(tmp_path):
    holder = OutputLock(tmp_path)
    holder.acquire()
    waited = []
    threading.Timer(0.5, holder.release).start()
    t0 = time.perf_counter()
    with OutputLock(tmp_path, timeout=30, on_wait=waited.append):
        assert time.perf_counter() - t0 >= 0.4
    assert waited and "pid" in waited[0]


def test_lock_is_released_when_the_holder_dies(tmp_path):
    import subprocess
    import sys

    code = (
        "import os, signal, sys; from pipeline.io.lock import OutputLock; "
        f"OutputLock({str(tmp_path)!r}).acquire(); os.kill(os.getpid(), signal.SIGKILL)"
    )
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == -9
    with OutputLock(tmp_path, timeout=2):  # no stale lock
        pass
