"""A tiny progress hook, so that flows report progress without knowing the UI.

The command line installs a reporter (a rich progress bar); flows call
:func:`report` with the documents done and the documents known so far.
"""

from __future__ import annotations

from collections.abc import Callable

_reporter: Callable[[int, int], None] | None = None


def set_reporter(fn: Callable[[int, int], None] | None) -> None:
    global _reporter
    _reporter = fn


def report(done: int, total: int) -> None:
    if _reporter is not None:
        _reporter(done, total)
