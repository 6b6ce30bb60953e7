"""Files a pipeline part carries, as bytes and back (``to_bytes`` / ``from_bytes`` / pickling).

The tokenizer's segmenter model and the rule components' rule files are read lazily from
a folder. ``to_bytes`` packs the files of that folder into one msgpack message;
``from_bytes`` unpacks them into a folder named by their content hash under the user's
cache (``$XDG_CACHE_HOME/zhnews``, else ``~/.cache/zhnews``; ``PIPELINE_CACHE_DIR`` to
change it), written once and atomically (a half-written folder is never seen under its
name), so that the many processes of ``nlp.pipe(n_process=N)`` or a Dask cluster share one
copy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import srsly


def cache_dir() -> Path:
    env = os.environ.get("PIPELINE_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "zhnews"


def files_under(root: Path, patterns: Iterable[str]) -> list[Path]:
    """The files of ``root`` matching the glob ``patterns`` (relative paths), sorted, each once."""
    found = {p.relative_to(root) for pattern in patterns for p in root.glob(pattern) if p.is_file()}
    return sorted(found)


def copy_files(root: Path, dst: Path, patterns: Iterable[str]) -> list[Path]:
    """Copy the files of ``root`` matching ``patterns`` to ``dst``, keeping their relative paths."""
    copied = files_under(root, patterns)
    for rel in copied:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        if (root / rel).resolve() != (dst / rel).resolve():
            shutil.copyfile(root / rel, dst / rel)
    return copied


def pack_files(root: Path, patterns: Iterable[str]) -> bytes:
    """The files of ``root`` matching ``patterns`` as one msgpack message."""
    return srsly.msgpack_dumps({str(rel.as_posix()): (root / rel).read_bytes() for rel in files_under(root, patterns)})


def unpack_files(data: bytes, kind: str) -> Path:
    """The folder holding the files of a :func:`pack_files` message (see the module's text)."""
    files: dict[str, bytes] = srsly.msgpack_loads(data)
    digest = hashlib.sha256()
    for rel in sorted(files):
        if rel.startswith(("/", "\\")) or ".." in Path(rel).parts:
            raise ValueError(f"{kind}: a packed file path outside its folder: {rel!r}")
        digest.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    target = cache_dir() / f"{kind}-{digest.hexdigest()[:20]}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=target.parent))
    try:
        for rel, content in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(content)
        try:
            tmp.rename(target)
        except OSError:  # another process was first: its copy is the same
            if not target.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
