"""Output for long work: progress bars, messages and the ``--json`` summary.

The command line sets the mode once (``--quiet``, ``--json``); library code calls
:func:`progress` and :func:`info` and never prints directly. With ``--json`` the only thing on
standard output is the final JSON object; progress and messages go to standard error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["Mode", "emit", "info", "mode", "progress", "set_mode", "stage", "task"]

T = TypeVar("T")


@dataclass
class Mode:
    quiet: bool = False
    json: bool = False
    debug: bool = False


_mode = Mode()
_err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def set_mode(*, quiet: bool = False, json: bool = False, debug: bool = False) -> None:
    _mode.quiet, _mode.json, _mode.debug = quiet, json, debug


def mode() -> Mode:
    return _mode



def info(message: str) -> None:
    """A one-line message for people (standard error; silent with --quiet or --json)."""
    if not (_mode.quiet or _mode.json):
        _err.print(message)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_err,
        disable=_mode.quiet or _mode.json,
        transient=False,
    )


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on standard error."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with _progress() as bar:
        tid = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(tid)


@contextmanager
def task(description: str, total: float | None = None) -> Iterator[Any]:
    """A progress task advanced by the caller: ``with task("x", 10) as advance: advance(1)``."""
    with _progress() as bar:
        tid = bar.add_task(description, total=total)

        def advance(n: float = 1.0) -> None:
            bar.advance(tid, n)

        yield advance
        if total is not None:
            bar.update(tid, completed=total)


@contextmanager
def stage(description: str) -> Iterator[None]:
    """A named step with a spinner, marked done when it ends."""
    with _progress() as bar:
        tid = bar.add_task(description, total=1)
        yield
        bar.update(tid, completed=1)


def emit(summary: dict[str, Any], human: str | None = None) -> None:
    """Print the command's result: JSON with --json, else ``human`` (unless --quiet)."""
    if _mode.json:
        sys.stdout.write(json.dumps(summary, default=str, sort_keys=True) + "\n")
        sys.stdout.flush()
    elif not _mode.quiet and human is not None:
        Console(highlight=False, markup=False, soft_wrap=True).print(human)
