"""A corpus of bad inputs for every command: each gives exit 2 and one line naming what was wrong.

Never "internal error", never a traceback. The corpus covers malformed, empty and missing files,
wrong types, missing columns, bad dates and bad options; each case names a fragment the error
line must contain, so a message that says nothing useful fails too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benne.cli import main


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[Path, Path], list[str]]  # (work folder, trained model) -> argv
    names: str  # a fragment the one error line must contain (case-insensitive)


def _table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "bills__on_time_share_365d": rng.beta(5, 2, n),
        "orders__count_365d": rng.poisson(5, n).astype(float),
        "signal": x,
        "bad": (rng.random(n) < 1 / (1 + np.exp(-(x - 1)))).astype(int),
    })


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A folder of bad and good input files, and a model trained on the good table."""
    d = tmp_path_factory.mktemp("fuzz")
    good = _table()
    good.to_csv(d / "good.csv", index=False)
    good.drop(columns=["bad"]).to_csv(d / "features.csv", index=False)
    good.drop(columns=["signal", "bad"]).to_csv(d / "missing_feature.csv", index=False)
    good.assign(bad=0).to_csv(d / "one_class.csv", index=False)
    good.assign(bad=np.where(good["bad"] == 1, "yes", "no")).to_csv(d / "text_target.csv",
                                                                   index=False)
    good.assign(signal="abc").drop(columns=["bad"]).to_csv(d / "text_feature.csv", index=False)
    (d / "empty.csv").write_text("")
    (d / "header_only.csv").write_text("signal,bad\n")
    (d / "garbage.parquet").write_bytes(b"PAR1 not really parquet \x00\x01\x02")
    (d / "garbage.csv").write_bytes(b"\xff\xfe\x00\x00\x00binary\x00\x01\n\x00\x02")
    (d / "notes.txt").write_text("a,b\n1,2\n")
    (d / "people_no_id.csv").write_text("who,as_of\nx,2024-01-01\n")
    (d / "people_bad_date.csv").write_text("person_id,as_of\np1,31/13/2024\n")
    (d / "identity.csv").write_text("person_id,registered_at,real_name_verified,birth_year,"
                                    "gender,region\np1,2023-01-05 10:00:00,true,1990,female,"
                                    "north\n")
    (d / "orders_missing_cols.csv").write_text("order_id,amount\no1,5\n")
    (d / "not_a_store.duckdb").write_text("this is not a database")
    (d / "benne_not_a_folder").write_text("x")
    model = d / "model"
    assert main(["--quiet", "train", "--table", str(d / "good.csv"), "--target", "bad",
                 "--no-challenger", "--out", str(model)]) == 0
    return d, model


