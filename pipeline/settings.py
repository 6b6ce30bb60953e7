"""Locations and settings that the whole package shares.

Every setting can be overridden by an environment variable so that a
deployment can point the pipeline at other rules or models without code
changes:

``PIPELINE_RULES_DIR``   directory of rule files (default: ``rules/`` of the checkout; in an installed
                         copy, the rules the wheel carries, ``pipeline/_rules``)
``PIPELINE_MODELS_DIR``  directory of trained models (default: ``models/`` of the checkout)
``PIPELINE_BATCH_SIZE``  most documents per Prefect task batch (default: 256)
``PIPELINE_BATCH_CHARS`` characters after which a batch closes (default: 200,000: about three
                         seconds of NER; 40 pages of 5,000 characters, or 256 short records)
``PIPELINE_MAX_DOC_CHARS`` largest document accepted, in characters (default: 2,000,000;
                         a newspaper page has 5-50 thousand)
``PIPELINE_MAX_FILE_BYTES`` largest JSONL file read, in bytes (default: 1 GiB)
``PIPELINE_RULE_PACKS``  comma-separated optional rule packs of ``rules/packs/`` to enable
                         (default: none; e.g. ``oil_gas,chongqing``)
``PIPELINE_BLAS_THREADS`` threads of the BLAS library (OpenBLAS, MKL) in a process that loads the
                         pipeline (default: 1; ``0`` leaves them as the environment has them).
                         Parallelism comes from processes; BLAS threads on top of them
                         oversubscribe the cores (the NER stage ran five times slower)
``PIPELINE_DASK``        run the batch tasks on Dask: ``local:N`` or ``tcp://HOST:PORT`` (default: none)
``PIPELINE_IN_FLIGHT``   batches in flight on a remote Dask cluster (default: 8)
``PIPELINE_COMPILED``    ``0`` runs the stock segmenter, tok2vec and NER decoder instead of the
                         compiled inference (same results, slower; :mod:`pipeline.nlp.inference.canary`)
``PIPELINE_GC_FREEZE``   ``0`` keeps the loaded models in the garbage collector's view
                         (default ``1``: frozen out of it, see ``pipeline.nlp.load_nlp``)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: where an installed copy (a wheel) keeps the project's rules: the wheel maps ``rules/`` there
PACKAGED_RULES = Path(__file__).resolve().parent / "_rules"

# what a spaCy component that carries its own rules (or names its packs in its config) loads
# under: see :func:`rules_context`. Context variables, so that two pipelines with different
# rules live in one process, and threads do not see each other's
_RULES_ROOT: ContextVar[Path | None] = ContextVar("pipeline_rules_root", default=None)
_RULE_PACKS: ContextVar[tuple[str, ...] | None] = ContextVar("pipeline_rule_packs", default=None)


class SettingsError(ValueError):
    """A setting (environment variable) with a value it does not take."""


def default_rules_dir() -> Path:
    """``rules/`` of the checkout; where there is none (an installed wheel), the packaged copy."""
    if (PROJECT_ROOT / "pyproject.toml").is_file() or not PACKAGED_RULES.is_dir():
        return PROJECT_ROOT / "rules"
    return PACKAGED_RULES


def rules_dir() -> Path:
    """The rules read now: those of the current :func:`rules_context`, else
    ``PIPELINE_RULES_DIR``, else :func:`default_rules_dir`."""
    root = _RULES_ROOT.get()
    if root is not None:
        return root
    env = os.environ.get("PIPELINE_RULES_DIR")
    return Path(env) if env else default_rules_dir()


@contextmanager
def rules_context(root: Path | None = None, packs: tuple[str, ...] | None = None) -> Iterator[None]:
    """Within the block, :func:`rules_dir` is ``root`` and :func:`rule_packs` is ``packs``
    (each where it is not None): how a pipeline component loads the rules it carries and the
    packs its config names, whatever the process-wide settings say."""
    tokens: list[tuple[ContextVar[Any], Token[Any]]] = []
    if root is not None:
        tokens.append((_RULES_ROOT, _RULES_ROOT.set(Path(root))))
    if packs is not None:
        tokens.append((_RULE_PACKS, _RULE_PACKS.set(tuple(packs))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def models_dir() -> Path:
    return Path(os.environ.get("PIPELINE_MODELS_DIR", PROJECT_ROOT / "models"))


def rule_packs() -> tuple[str, ...]:
    """Names of the optional rule packs (``rules/packs/NAME.yaml``) enabled by
    ``PIPELINE_RULE_PACKS`` (or by the current :func:`rules_context`); the default rule set
    is what holds on any page."""
    packs = _RULE_PACKS.get()
    if packs is not None:
        return packs
    value = os.environ.get("PIPELINE_RULE_PACKS", "")
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    for name in names:
        if not name.replace("_", "").isalnum():
            raise SettingsError(f"PIPELINE_RULE_PACKS takes names of rules/packs/NAME.yaml separated by commas, got {value!r}")
    return names


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise SettingsError(f"{name} must be a positive integer, got {value!r}")
    return number


def blas_threads() -> int:
    """BLAS threads per process (0: leave the environment's setting)."""
    value = os.environ.get("PIPELINE_BLAS_THREADS", "1")
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise SettingsError(f"PIPELINE_BLAS_THREADS must be 0 (leave alone) or a positive integer, got {value!r}")
    return number


def batch_size() -> int:
    return _positive_int("PIPELINE_BATCH_SIZE", 256)


def batch_chars() -> int:
    return _positive_int("PIPELINE_BATCH_CHARS", 200_000)


def max_doc_chars() -> int:
    return _positive_int("PIPELINE_MAX_DOC_CHARS", 2_000_000)


def max_file_bytes() -> int:
    return _positive_int("PIPELINE_MAX_FILE_BYTES", 1 << 30)


def compiled() -> bool:
    """``PIPELINE_COMPILED=0`` runs the stock segmenter, tok2vec and NER decoder (spacy-pkuseg,
    thinc, spaCy) instead of the compiled inference (same results, slower)."""
    value = os.environ.get("PIPELINE_COMPILED", "1")
    if value not in ("0", "1"):
        raise SettingsError(f"PIPELINE_COMPILED must be 0 or 1, got {value!r}")
    return value == "1"


def gc_freeze() -> bool:
    value = os.environ.get("PIPELINE_GC_FREEZE", "1")
    if value not in ("0", "1"):
        raise SettingsError(f"PIPELINE_GC_FREEZE must be 0 or 1, got {value!r}")
    return value == "1"


def in_flight() -> int:
    """Batches in flight on a remote Dask cluster (``PIPELINE_IN_FLIGHT``, default 8)."""
    return _positive_int("PIPELINE_IN_FLIGHT", 8)


def dask_spec(value: str | None = None) -> str | None:
    """``--dask`` / ``PIPELINE_DASK``: empty (no Dask), ``local:N`` or a scheduler address."""
    name = "--dask" if value is not None else "PIPELINE_DASK"
    value = os.environ.get("PIPELINE_DASK", "") if value is None else value
    if not value:
        return None
    if value.startswith("local:"):
        n = value.split(":", 1)[1]
        if not n.isdigit() or int(n) < 1:
            raise SettingsError(f"{name} local:N needs a positive number of workers, got {value!r}")
        return value
    if "://" in value:
        return value
    raise SettingsError(f"{name} takes local:N or a scheduler address such as tcp://HOST:8786, got {value!r}")


def validate() -> None:
    """Check every setting at once; raise :class:`SettingsError` naming each bad one and
    what it takes. The command line calls this before anything runs."""
    problems = []
    for check in (
        batch_size,
        batch_chars,
        max_doc_chars,
        max_file_bytes,
        rule_packs,
        blas_threads,
        gc_freeze,
        compiled,
        in_flight,
        dask_spec,
    ):
        try:
            check()
        except SettingsError as exc:
            problems.append(str(exc))
    for name, getter in (("PIPELINE_RULES_DIR", rules_dir), ("PIPELINE_MODELS_DIR", models_dir)):
        if name in os.environ and not getter().is_dir():
            problems.append(f"{name} must name an existing directory, got {os.environ[name]!r}")
    if problems:
        raise SettingsError("; ".join(problems))


def prefect_defaults() -> None:
    """Safe defaults for Prefect's local ephemeral mode (no network, no telemetry).

    Values the user already set win; this only fills in what is missing.
    A fresh ephemeral database took 13-20 s to start on 2 cores, against
    Prefect's default start-up timeout of 20 s, hence the larger timeout.
    """
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
