"""The ``benne`` command line.

Every stage registers its commands from its own ``cli`` module (``register(app)``); this module
wires them, handles the global flags and turns errors into one line and an exit code:

- ``--quiet`` silences progress, ``--json`` prints one JSON summary on standard output,
  ``--debug`` shows tracebacks. They may stand anywhere on the command line.
- bad input (an unknown option, a missing file, a refused value) prints
  ``error: <what was wrong>, <where>, <how to fix>`` and exits 2;
- an internal error exits 1 with a short message (the traceback only with ``--debug``);
- drift found by ``benne monitor`` exits 3.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence

import click

from benne import __version__, console
from benne.exceptions import BenneError

__all__ = ["app", "main"]

# Each module defines register(app: click.Group). Order is the data flow.
COMMAND_MODULES: tuple[str, ...] = (
    "benne.demo_cli",
    "benne.simulate.cli",
    "benne.sources.cli",
    "benne.ingest.cli",
    "benne.features.cli",
    "benne.labels_cli",
    "benne.models.cli",
    "benne.scoring.cli",
    "benne.report.cli",
    "benne.service.cli",
)


@click.group(
    name="benne",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="benne", message="%(prog)s %(version)s")
def app() -> None:
    """benne: an open alternative-data credit bureau.

    Global flags, accepted anywhere on the line: --quiet (no progress bars), --json (one JSON
    summary on standard output), --debug (tracebacks on errors).

    Start with `benne demo`; a work folder's benne.toml tells every other command where the
    store, the model and the service database are.
    """


# The module that registers each command, so a command imports only its own stage: importing
# every stage's package (DuckDB, Arrow, the service's web stack) cost a short command such as
# ``benne score`` a noticeable part of its run. A test keeps this table equal to what the
# modules register; a name not in it (``--help``, a typo) registers every module.
COMMANDS: dict[str, str] = {
    "demo": "benne.demo_cli", "simulate": "benne.simulate.cli", "sources": "benne.sources.cli",
    "ingest": "benne.ingest.cli", "quarantine": "benne.ingest.cli",
    "features": "benne.features.cli", "labels": "benne.labels_cli",
    "train": "benne.models.cli", "export-sql": "benne.models.cli",
    "score": "benne.scoring.cli", "report": "benne.report.cli", "monitor": "benne.report.cli",
    "audit": "benne.service.cli", "disputes": "benne.service.cli",
    "partners": "benne.service.cli", "people": "benne.service.cli",
    "scores": "benne.service.cli", "serve": "benne.service.cli",
}
_registered: set[str] = set()


def _register_all(args: Sequence[str] = ()) -> None:
    """Register the stage of the command named first in ``args``, or every stage."""
    first = next((a for a in args if not a.startswith("-")), None)
    wanted = [COMMANDS[first]] if first in COMMANDS else list(COMMAND_MODULES)
    for name in wanted:
        if name in _registered:
            continue
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # stage not installed in this build
            raise
        module.register(app)
        _registered.add(name)


def _split_global(argv: Sequence[str]) -> tuple[list[str], dict[str, bool]]:
    flags = {"quiet": False, "json": False, "debug": False}
    rest: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg in ("--quiet", "-q"):
            flags["quiet"] = True
        elif arg == "--json":
            flags["json"] = True
        elif arg == "--debug":
            flags["debug"] = True
        else:
            rest.append(arg)
    return rest, flags


def _usage_line(exc: click.UsageError) -> str:
    msg = exc.format_message().replace("\n", " ").strip().rstrip(".")
    cmd = exc.ctx.command_path if exc.ctx is not None else "benne"
    return f"error: {msg}, in: {cmd}, see '{cmd} --help'"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns (and exits with) the exit code."""
    args, flags = _split_global(list(sys.argv[1:] if argv is None else argv))
    before = console.mode()
    saved = {"quiet": before.quiet, "json": before.json, "debug": before.debug}
    console.set_mode(**flags)
    code = 0
    try:
        code = _run(args, flags)
    finally:
        console.set_mode(**saved)  # an in-process call leaves the caller's output mode as it was
    if argv is None:
        sys.exit(code)
    return code


def _run(args: list[str], flags: dict[str, bool]) -> int:
    code = 0
    try:
        _register_all(args)
        result = app.main(args=args, prog_name="benne", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.UsageError as exc:
        sys.stderr.write(_usage_line(exc) + "\n")
        code = 2
    except click.Abort:
        sys.stderr.write("error: aborted\n")
        code = 1
    except BenneError as exc:
        if flags["debug"]:
            traceback.print_exc()
        sys.stderr.write(f"error: {exc.one_line()}\n")
        code = exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        code = 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if flags["debug"]:
            traceback.print_exc()
        sys.stderr.write(
            f"error: internal error ({type(exc).__name__}: {str(exc)[:300]}), "
            "run again with --debug for the traceback\n"
        )
        code = 1
    return code


if __name__ == "__main__":  # pragma: no cover
    main()
