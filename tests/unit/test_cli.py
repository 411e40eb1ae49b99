"""The command line's contract: every command listed, one-line errors, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from benne import console
from benne.cli import COMMAND_MODULES, app, main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benne.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_help_lists_every_registered_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert app.commands, "no command registered"
    for name, command in app.commands.items():
        assert name in out
        assert command.get_short_help_str(), f"{name} has no one-line purpose"


def test_every_stage_module_registers_commands() -> None:
    import importlib

    for module in COMMAND_MODULES:
        assert callable(importlib.import_module(module).register), module


def test_command_table_names_what_each_module_registers() -> None:
    import importlib

    import click

    from benne.cli import COMMANDS

    registered = {}
    for module in COMMAND_MODULES:
        group = click.Group()
        importlib.import_module(module).register(group)
        registered.update(dict.fromkeys(group.commands, module))
    assert registered == COMMANDS


def test_a_command_imports_only_its_own_stage() -> None:
    probe = ("import sys\nfrom benne.cli import app, main\n"
             "assert main(['score', '--help']) == 0\n"
             "print(sorted(app.commands), 'duckdb' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "['score'] False"


@pytest.mark.parametrize("name", sorted(app.commands) or ["sources"])
def test_each_command_help_has_an_example(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])  # registers the commands
    capsys.readouterr()
    assert main([name, "--help"]) == 0
    assert "Example" in capsys.readouterr().out


def test_unknown_option_is_one_line_and_exit_2() -> None:
    proc = run("sources", "--no-such-option")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ") and "--no-such-option" in lines[0]
    assert "Traceback" not in proc.stderr


def test_unknown_command_is_one_line_and_exit_2() -> None:
    proc = run("frobnicate")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "frobnicate" in proc.stderr


def test_benne_error_prints_what_where_fix_and_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sources", "no_such_source"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown source 'no_such_source'")
    assert "use one of identity" in err


def test_internal_error_exit_1_traceback_only_with_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import benne.sources

    def boom(name: str) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(benne.sources, "get_source", boom)
    assert main(["sources", "bills"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "kaput" in err and "Traceback" not in err
    assert main(["--debug", "sources", "bills"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_global_flags_anywhere_and_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["sources", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"identity", "orders", "bills", "credit", "merchant_sales"}
    assert not console.mode().json  # an in-process call leaves the caller's mode as it was
    assert main(["--quiet", "sources"]) == 0
    assert capsys.readouterr().out == ""


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("benne ")
