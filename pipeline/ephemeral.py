"""Prefect's temporary (ephemeral) server must not outlive the run that started it.

Without ``PREFECT_API_URL``, Prefect starts a temporary API server in a child
process (about 230 MB) and stops it at exit. A run that is killed (SIGKILL,
the OOM killer) cannot stop it: the server lives on, orphaned, forever.

So the command line marks its process before Prefect starts: the server
inherits ``PIPELINE_EPHEMERAL_OWNER=<pid>:<start time>`` in its environment.
At the next start, :func:`reap_orphans` finds the servers carrying such a
mark whose owner is gone (no such process, or another process under the same
pid) and terminates them. Only processes of the same user with the mark are
touched; a server someone started on purpose (``prefect server start``) has
no mark. Linux only (it reads ``/proc``); elsewhere both are no-ops.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ENV = "PIPELINE_EPHEMERAL_OWNER"
_PROC = Path("/proc")


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of ``/proc/PID/stat``)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def mark_owner() -> None:
    """Mark this process as the owner of the servers its children start."""
    if not _PROC.is_dir():
        return
    start = _start_time(os.getpid())
    if start is not None:
        os.environ[ENV] = f"{os.getpid()}:{start}"


def _owner_of(pid: int) -> str | None:
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    if b"PREFECT__SERVER_EPHEMERAL=1" not in environ:
        return None
    for item in environ.split(b"\0"):
        if item.startswith(ENV.encode() + b"="):
            return item.split(b"=", 1)[1].decode("ascii", "replace")
    return None


def orphans() -> list[int]:
    """Pids of marked ephemeral Prefect servers of this user whose owner is gone."""
    if not _PROC.is_dir():
        return []
    found = []
    uid = os.getuid()
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
        except OSError:
            continue
        owner = _owner_of(int(entry.name))
        if owner is None:
            continue
        pid, _, start = owner.partition(":")
        if not pid.isdigit() or _start_time(int(pid)) != start:
            found.append(int(entry.name))
    return found


def reap_orphans(wait: float = 5.0) -> list[int]:
    """Terminate the orphaned servers (SIGTERM, then SIGKILL after ``wait`` seconds)."""
    pids = orphans()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + wait
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if _start_time(p) is not None and not _is_zombie(p)]
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return pids


def _is_zombie(pid: int) -> bool:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2 :].startswith("Z")
