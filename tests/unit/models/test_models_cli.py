"""``benne train --table``, ``benne score`` and ``benne export-sql`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from benne.cli import main

from .conftest import synthetic_frame


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    synthetic_frame(3000, seed=5).to_csv(d / "table.csv", index=False)
    return d


def test_train_score_export(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--json", "train", "--table", str(work / "table.csv"), "--target", "bad",
                 "--special-values=-9", "--exclude", "person_id", "--out", str(work / "m")])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert "credit__worst_dpd_365d" in summary["features"] and "gender" not in summary["features"]
    for ext in ("csv", "parquet"):
        out = work / f"scores.{ext}"
        assert main(["score", "--model", str(work / "m"), "--input", str(work / "table.csv"),
                     "--out", str(out)]) == 0
        scores = pd.read_csv(out) if ext == "csv" else pd.read_parquet(out)
        # the columns the model does not use pass through first
        assert list(scores.columns[:3]) == ["person_id", "transfers__noise", "gender"]
        assert scores.columns.get_loc("model_version") == scores.columns.get_loc("bad") + 1
        assert {"score", "band", "pd", "dim_identity", "reason_4", "reason_1_text"} \
            <= set(scores.columns)
        assert scores["dim_identity"].isna().all()   # flat table: no dimensions
        assert len(scores) == 3000
    assert main(["score", "--model", str(work / "m"), "--input", str(work / "table.csv"),
                 "--out", str(work / "ch.csv"), "--challenger"]) == 0
    ch = pd.read_csv(work / "ch.csv")
    assert ch["model_version"].str.endswith("+challenger").all()
    capsys.readouterr()
    assert main(["export-sql", "--model", str(work / "m"), "--out", str(work / "s.sql")]) == 0
    con = duckdb.connect()
    table = str(work / "table.csv")
    got = con.execute(f"SELECT {(work / 's.sql').read_text()} FROM read_csv_auto('{table}')"
                      ).fetchnumpy()
    np.testing.assert_array_equal(next(iter(got.values())).astype(int),
                                  pd.read_csv(work / "scores.csv")["score"].to_numpy())


def test_user_errors_are_one_line(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.read_csv(work / "table.csv")
    frame["orders__returns_365d"] = frame["orders__returns_365d"].astype(object)
    frame.loc[41, "orders__returns_365d"] = "lots"
    frame.to_csv(work / "broken.csv", index=False)
    if not (work / "m").exists():
        main(["train", "--table", str(work / "table.csv"), "--target", "bad", "--out",
              str(work / "m")])
    capsys.readouterr()
    code = main(["score", "--model", str(work / "m"), "--input", str(work / "broken.csv"),
                 "--out", str(work / "x.csv")])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and err.startswith("error: ")
    assert "broken.csv, row 42, field orders__returns_365d" in err
    assert main(["train", "--table", str(work / "table.csv"), "--target", "city",
                 "--out", str(work / "n")]) == 2
    assert "field city" in capsys.readouterr().err
    assert main(["score", "--model", str(work / "nope"), "--input", str(work / "table.csv"),
                 "--out", str(work / "x.csv")]) == 2
    assert main(["train", "--table", str(work / "table.csv"), "--target", "bad",
                 "--special-values=-9,x", "--out", str(work / "n")]) == 2
    assert "--special-values" in capsys.readouterr().err


def test_train_with_a_column_dictionary_writes_its_texts(work: Path) -> None:
    frame = synthetic_frame(3000, seed=5)[["credit__worst_dpd_365d", "city", "bad"]]
    frame = frame.rename(columns={"credit__worst_dpd_365d": "days_late"})
    frame.to_csv(work / "flat.csv", index=False)
    (work / "columns.toml").write_text(
        '[days_late]\ndescription = "Days your latest loan payment was late"\n'
        'tip = "Pay each instalment by its due date"\ndimension = "credit_history"\n'
        'direction = "increasing"\n', encoding="utf-8")
    assert main(["train", "--table", str(work / "flat.csv"), "--target", "bad",
                 "--columns", str(work / "columns.toml"), "--out", str(work / "dict")]) == 0
    reasons = json.loads((work / "dict" / "reasons.json").read_text())
    mine = [r for r in reasons.values() if r["feature"] == "days_late"]
    assert mine[0]["statement"] == "Days your latest loan payment was late"
    assert mine[0]["dimension"] == "credit_history"
    # --columns describes a flat table only
    assert main(["train", "--db", str(work / "x.duckdb"), "--as-of", "2024-01-01",
                 "--columns", str(work / "columns.toml"), "--out", str(work / "y")]) == 2


def test_a_column_dictionary_declares_a_protected_column_its_name_hides(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # real tables name columns X1..X23; X2 is gender there and its name cannot say so
    frame = synthetic_frame(2000, seed=8)[["credit__worst_dpd_365d", "bills__on_time_share_365d",
                                           "bad"]]
    frame["X2"] = np.where(frame["bad"] == 1, 2, 1)   # informative: used if not declared
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "cols.csv").write_text(
        "column,description,tip,dimension,protected\n"
        "X2,Gender,-,other,true\n", encoding="utf-8")
    args = ["--json", "train", "--table", str(tmp_path / "t.csv"), "--target", "bad",
            "--no-challenger", "--columns", str(tmp_path / "cols.csv")]
    assert main([*args, "--out", str(tmp_path / "m")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert "X2" not in summary["features"]
    assert "declared in the column dictionary" in summary["excluded"]["X2"]
    assert main([*args, "--allow-protected", "--out", str(tmp_path / "m2")]) == 0
    assert "X2" in json.loads(capsys.readouterr().out)["features"]
    (tmp_path / "bad.csv").write_text(
        "column,description,tip,dimension,protected\nX2,Gender,-,other,maybe\n",
        encoding="utf-8")
    assert main(["train", "--table", str(tmp_path / "t.csv"), "--target", "bad",
                 "--columns", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "m3")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv, entry 1, field protected" in err and "'maybe'" in err


@pytest.mark.parametrize(("name", "protected"), [
    # real tables' names for protected attributes: Home Credit, German credit, card applications
    ("person_age", True), ("Age in years", True), ("age_at_application", True),
    ("CODE_GENDER", True), ("applicant_sex", True), ("Personal status and sex", True),
    ("NAME_FAMILY_STATUS", True), ("MaritalStatus", True), ("DAYS_BIRTH", True),
    ("date_of_birth", True), ("identity__birth_year", True), ("region", True),
    # the age of something else, and words that only contain a protected one
    ("account_age", False), ("credit_age_months", False), ("mortgage", False),
    ("average_balance", False), ("usage_days", False), ("sextant", False),
    ("cb_person_cred_hist_length", False), ("REGION_RATING_CLIENT", False), ("X2", False),
])
def test_protected_attributes_are_recognised_by_the_words_of_their_names(
        name: str, protected: bool) -> None:
    from benne.models.settings import is_protected

    assert is_protected(name) is protected


def test_no_builtin_feature_reads_as_a_protected_attribute() -> None:
    from benne.features.registry import builtin_features
    from benne.models.settings import is_protected

    assert [f.name for f in builtin_features() if is_protected(f.name)] == []


def test_train_lists_ids_protected_empty_and_constant_columns(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = synthetic_frame(1500, seed=3)
    rng = np.random.default_rng(3)
    frame["loan_ref"] = rng.permutation(len(frame)) + 10_000      # unique integers: an id
    frame["branch"] = frame["person_id"].str[-3:]                  # varies, not an id
    frame["age"] = rng.integers(18, 80, len(frame))
    frame["flag"] = 1
    frame["empty"] = np.nan
    frame["as_of"] = "2024-10-01"
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main(["--json", "train", "--table", str(tmp_path / "t.csv"), "--target", "bad",
                 "--no-challenger", "--out", str(tmp_path / "m")]) == 0
    summary = json.loads(capsys.readouterr().out)
    excluded = summary["excluded"]
    assert "identifier" in excluded["person_id"] and "identifier" in excluded["loan_ref"]
    assert "identifier" in excluded["as_of"]
    assert "protected" in excluded["age"] and "--allow-protected" in excluded["age"]
    assert excluded["flag"].startswith("constant") and excluded["empty"].startswith("empty")
    assert "branch" not in excluded
    used = set(summary["features"])
    assert not used & set(excluded)
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["excluded_columns"] == excluded
    # the human summary lists them too
    assert main(["train", "--table", str(tmp_path / "t.csv"), "--target", "bad",
                 "--no-challenger", "--out", str(tmp_path / "m2")]) == 0
    text = capsys.readouterr().out
    assert "left out" in text and "loan_ref" in text and "age" in text


def test_score_without_a_model_column_names_it(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not (work / "m").exists():
        main(["train", "--table", str(work / "table.csv"), "--target", "bad", "--exclude",
              "person_id", "--out", str(work / "m")])
    frame = pd.read_csv(work / "table.csv").drop(columns=["credit__worst_dpd_365d"])
    frame.to_parquet(work / "short.parquet", index=False)
    capsys.readouterr()
    assert main(["score", "--model", str(work / "m"), "--input", str(work / "short.parquet"),
                 "--out", str(work / "x.parquet")]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "credit__worst_dpd_365d" in last and last.startswith("error: ")


def test_numbers_written_as_text_are_read_as_numbers_and_said_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(5)
    n = 3000
    rate = rng.uniform(5, 25, n)
    bad = (rng.random(n) < 1 / (1 + np.exp(-(rate - 15) / 3))).astype(int)
    numeric = pd.DataFrame({"int_rate": rate.round(2), "amount": rng.uniform(500, 30000, n).round(),
                            "term": rng.choice([36, 60], n)})
    text = pd.DataFrame({
        "int_rate": [f"{v:.2f}%" for v in numeric["int_rate"]],
        "amount": [f"${v:,.0f}" for v in numeric["amount"]],
        "term": [f" {v} months" for v in numeric["term"]],
        # left as text: a bound in the values, and bare digits stored as text
        "emp_length": rng.choice(["< 1 year", "1 year", "10+ years"], n),
        "zip": [f"{v:05d}" for v in rng.integers(1000, 99999, n)],
    })
    text["target"] = numeric["target"] = bad
    text.to_csv(tmp_path / "text.csv", index=False)
    numeric.drop(columns="target").to_parquet(tmp_path / "numeric.parquet", index=False)
    assert main(["--json", "train", "--table", str(tmp_path / "text.csv"), "--target", "target",
                 "--no-challenger", "--out", str(tmp_path / "m")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["read_as_numbers"] == {"int_rate": "%", "amount": "$", "term": "months"}
    assert "int_rate" in summary["features"]   # as text it was 3,000 categories, screened out
    assert summary["metrics"]["holdout"]["scorecard"]["auc"] > 0.8
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["read_as_numbers"] == summary["read_as_numbers"]
    # scoring reads the same columns the same way: the text file scores as the numbers do
    for name in ("text.csv", "numeric.parquet"):
        assert main(["--quiet", "score", "--model", str(tmp_path / "m"), "--input",
                     str(tmp_path / name), "--out", str(tmp_path / f"{name}.scores.csv")]) == 0
    a = pd.read_csv(tmp_path / "text.csv.scores.csv")
    b = pd.read_csv(tmp_path / "numeric.parquet.scores.csv")
    assert a["score"].tolist() == b["score"].tolist()
    assert a["reason_1_text"].fillna("").tolist() == b["reason_1_text"].fillna("").tolist()
    # a value that does not fit the unit is an error naming the file, row and field
    text.loc[7, "int_rate"] = "n/a%"
    text.drop(columns="target").to_csv(tmp_path / "bad.csv", index=False)
    capsys.readouterr()
    assert main(["score", "--model", str(tmp_path / "m"), "--input", str(tmp_path / "bad.csv"),
                 "--out", str(tmp_path / "bad.scores.csv")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv, row 8, field int_rate" in err and "'n/a%'" in err


def test_dates_written_as_text_are_left_out_and_screened_columns_are_listed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(9)
    n = 2000
    rate = rng.uniform(5, 25, n)
    day = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    pd.DataFrame({
        "rate": rate, "noise": rng.normal(size=n),
        "issue_d": day.strftime("%b-%Y"), "opened": day.strftime("%d/%m/%Y"),
        # unique in every row, and still a date rather than an identifier
        "applied": (pd.Timestamp("2015-01-01") + pd.to_timedelta(np.arange(n), unit="min")
                    ).strftime("%Y-%m-%d %H:%M"),
        "bad": (rng.random(n) < 1 / (1 + np.exp(-(rate - 15) / 3))).astype(int),
    }).to_csv(tmp_path / "t.csv", index=False)
    assert main(["--json", "train", "--table", str(tmp_path / "t.csv"), "--target", "bad",
                 "--no-challenger", "--out", str(tmp_path / "m")]) == 0
    summary = json.loads(capsys.readouterr().out)
    for column in ("issue_d", "opened", "applied"):
        assert summary["excluded"][column].startswith("a date written as text")
    assert summary["features"] == ["rate"]
    assert summary["screened"]["noise"].startswith("low iv")
    assert main(["train", "--table", str(tmp_path / "t.csv"), "--target", "bad",
                 "--no-challenger", "--out", str(tmp_path / "m2")]) == 0
    out = capsys.readouterr().out
    assert "not in the scorecard (1): noise (low iv" in out
