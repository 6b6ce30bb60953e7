"""Installable wheels: the project (``zhnews-pipeline``) and its spaCy pipeline (``zh_news``).

``make package`` (``python -m pipeline package``) writes both to ``dist/``:

* ``zhnews_pipeline-VERSION-*.whl``: the code, the compiled extension and the rules
  (``rules/`` as the package data ``pipeline._rules``, read where there is no checkout);
* ``zh_news-VERSION-py3-none-any.whl``: ``models/zh_news`` made self-contained: every rule
  component carries the rule files it reads (:func:`pipeline.nlp.components.carry_rules`),
  the rule packs chosen with ``--packs`` are written in its config, and it requires the
  project's wheel, whose entry points register the components. Built by ``spacy package``.

After ``pip install dist/*.whl`` in any environment, ``spacy.load("zh_news")`` gives the
checkout's entities, and ``python -m pipeline run`` works without a checkout (it loads the
installed ``zh_news`` where there is no ``models/zh_news``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline import __version__, settings

PIPELINE_PACKAGE = "zh_news"
#: the components whose config names their rule packs
PACKS_COMPONENTS = ("zhnews_entity_rules", "zhnews_linker")


def stage_pipeline(out: Path, model: Path | None = None, packs: Sequence[str] | None = None) -> Path:
    """``models/zh_news`` (or ``model``) saved to ``out/zh_news`` with its rules inside."""
    import spacy

    import pipeline.nlp.factories  # noqa: F401  (registrations)
    from pipeline.nlp import pipeline_dir
    from pipeline.nlp.components import carry_rules

    src = Path(model or pipeline_dir())
    overrides = {}
    if packs is not None:  # written into the config of the components that take packs
        overrides = {name: {"packs": list(packs)} for name in PACKS_COMPONENTS}
    nlp = spacy.load(src, config={"components": overrides} if overrides else {})
    if not carry_rules(nlp):
        raise ValueError(f"{src}: no rule component to carry rules")
    requirement = f"zhnews-pipeline>={__version__},<{_next_minor(__version__)}"
    nlp.meta["requirements"] = [r for r in nlp.meta.get("requirements", []) if not r.startswith("zhnews-pipeline")]
    nlp.meta["requirements"].append(requirement)
    target = out / PIPELINE_PACKAGE
    if target.exists():
        shutil.rmtree(target)
    nlp.to_disk(target)
    return target


def _next_minor(version: str) -> str:
    major, minor, *_ = (int(x) for x in version.split("."))
    return f"{major}.{minor + 1}"


def build(dist: Path, packs: Sequence[str] | None = None, project: bool = True) -> list[Path]:
    """Both wheels into ``dist`` (the project's only with ``project``); their paths."""
    dist.mkdir(parents=True, exist_ok=True)
    work = dist / ".build"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    wheels: list[Path] = []
    if project:
        before = set(dist.glob("zhnews_pipeline-*.whl"))
        for old in before:
            old.unlink()
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(settings.PROJECT_ROOT)],
            check=True,
        )
        wheels += sorted(dist.glob("zhnews_pipeline-*.whl"))
    staged = stage_pipeline(work, packs=packs)
    subprocess.run(
        [sys.executable, "-m", "spacy", "package", str(staged), str(work), "--build", "wheel", "--force"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for wheel in work.glob("*/dist/*.whl"):
        dst = dist / wheel.name
        shutil.copyfile(wheel, dst)
        wheels.append(dst)
    shutil.rmtree(work)
    return wheels
