"""The spaCy side of the pipeline: tokenizer, components, loading.

:func:`load_nlp` returns the shipped pipeline (``models/zh_news``): the
char-word tokenizer with our pkuseg model, the statistical NER, the entity
rules and the linker. ``spacy.load("models/zh_news")`` gives the same once
the package is installed (its factories are registered through entry points).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipeline import settings

PIPELINE_NAME = "zh_news"


def pipeline_dir() -> Path:
    return settings.models_dir() / PIPELINE_NAME


@lru_cache(maxsize=2)
def _load(path: str):
    import spacy

    import pipeline.nlp.factories  # noqa: F401  (registrations, also when entry points are stale)

    if not Path(path).is_dir():
        raise FileNotFoundError(f"no spaCy pipeline at {path}: run `make models` to train and assemble it")
    return spacy.load(path)


def load_nlp(path: str | Path | None = None):
    """The pipeline, loaded once per process (each Dask worker loads its own)."""
    return _load(str(path or pipeline_dir()))
