"""Loading and validating rule files (YAML and JSONL) with file:line errors.

Rules, gazetteers and unit tables live in ``rules/`` as data. Each file is
read with a safe loader and validated by a pydantic model that forbids
unknown keys; any problem raises :class:`RuleFileError` whose message names
the file, the line and what is wrong, e.g.::

    rules/bylines.yaml:14: agencies[2].kind: Input should be 'newspaper' or 'news_agency'

Every rule file carries a ``version``; :func:`rules_fingerprint` hashes the
files so that outputs can record exactly which rules produced them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline import settings

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

#: where a rule example's text comes from; ``constructed`` (a made-up edge case) counts as no source
ExampleSource = Literal["sample", "dev-pages", "pd1998", "msra-train", "pd-ner", "cluener", "constructed"]


class RuleFileError(ValueError):
    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class StrictModel(BaseModel):
    """Base for rule models: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def node_line(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """Line (1-based) of the YAML node at pydantic error location ``loc``."""
    return _walk(node, loc)[0]


def _walk(node: yaml.Node | None, loc: Sequence[Any]) -> tuple[int | None, list[Any]]:
    """Follow ``loc`` down the YAML tree: (line of the deepest node, the parts found).

    Parts that name no node (pydantic's tags of union members, such as
    ``regex`` in ``rules[0].regex.label``) are skipped.
    """
    best = node
    found: list[Any] = []
    for key in loc:
        if node is None:
            break
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                    nxt = v
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
        if nxt is None:
            continue
        node = best = nxt
        found.append(key)
    return (best.start_mark.line + 1 if best is not None else None), found


def _format_loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_yaml(path: str | Path, model: type[M]) -> M:
    """Read ``path`` with a safe YAML loader and validate it against ``model``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleFileError(path, None, "rule file not found") from None
    except UnicodeDecodeError as exc:
        raise RuleFileError(path, None, f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RuleFileError(path, line, f"invalid YAML: {exc.problem or exc}") from None
    finally:
        loader.dispose()
    if data is None:
        raise RuleFileError(path, 1, "empty rule file")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        line, found = _walk(node, err["loc"])
        loc = found if found else err["loc"]
        more = f" (and {exc.error_count() - 1} more errors)" if exc.error_count() > 1 else ""
        raise RuleFileError(path, line, f"{_format_loc(loc)}: {err['msg']}{more}") from None


def load_jsonl(path: str | Path, model: type[M]) -> list[M]:
    """Read a JSONL rule file, one object per line, each validated by ``model``."""
    path = Path(path)
    out: list[M] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise RuleFileError(path, None, "rule file not found") from None
    for lineno, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RuleFileError(path, lineno, f"invalid JSON: {exc.msg} at column {exc.colno}") from None
        try:
            out.append(model.model_validate(obj))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise RuleFileError(path, lineno, f"{_format_loc(err['loc'])}: {err['msg']}") from None
    return out


def check_unique_ids(path: str | Path, items: Sequence[Any], attr: str = "id") -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        key = getattr(item, attr)
        if key in seen:
            raise RuleFileError(path, None, f"duplicate {attr} {key!r} (items {seen[key]} and {i})")
        seen[key] = i


class _Lexicons(BaseModel):
    model_config = ConfigDict(extra="ignore")
    lexicons: dict[str, list[str]]


def shared_lexicon(name: str, path: str | Path | None = None) -> tuple[str, ...]:
    """A lexicon of ``rules/entities.yaml`` (``SURNAME`` ...) for a stage other than the entity
    rules (the byline grammar cuts names written together at surnames), read and validated
    from the same file so that the language is written down once."""
    p = Path(path) if path else rule_path("entities.yaml")
    spec = load_yaml(p, _Lexicons)
    if name not in spec.lexicons:
        raise RuleFileError(p, None, f"lexicons: no lexicon {name!r}")
    return tuple(spec.lexicons[name])


def one_of(value: str, allowed: Iterable[str], what: str) -> str:
    """``value`` if it is one of ``allowed``; else the ValueError a pydantic validator reports
    (with the rule file's path and line, through :func:`load_yaml`)."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r} (one of {', '.join(sorted(allowed))})")
    return value


def per_rules(load: Callable[[], T]) -> Callable[[], T]:
    """Decorate a loader of the rules read now (those of :func:`settings.rules_dir` with the
    packs of :func:`settings.rule_packs`) so that it runs once per such pair: the
    ``default_*`` loaders, which a component calls under its own
    :func:`settings.rules_context` and the stages under the process's settings."""
    return _cached_per(load, with_packs=True)


def per_rules_folder(load: Callable[[], T]) -> Callable[[], T]:
    """:func:`per_rules` for a loader that reads no rule pack (units, bylines): once per folder,
    whatever packs are enabled."""
    return _cached_per(load, with_packs=False)


def _cached_per(load: Callable[[], T], with_packs: bool) -> Callable[[], T]:
    @lru_cache(maxsize=8)
    def of(root: Path, packs: tuple[str, ...] | None) -> T:
        with settings.rules_context(root, packs):
            return load()

    @wraps(load)
    def loaded() -> T:
        return of(settings.rules_dir(), settings.rule_packs() if with_packs else None)

    return loaded


def rule_path(name: str) -> Path:
    return settings.rules_dir() / name


def iter_rule_files(root: Path | None = None) -> Iterator[Path]:
    root = root or settings.rules_dir()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in {".yaml", ".yml", ".jsonl"}:
            yield path


def alternation(words: Iterable[str]) -> str:
    """A regular-expression group matching any of ``words``, longest first (so that
    元人民币 wins over 元), each escaped."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + ")"


def pack_path(name: str) -> Path:
    """``rules/packs/NAME.yaml``; a pack that is not there is an error naming the setting."""
    path = settings.rules_dir() / "packs" / f"{name}.yaml"
    if not path.is_file():
        raise RuleFileError(path, None, f"rule pack {name!r} not found (PIPELINE_RULE_PACKS)")
    return path


def rules_fingerprint(root: Path | None = None) -> str:
    """A short hash over every rule file and the enabled packs: the rules version recorded in outputs."""
    root = root or settings.rules_dir()
    digest = hashlib.sha256()
    digest.update(",".join(settings.rule_packs()).encode() + b"\0")
    for path in iter_rule_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
