"""Chinese news information extraction: raw newspaper pages in, Parquet out.

The stages are plain modules (``pipeline.io``, ``pipeline.cleaning``,
``pipeline.sentences`` ...) that take text or records and return records;
``pipeline.flows`` wraps batches of documents in Prefect tasks.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load_nlp"]


def load_nlp(path=None):
    """The shipped spaCy pipeline (``models/zh_news``), loaded once per process."""
    from pipeline.nlp import load_nlp as _load_nlp

    return _load_nlp(path)
