"""One writer per output directory at a time.

Two runs that write the same ``--out`` at once would race on the same part
files and on the orphan clean-up. :class:`OutputLock` takes an exclusive
``flock`` on ``OUT/.pipeline.lock`` (through :mod:`filelock`) for the whole
run; the operating system releases it when the holder exits, SIGKILL
included, so a crashed run never leaves a stale lock behind. Who holds the
lock (pid, host, start time) is written next to it, for the message the
waiting run prints.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = ".pipeline.lock"
OWNER_NAME = ".pipeline.lock.owner"


class OutputLocked(RuntimeError):
    """Another run holds the output directory for longer than we may wait."""


class OutputLock:
    def __init__(self, out_dir: str | os.PathLike, timeout: float = 3600.0, on_wait=None):
        self.out = Path(out_dir)
        self.timeout = timeout
        self.on_wait = on_wait
        self._lock = FileLock(str(self.out / LOCK_NAME), thread_local=False)

    def owner(self) -> dict:
        path = self.out / OWNER_NAME
        try:
            if path.is_symlink():
                return {}
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            if self.on_wait is not None:
                self.on_wait(self.describe_owner())
            try:
                self._lock.acquire(timeout=self.timeout, poll_interval=0.2)
            except Timeout:
                raise OutputLocked(
                    f"output directory {self.out} is in use by another run ({self.describe_owner()}); "
                    f"gave up after {self.timeout:g} s"
                ) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        self._write_owner(json.dumps(info).encode("utf-8"))

    def _write_owner(self, data: bytes) -> None:
        """Write the owner note without following a link: anyone who can write into OUT
        could otherwise point it at a file of ours and have us overwrite that file. A
        link (or anything else that is not a plain file) in its place is removed first."""
        path = self.out / OWNER_NAME
        try:
            if not path.is_symlink() and path.exists() and not path.is_file():
                raise OSError(f"{path} is not a regular file")
            if path.is_symlink():
                path.unlink()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError:
            return  # the note is informational; the lock itself is held
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def describe_owner(self) -> str:
        o = self.owner()
        if not o:
            return "owner unknown"
        return f"pid {o.get('pid')} on {o.get('host')} since {o.get('since')}"

    def release(self) -> None:
        if self._lock.is_locked:
            (self.out / OWNER_NAME).unlink(missing_ok=True)
            self._lock.release()

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