CASES = [
    # simulate
    Case("simulate-zero-people", lambda d, m: ["simulate", "--people", "0", "--out",
                                               str(d / "s0")], "people"),
    Case("simulate-people-not-a-number", lambda d, m: ["simulate", "--people", "many"], "people"),
    Case("simulate-bad-start-date", lambda d, m: ["simulate", "--start", "2024-13-45"], "start"),
    Case("simulate-one-month", lambda d, m: ["simulate", "--people", "5", "--months", "1",
                                             "--out", str(d / "s1")], "months"),
    Case("simulate-out-is-a-file", lambda d, m: ["simulate", "--people", "5", "--out",
                                                 str(d / "benne_not_a_folder")],
         "benne_not_a_folder"),
    # sources
    Case("sources-unknown", lambda d, m: ["sources", "nosuch"], "nosuch"),
    # ingest
    Case("ingest-missing-file", lambda d, m: ["ingest", str(d / "absent.csv"), "--db",
                                              str(d / "i.duckdb")], "absent.csv"),
    Case("ingest-empty-file", lambda d, m: ["ingest", str(d / "empty.csv"), "--source",
                                            "orders", "--db", str(d / "i.duckdb")], "empty.csv"),
    Case("ingest-unknown-source", lambda d, m: ["ingest", str(d / "good.csv"), "--source",
                                                "nosuch", "--db", str(d / "i.duckdb")], "nosuch"),
    Case("ingest-garbage-parquet", lambda d, m: ["ingest", str(d / "garbage.parquet"),
                                                 "--source", "orders", "--db",
                                                 str(d / "i.duckdb")], "garbage.parquet"),
    Case("ingest-unknown-extension", lambda d, m: ["ingest", str(d / "notes.txt"), "--db",
                                                   str(d / "i.duckdb")], "notes.txt"),
    Case("ingest-missing-columns", lambda d, m: ["ingest", str(d / "orders_missing_cols.csv"),
                                                 "--source", "orders", "--db",
                                                 str(d / "i.duckdb")], "orders_missing_cols"),
    Case("ingest-bad-format-option", lambda d, m: ["ingest", str(d / "good.csv"), "--format",
                                                   "xlsx"], "xlsx"),
    Case("ingest-store-not-a-database", lambda d, m: ["ingest", str(d / "identity.csv"),
                                                      "--source", "identity", "--db",
                                                      str(d / "not_a_store.duckdb")],
         "not_a_store"),
    # features
    Case("features-bad-date", lambda d, m: ["features", "--as-of", "yesterday"], "as-of"),
    Case("features-missing-store", lambda d, m: ["features", "--as-of", "2024-06-01", "--db",
                                                 str(d / "absent.duckdb"), "--out",
                                                 str(d / "f.parquet")], "absent.duckdb"),
    Case("features-store-not-a-database", lambda d, m: ["features", "--as-of", "2024-06-01",
                                                        "--db", str(d / "not_a_store.duckdb"),
                                                        "--out", str(d / "f.parquet")],
         "not_a_store"),
    Case("features-people-without-id", lambda d, m: ["features", "--db",
                                                     str(d / "not_a_store.duckdb"), "--people",
                                                     str(d / "people_no_id.csv"), "--out",
                                                     str(d / "f.parquet")], "person_id"),
    Case("features-bad-engine", lambda d, m: ["features", "--engine", "pandas"], "pandas"),
    # train
    Case("train-missing-table", lambda d, m: ["train", "--table", str(d / "absent.csv"),
                                              "--target", "bad"], "absent.csv"),
    Case("train-empty-table", lambda d, m: ["train", "--table", str(d / "empty.csv"),
                                            "--target", "bad", "--out", str(d / "m1")],
         "empty.csv"),
    Case("train-header-only", lambda d, m: ["train", "--table", str(d / "header_only.csv"),
                                            "--target", "bad", "--out", str(d / "m2")],
         "header_only.csv"),
    Case("train-garbage-parquet", lambda d, m: ["train", "--table", str(d / "garbage.parquet"),
                                                "--target", "bad", "--out", str(d / "m3")],
         "garbage.parquet"),
    Case("train-garbage-csv", lambda d, m: ["train", "--table", str(d / "garbage.csv"),
                                            "--target", "bad", "--out", str(d / "m3b")],
         "garbage.csv"),
    Case("train-target-absent", lambda d, m: ["train", "--table", str(d / "good.csv"),
                                              "--target", "default", "--out", str(d / "m4")],
         "default"),
    Case("train-one-class", lambda d, m: ["train", "--table", str(d / "one_class.csv"),
                                          "--target", "bad", "--out", str(d / "m5")], "class"),
    Case("train-text-target", lambda d, m: ["train", "--table", str(d / "text_target.csv"),
                                            "--target", "bad", "--out", str(d / "m6")], "bad"),
    Case("train-bad-special-values", lambda d, m: ["train", "--table", str(d / "good.csv"),
                                                   "--target", "bad", "--special-values",
                                                   "minus-nine", "--out", str(d / "m7")],
         "minus-nine"),
    Case("train-bad-as-of", lambda d, m: ["train", "--as-of", "2024-02-30"], "as-of"),
    Case("train-missing-store", lambda d, m: ["train", "--as-of", "2024-06-01", "--db",
                                              str(d / "absent.duckdb"), "--out", str(d / "m8")],
         "absent.duckdb"),
    Case("train-bad-seed", lambda d, m: ["train", "--table", str(d / "good.csv"), "--target",
                                         "bad", "--seed", "x"], "seed"),
    # score
    Case("score-missing-model", lambda d, m: ["score", "--model", str(d / "absent_model"),
                                              "--input", str(d / "features.csv"), "--out",
                                              str(d / "s.parquet")], "absent_model"),
    Case("score-missing-feature", lambda d, m: ["score", "--model", str(m), "--input",
                                                str(d / "missing_feature.csv"), "--out",
                                                str(d / "s.parquet")], "signal"),
    Case("score-text-in-numeric-feature", lambda d, m: ["score", "--model", str(m), "--input",
                                                        str(d / "text_feature.csv"), "--out",
                                                        str(d / "s.parquet")], "signal"),
    Case("score-empty-input", lambda d, m: ["score", "--model", str(m), "--input",
                                            str(d / "empty.csv"), "--out", str(d / "s.parquet")],
         "empty.csv"),
    Case("score-garbage-input", lambda d, m: ["score", "--model", str(m), "--input",
                                              str(d / "garbage.parquet"), "--out",
                                              str(d / "s.parquet")], "garbage.parquet"),
    Case("score-bad-out-extension", lambda d, m: ["score", "--model", str(m), "--input",
                                                  str(d / "features.csv"), "--out",
                                                  str(d / "s.xlsx")], "s.xlsx"),
    Case("score-no-input-option", lambda d, m: ["score", "--model", str(m), "--out",
                                                str(d / "s.parquet")], "input"),
    # export-sql
    Case("export-sql-missing-model", lambda d, m: ["export-sql", "--model",
                                                   str(d / "absent_model")], "absent_model"),
    # report
    Case("report-target-absent", lambda d, m: ["report", "--model", str(m), "--data",
                                               str(d / "features.csv"), "--out",
                                               str(d / "r.html")], "bad"),
    Case("report-unknown-protected", lambda d, m: ["report", "--model", str(m), "--data",
                                                   str(d / "good.csv"), "--protected",
                                                   "religion", "--out", str(d / "r.html")],
         "religion"),
    Case("report-bad-cutoff", lambda d, m: ["report", "--cutoff", "high"], "cutoff"),
    Case("report-empty-data", lambda d, m: ["report", "--model", str(m), "--data",
                                            str(d / "empty.csv"), "--out", str(d / "r.html")],
         "empty.csv"),
    # monitor
    Case("monitor-missing-baseline", lambda d, m: ["monitor", "--model", str(m), "--baseline",
                                                   str(d / "absent.csv"), "--recent",
                                                   str(d / "features.csv")], "absent.csv"),
    Case("monitor-recent-missing-feature", lambda d, m: ["monitor", "--model", str(m),
                                                         "--baseline", str(d / "features.csv"),
                                                         "--recent",
                                                         str(d / "missing_feature.csv")],
         "signal"),
    Case("monitor-garbage-recent", lambda d, m: ["monitor", "--model", str(m), "--baseline",
                                                 str(d / "features.csv"), "--recent",
                                                 str(d / "garbage.parquet")], "garbage.parquet"),
    # service administration
    Case("partners-no-name", lambda d, m: ["partners", "add"], "name"),
    Case("partners-bad-database-url", lambda d, m: ["partners", "add", "acme", "--db",
                                                    "service.sqlite"], "service.sqlite"),
    Case("people-token-bad-database-url", lambda d, m: ["people", "token", "p1", "--db",
                                                        "nowhere"], "nowhere"),
    Case("scores-load-garbage", lambda d, m: ["scores", "load", str(d / "garbage.parquet"),
                                              "--db", f"sqlite:///{d / 'svc.sqlite'}"],
         "garbage.parquet"),
    Case("scores-load-missing-columns", lambda d, m: ["scores", "load", str(d / "good.csv"),
                                                      "--db", f"sqlite:///{d / 'svc.sqlite'}"],
         "good.csv"),
    Case("disputes-resolve-bad-status", lambda d, m: ["disputes", "resolve", "1", "--status",
                                                      "maybe"], "maybe"),
    Case("audit-verify-bad-database-url", lambda d, m: ["audit", "verify", "--db", "audit.db"],
         "audit.db"),
    Case("serve-bad-port", lambda d, m: ["serve", "--port", "http"], "port"),
    Case("quarantine-missing-store", lambda d, m: ["quarantine", "--db",
                                                   str(d / "absent.duckdb")], "absent.duckdb"),
    Case("demo-too-few-people", lambda d, m: ["demo", "--people", "5", "--no-serve",
                                              "--workdir", str(d / "demo")], "people"),
    Case("demo-bad-start", lambda d, m: ["demo", "--start", "01/10/2023", "--no-serve",
                                         "--workdir", str(d / "demo")], "start"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_exits_2_with_one_line_naming_it(
    case: Case, work: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder, model = work
    monkeypatch.chdir(folder)  # no benne.toml here: defaults, and relative outputs stay inside
    capsys.readouterr()
    code = main(["--quiet", *case.args(folder, model)])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, f"exit {code}: {err}"
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert case.names.lower() in lines[0].lower(), lines[0]
