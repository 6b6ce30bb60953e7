"""The spaCy side of the pipeline: tokenizer, components, loading.

:func:`load_nlp` returns the shipped pipeline (``models/zh_news``): the
char-word tokenizer with our pkuseg model, the statistical NER, the entity
rules and the linker. ``spacy.load("models/zh_news")`` gives the same once
the package is installed (its factories are registered through entry points).
The compiled inference (:mod:`pipeline.nlp.inference`) runs its matrix products on
numpy's BLAS itself; where a stock path runs instead (``PIPELINE_COMPILED=0``, or a
fast path that failed its check against the stock one), :func:`load_nlp` has built the
models with thinc's ``NumpyOps(use_blis=False)``, so that thinc's products run on
numpy's BLAS too (OpenBLAS in the numpy wheels: 1.5-2x the BLIS kernels thinc picks on
these machines; the entities are the same).

Loading also runs one sentence through the pipeline, so that the components'
lazily loaded tables (segmenter, lexicons, gazetteers, rules, grammars) are
in memory, and then freezes every object alive out of the cyclic garbage
collector's view (``gc.freeze()``): the models' hundreds of thousands of
containers live as long as the process, and every full collection would
otherwise walk them again (about 7 % of the NER stage's time in a
measurement). Objects frozen are still freed by reference counting; only
reference cycles among them are never collected. ``PIPELINE_GC_FREEZE=0``
leaves the collector alone.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import cast

from pipeline import settings

PIPELINE_NAME = "zh_news"


def pipeline_dir() -> Path:
    return settings.models_dir() / PIPELINE_NAME


def pin_blas_threads() -> None:
    """Limit the BLAS library's threads in this process to ``PIPELINE_BLAS_THREADS``
    (default 1), whatever the caller's environment says (OMP_NUM_THREADS unset lets
    OpenBLAS start one thread per core, and the tok2vec's small matrix products then
    run several times slower while processes or Dask workers share the cores). The
    limit stays for the process; ``PIPELINE_BLAS_THREADS=0`` leaves BLAS alone."""
    n = settings.blas_threads()
    if n > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n, user_api="blas")


@lru_cache(maxsize=2)
def _load(path: str):
    import spacy

    import pipeline.nlp.factories  # noqa: F401  (registrations, also when entry points are stale)

    if not Path(path).is_dir():
        raise FileNotFoundError(f"no spaCy pipeline at {path}: run `make models` to train and assemble it")
    pin_blas_threads()
    with numpy_blas():
        nlp = spacy.load(path)
    from pipeline.nlp.inference.canary import CANARY_TEXT

    nlp(CANARY_TEXT)  # the lazy loads, and the compiled paths' checks against the stock ones
    if settings.gc_freeze():
        gc.collect()
        gc.freeze()
    return nlp


@contextmanager
def numpy_blas():
    """Models built inside get thinc's numpy ops with numpy's BLAS for ``gemm``
    (on the CPU only: other ops, a GPU's, are left alone)."""
    from thinc.api import NumpyOps, get_current_ops, set_current_ops

    previous = get_current_ops()
    if type(previous) is not NumpyOps:
        yield
        return
    set_current_ops(NumpyOps(use_blis=False))
    try:
        yield
    finally:
        set_current_ops(previous)


def load_nlp(path: str | Path | None = None):
    """The pipeline, loaded once per process (each Dask worker loads its own): ``path``, else
    ``models/zh_news``, else, where there is none (an installed copy of the project), the
    installed pipeline package ``zh_news`` (``make package``)."""
    if path is None and not pipeline_dir().is_dir():
        from spacy.util import is_package

        if is_package(PIPELINE_NAME):
            import importlib

            module = importlib.import_module(PIPELINE_NAME)
            path = Path(cast(str, module.__file__)).parent / f"{PIPELINE_NAME}-{module.__version__}"
    return _load(str(path or pipeline_dir()))


def use_rule_packs(nlp, packs: tuple[str, ...]) -> None:
    """Switch the rule components of a loaded pipeline to their rules plus ``packs``
    (``rules/packs/NAME.yaml``), whatever ``PIPELINE_RULE_PACKS`` says."""
    from pipeline.nlp.components import RuleFilesMixin

    for _, comp in nlp.pipeline:
        if isinstance(comp, RuleFilesMixin) and comp.reads_packs:
            comp.use_rules(comp.rules_root, packs)
