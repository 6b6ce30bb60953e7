"""The lexicons of ``rules/training.yaml``: what the training flows read besides the corpora."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field

from pipeline.rules import RuleFileError, StrictModel, load_yaml, rule_path

#: the lexicons the training code reads (each required, none empty)
NAMES = ("SILVER_ORG_HEAD", "SILVER_ORG_COMPOUND_HEAD", "ADMIN_NAME_SUFFIX")


class TrainingLexicons(StrictModel):
    version: int
    lexicons: dict[str, Annotated[list[str], Field(min_length=1)]]


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, tuple[str, ...]]:
    spec = load_yaml(path, TrainingLexicons)
    missing = [n for n in NAMES if n not in spec.lexicons]
    if missing:
        raise RuleFileError(path, None, f"lexicons: missing {missing}")
    return {name: tuple(words) for name, words in spec.lexicons.items()}


def training_lexicon(name: str) -> tuple[str, ...]:
    """The words of lexicon ``name`` of ``rules/training.yaml``, in their order."""
    return _load(str(rule_path("training.yaml")))[name]
