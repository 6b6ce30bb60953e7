"""Locations and settings that the whole package shares.

Every setting can be overridden by an environment variable so that a
deployment can point the pipeline at other rules or models without code
changes:

``PIPELINE_RULES_DIR``   directory of rule files (default: ``rules/`` of the checkout)
``PIPELINE_MODELS_DIR``  directory of trained models (default: ``models/``)
``PIPELINE_BATCH_SIZE``  documents per Prefect task batch (default: 16)
``PIPELINE_MAX_DOC_CHARS`` largest document accepted, in characters (default: 2,000,000;
                         a newspaper page has 5-50 thousand)
``PIPELINE_RULE_PACKS``  comma-separated optional rule packs of ``rules/packs/`` to enable
                         (default: none; e.g. ``oil_gas,chongqing``)
``PIPELINE_BLAS_THREADS`` threads of the BLAS library (OpenBLAS, MKL) in a process that loads the
                         pipeline (default: 1; ``0`` leaves them as the environment has them).
                         Parallelism comes from processes; BLAS threads on top of them
                         oversubscribe the cores (the NER stage ran five times slower)
``PIPELINE_GC_FREEZE``   ``0`` keeps the loaded models in the garbage collector's view
                         (default ``1``: frozen out of it, see ``pipeline.nlp.load_nlp``)
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def rules_dir() -> Path:
    return Path(os.environ.get("PIPELINE_RULES_DIR", PROJECT_ROOT / "rules"))


def models_dir() -> Path:
    return Path(os.environ.get("PIPELINE_MODELS_DIR", PROJECT_ROOT / "models"))


def rule_packs() -> tuple[str, ...]:
    """Names of the optional rule packs (``rules/packs/NAME.yaml``) enabled by
    ``PIPELINE_RULE_PACKS``; the default rule set is what holds on any page."""
    value = os.environ.get("PIPELINE_RULE_PACKS", "")
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    for name in names:
        if not name.replace("_", "").isalnum():
            raise ValueError(f"PIPELINE_RULE_PACKS takes names of rules/packs/NAME.yaml separated by commas, got {value!r}")
    return names


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return number


def blas_threads() -> int:
    """BLAS threads per process (0: leave the environment's setting)."""
    value = os.environ.get("PIPELINE_BLAS_THREADS", "1")
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ValueError(f"PIPELINE_BLAS_THREADS must be 0 (leave alone) or a positive integer, got {value!r}")
    return number


def batch_size() -> int:
    return _positive_int("PIPELINE_BATCH_SIZE", 16)


def max_doc_chars() -> int:
    return _positive_int("PIPELINE_MAX_DOC_CHARS", 2_000_000)


def gc_freeze() -> bool:
    value = os.environ.get("PIPELINE_GC_FREEZE", "1")
    if value not in ("0", "1"):
        raise ValueError(f"PIPELINE_GC_FREEZE must be 0 or 1, got {value!r}")
    return value == "1"


def prefect_defaults() -> None:
    """Safe defaults for Prefect's local ephemeral mode (no network, no telemetry).

    Values the user already set win; this only fills in what is missing.
    A fresh ephemeral database took 13-20 s to start on 2 cores, against
    Prefect's default start-up timeout of 20 s, hence the larger timeout.
    """
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
