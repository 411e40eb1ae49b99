"""``benne simulate`` through the real command line entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from benne.cli import main
from benne.sources import SOURCES


def test_help_names_the_default_as_of_date_and_an_example(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--help"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[2].startswith("  Simulate a population")
    assert "2025-01-01" in text and "Example:" in text
    for option in ("--people", "--seed", "--start", "--months", "--out", "--no-credit-share",
                   "--bad-rate"):
        assert option in text


def test_json_summary_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sources"
    code = main(["simulate", "--people", "300", "--months", "6", "--start", "2024-03-01",
                 "--seed", "3", "--out", str(out), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["as_of"] == "2024-06-01" and summary["end"] == "2024-09-01"
    assert summary["people"] == 300 and summary["seed"] == 3
    assert set(summary["rows"]) == set(SOURCES)
    for name, n in summary["rows"].items():
        assert pq.read_metadata(out / f"{name}.parquet").num_rows == n
    assert (out / "truth.parquet").exists()


def test_human_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--people", "200", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "as-of 2025-01-01" in text and "orders" in text


@pytest.mark.parametrize("args, word", [
    (["--people", "0"], "--people"),
    (["--people", "10", "--months", "1"], "--months"),
    (["--people", "10", "--start", "2024-13-01"], "--start"),
    (["--people", "10", "--no-credit-share", "1.5"], "--no-credit-share"),
    (["--people", "10", "--bad-rate", "0"], "--bad-rate"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          args: list[str], word: str) -> None:
    assert main(["simulate", *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and word in err
    assert not (tmp_path / "x").exists()


def test_library_errors_name_the_fix(tmp_path: Path) -> None:
    from benne.exceptions import InputError
    from benne.simulate import simulate

    with pytest.raises(InputError, match="people must be >= 1") as info:
        simulate(0, tmp_path)
    assert info.value.fix
    with pytest.raises(InputError, match="months must be >= 2"):
        simulate(5, tmp_path, months=1)
    with pytest.raises(InputError, match="no_credit_share"):
        simulate(5, tmp_path, no_credit_share=1.0)
